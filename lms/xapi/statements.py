"""xAPI 1.0.3 statements built from plain values: pure functions, no database.

Privacy: the actor is never a name, username or email. It is an ``account`` on Aula's
public address whose ``name`` is a keyed pseudonym of the user id (HMAC-SHA256 with
``XAPI_ACTOR_KEY``, or a key derived from ``SECRET_KEY`` when that is empty): stable, so
an LRS can follow one learner over time, and meaningless without the key. Nothing else
in a statement points back to a person: no certificate folio or verification address
(the public verification page shows the learner's name), no free text from the client.

Statement ids are UUIDv5 over ``NAMESPACE`` and the source's own UUID, so the same
source always gives the same id and resending it is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings

from lms.certificates import api as certificates_api
from lms.progress import api as progress_api

# Fixed forever: changing it would give every statement a new id.
NAMESPACE = uuid.UUID("5b1c7a53-2f0e-4e3a-9a39-6b0d6f2f8d41")
LANGUAGE = "es-MX"
VERSION = "1.0.3"

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS: dict[str, tuple[str, str]] = {
    # Aula's verb → (IRI, display in es-MX). "started" is the start of an attempt at a
    # lesson (ADL "attempted"); the rest are their ADL namesakes.
    "started": (ADL + "attempted", "empezó"),
    "progressed": (ADL + "progressed", "estudió"),
    "completed": (ADL + "completed", "terminó"),
    "passed": (ADL + "passed", "aprobó"),
    "failed": (ADL + "failed", "no aprobó"),
    "scored": (ADL + "scored", "obtuvo una calificación en"),
    "earned": ("http://id.tincanapi.com/verb/earned", "obtuvo una constancia de"),
    "voided": (ADL + "voided", "anuló"),
}
ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
}


@dataclass(frozen=True)
class Page:
    """What a statement says about a page: its id, kind (course, lesson, assessment;
    None when the page is gone or of another type) and title (None when gone)."""

    id: int
    kind: str | None = None
    title: str | None = None


def statement_id(key: str) -> str:
    """The statement id for a source key such as ``event:<user id>:<event uuid>``."""
    return str(uuid.uuid5(NAMESPACE, key))


def home_page() -> str:
    return certificates_api.public_url("/")


def pseudonym(user_id: int) -> str:
    """The learner's name in the LRS: a keyed hash of the user id, never a username."""
    key = settings.XAPI_ACTOR_KEY or f"aula-xapi-actor:{settings.SECRET_KEY}"
    digest = hmac.new(key.encode(), f"user:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def actor(user_id: int) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": home_page(), "name": pseudonym(user_id)},
    }


def system_actor() -> dict[str, Any]:
    """Aula itself, for what no learner did (voiding a revoked certificate's statement)."""
    return {"objectType": "Agent", "account": {"homePage": home_page(), "name": "aula"}}


def verb(name: str) -> dict[str, Any]:
    iri, display = VERBS[name]
    return {"id": iri, "display": {LANGUAGE: display}}


def activity(page: Page) -> dict[str, Any]:
    """A page as an xAPI activity. Its id is a stable IRI under Aula's public address,
    not the page's URL (slugs and places in the tree change; ids do not)."""
    definition: dict[str, Any] = {}
    if page.title:
        definition["name"] = {LANGUAGE: page.title}
    if page.kind in ACTIVITY_TYPES:
        definition["type"] = ACTIVITY_TYPES[page.kind]
    result: dict[str, Any] = {
        "objectType": "Activity",
        "id": certificates_api.public_url(f"/xapi/activities/page/{page.id}"),
    }
    if definition:
        result["definition"] = definition
    return result


def duration(seconds: float) -> str:
    """ISO 8601 duration, as xAPI wants it (``PT90S``, ``PT12.5S``)."""
    text = f"{round(seconds, 2):.2f}".rstrip("0").rstrip(".")
    return f"PT{text}S"


def timestamp(moment: datetime) -> str:
    return moment.isoformat()


def _statement(
    *,
    key: str,
    actor_: dict[str, Any],
    verb_name: str,
    obj: dict[str, Any],
    moment: datetime,
    course: Page | None = None,
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"platform": "Aula", "language": LANGUAGE}
    if course is not None and obj.get("id") != activity(course)["id"]:
        context["contextActivities"] = {"parent": [activity(course)]}
    statement: dict[str, Any] = {
        "id": statement_id(key),
        "actor": actor_,
        "verb": verb(verb_name),
        "object": obj,
        "context": context,
        "timestamp": timestamp(moment),
    }
    if result:
        statement["result"] = result
    return statement


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def for_event(
    *,
    user_id: int,
    event_uuid: uuid.UUID | str,
    verb_name: str,
    page: Page,
    course: Page,
    result: dict[str, Any],
    moment: datetime,
) -> dict[str, Any]:
    """A learning event. Only what xAPI defines is taken from the event's ``result``
    (study time, score, success): never free fields the client may have added."""
    out: dict[str, Any] = {}
    if verb_name == "progressed":
        # Capped as progress caps it: the time counted is the time reported.
        seconds = _number(result.get("duration"))
        if seconds is not None and seconds >= 0:
            out["duration"] = duration(min(seconds, progress_api.HEARTBEAT_MAX_SECONDS))
    elif verb_name == "completed":
        out["completion"] = True
    elif verb_name in ("passed", "failed"):
        out["success"] = verb_name == "passed"
        out["completion"] = True
        score = _number(result.get("score"))
        if score is not None and 0 <= score <= 100:
            out["score"] = {"scaled": round(score / 100, 4)}
    return _statement(
        key=f"event:{user_id}:{event_uuid}",
        actor_=actor(user_id),
        verb_name=verb_name,
        obj=activity(page),
        moment=moment,
        course=course,
        result=out,
    )


def for_attempt(
    *,
    user_id: int,
    attempt_uuid: uuid.UUID | str,
    assessment: Page,
    course: Page | None,
    score: Decimal,
    passed: bool,
    seconds: int | None,
    moment: datetime,
) -> dict[str, Any]:
    """A graded attempt ("scored"), with its score on 0-100 and scaled to 0-1."""
    result: dict[str, Any] = {
        "score": {
            "scaled": float(round(score / 100, 4)),
            "raw": float(score),
            "min": 0,
            "max": 100,
        },
        "success": passed,
        "completion": True,
    }
    if seconds is not None:
        result["duration"] = duration(seconds)
    return _statement(
        key=f"attempt:{attempt_uuid}",
        actor_=actor(user_id),
        verb_name="scored",
        obj=activity(assessment),
        moment=moment,
        course=course,
        result=result,
    )


def for_completion(
    *, user_id: int, enrollment_uuid: uuid.UUID | str, course: Page, moment: datetime
) -> dict[str, Any]:
    """A course completed (its completion rule held)."""
    return _statement(
        key=f"completion:{enrollment_uuid}",
        actor_=actor(user_id),
        verb_name="completed",
        obj=activity(course),
        moment=moment,
        result={"completion": True},
    )


def for_certificate(
    *, user_id: int, certificate_uuid: uuid.UUID | str, course: Page, moment: datetime
) -> dict[str, Any]:
    """A constancia issued: the learner "earned" the course's certificate. Neither its
    folio nor its verification address are in it (they lead to the learner's name)."""
    return _statement(
        key=f"certificate:{certificate_uuid}",
        actor_=actor(user_id),
        verb_name="earned",
        obj=activity(course),
        moment=moment,
        result={"completion": True, "success": True},
    )


def voiding_certificate(*, certificate_uuid: uuid.UUID | str, moment: datetime) -> dict[str, Any]:
    """A constancia revoked: the statement that it was earned is voided (xAPI's way of
    saying a statement no longer holds), by Aula itself."""
    return {
        "id": statement_id(f"revocation:{certificate_uuid}"),
        "actor": system_actor(),
        "verb": verb("voided"),
        "object": {
            "objectType": "StatementRef",
            "id": statement_id(f"certificate:{certificate_uuid}"),
        },
        "timestamp": timestamp(moment),
    }
