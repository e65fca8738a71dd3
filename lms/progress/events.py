"""Recording learning events: what a client (or the server itself) says a learner did.

Every progress-changing action arrives as a learning event. ``record_events`` stores the
new ones (append-only; a UUID seen before is a duplicate with no effect) and, in the same
transaction, brings the derived rows of the lessons and courses they touch up to date
(``derived``): from the rows and the new events where that gives what the whole log gives,
from the whole log where it does not. Batches of one learner are serialised by a row lock
on the learner, so concurrent batches never lose an update.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.progress.derived import lock_learner, recompute, record_days
from lms.progress.models import LearningEvent, Verb
from lms.progress.serializers import (
    CLIENT_VERBS,
    MAX_BATCH,
    MAX_RESULT_BYTES,
    NewEvent,
    ParsedItem,
    parse_events,
)

if TYPE_CHECKING:
    from lms.accounts.read_models import User

__all__ = ["CLIENT_VERBS", "MAX_BATCH", "MAX_RESULT_BYTES"]

# After correcting the phone's clock, an event may still be a little ahead of the server.
FUTURE_TOLERANCE = timedelta(minutes=5)
# Nothing happened on Aula before this, whatever a phone whose clock reset says.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class ItemResult:
    id: object  # the client's own "id", echoed back as it came
    status: str  # "accepted", "duplicate", "rejected" or "retry"
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"id": self.id, "status": self.status}
        if self.errors:
            data["errors"] = self.errors
        return data


@dataclass
class BatchResult:
    items: list[ItemResult]
    completed_course_ids: list[int] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def _error(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def queue_key(*, user_id: int) -> str:
    """The name of a learner's offline queue on a shared phone, and what a batch says in
    ``learner``: the server refuses a batch whose key is not the signed-in learner's."""
    return f"u{user_id}"


def record_events(
    *,
    user: User,
    items: Sequence[object],
    sent_at: datetime | None = None,
    source: str = "api",
    now: datetime | None = None,
) -> BatchResult:
    """Validate a batch of raw items from a client (``serializers``) and record it."""
    return record_parsed(
        user=user, items=parse_events(list(items)), sent_at=sent_at, source=source, now=now
    )


def _corrected(
    event: NewEvent, skew: timedelta, now: datetime
) -> tuple[datetime | None, dict[str, str] | None]:
    """The event's time on the server's clock, or why it is impossible even so."""
    try:
        when = event.timestamp + skew
    except OverflowError:
        when = None
    if when is None or when < EPOCH:
        return None, _error(
            "impossible_timestamp",
            _(
                "La fecha del evento es imposible, aun corrigiendo el reloj del teléfono. "
                "Revise la fecha del teléfono; se volverá a enviar."
            ),
        )
    if when > now + FUTURE_TOLERANCE:
        return None, _error(
            "future_timestamp",
            _(
                "La fecha del evento está en el futuro, aun corrigiendo el reloj del teléfono. "
                "Revise la fecha del teléfono; se volverá a enviar."
            ),
        )
    return when, None


def record_parsed(
    *,
    user: User,
    items: Sequence[ParsedItem],
    sent_at: datetime | None = None,
    source: str = "api",
    now: datetime | None = None,
    client: bool = True,
) -> BatchResult:
    """Store a batch of one learner's validated items and update their progress.

    Per-item results: bad items are rejected with specific errors and never block the
    good ones. ``sent_at`` is the phone's clock when it sent the batch: the difference
    with the server's clock corrects every event of the batch (a phone an hour fast or a
    day slow still records at the right time). An event whose time is impossible even
    then is answered ``retry``: the client keeps it and sends it again later.
    """
    now = now or timezone.now()
    skew = (now - sent_at) if sent_at is not None else timedelta(0)
    results: list[ItemResult] = []
    valid: list[tuple[int, NewEvent, datetime]] = []
    for index, item in enumerate(items):
        if item.event is None:
            results.append(ItemResult(item.echo, "rejected", list(item.errors)))
            continue
        when: datetime | None = item.event.timestamp  # the server's own clock
        problem = None
        if client:
            when, problem = _corrected(item.event, skew, now)
        if problem or when is None:
            results.append(ItemResult(item.echo, "retry", [problem] if problem else []))
            continue
        results.append(ItemResult(item.echo, "pending"))
        valid.append((index, item.event, when))

    # The steps of the learner's courses, read once for the whole batch (and reused to
    # recompute course progress); pages outside them are unknown or not the learner's.
    enrolled = enrollment_api.active_course_ids(user_id=user.pk) if valid else set()
    structure = courses_api.course_steps(course_ids=enrolled) if enrolled else {}
    pages = {
        step.page_id: (course_id, step.kind)
        for course_id, steps in structure.items()
        for step in steps.steps
    }
    outside = {event.object_id for _i, event, _w in valid} - pages.keys()
    if outside:
        pages.update(courses_api.step_courses(page_ids=outside))
    accepted: list[tuple[int, NewEvent, datetime, int]] = []
    seen: set[uuid_module.UUID] = set()
    for index, event, when in valid:
        result = results[index]
        if event.object_id not in pages:
            result.status = "rejected"
            result.errors.append(
                _error("unknown_object", _("No existe una lección publicada con ese número."))
            )
            continue
        course_id, kind = pages[event.object_id]
        if course_id not in enrolled:
            result.status = "rejected"
            result.errors.append(_error("not_enrolled", _("No tiene inscripción en este curso.")))
            continue
        if client and kind == "assessment" and event.verb == Verb.COMPLETED:
            result.status = "rejected"
            result.errors.append(
                _error(
                    "verb_not_allowed", _("Una evaluación se termina al aprobarla, no se marca.")
                )
            )
            continue
        if event.uuid in seen:
            result.status = "duplicate"
            continue
        seen.add(event.uuid)
        accepted.append((index, event, when, course_id))

    completed: list[int] = []
    if accepted:
        with transaction.atomic():
            # One learner's batches wait for each other; other learners' do not.
            lock_learner(
                user.pk,
                time_only=all(event.verb == Verb.PROGRESSED for _i, event, _w, _c in accepted),
            )
            rows = [
                LearningEvent(
                    uuid=event.uuid,
                    user_id=user.pk,
                    verb=event.verb,
                    object_id=event.object_id,
                    course_id=course_id,
                    result=event.result,
                    client_timestamp=when,
                    clock_correction=when - event.timestamp,
                    received_at=now,
                    source=source,
                )
                for _i, event, when, course_id in accepted
            ]
            inserted = _insert_new(user_id=user.pk, rows=rows)
            for index, event, _w, _c in accepted:
                results[index].status = "accepted" if event.uuid in inserted else "duplicate"
            new_rows = [row for row in rows if row.uuid in inserted]
            if new_rows:
                completed = recompute(
                    user_id=user.pk,
                    page_ids={row.object_id for row in new_rows},
                    course_ids={row.course_id for row in new_rows},
                    structure=structure,
                    new_events=new_rows,
                )
    for result in results:
        if result.status == "pending":  # pragma: no cover - every path sets a status
            result.status = "rejected"
    return BatchResult(results, completed)


# PostgreSQL: one statement stores the new events, notes the (course, local day) pairs
# they fall on (``derived.record_days``: the day in the site's time zone, as
# ``timezone.localdate`` gives it) and says which events were new. Event ids are the
# learner's own (unique per learner): the same UUID from someone else is another event,
# and nothing here tells one learner about another's events.
_INSERT_NEW = """
WITH new AS (
    INSERT INTO progress_learningevent (
        uuid, user_id, verb, object_id, course_id, result, client_timestamp,
        clock_correction, received_at, source, schema_version
    )
    SELECT * FROM unnest(
        %s::uuid[], %s::bigint[], %s::varchar[], %s::bigint[], %s::bigint[], %s::text[]::jsonb[],
        %s::timestamptz[], %s::interval[], %s::timestamptz[], %s::varchar[], %s::smallint[]
    )
    ON CONFLICT (user_id, uuid) DO NOTHING
    RETURNING uuid, course_id, client_timestamp
), days AS (
    INSERT INTO progress_dailyactivity (user_id, course_id, day)
    SELECT DISTINCT %s::bigint, course_id, (client_timestamp AT TIME ZONE %s)::date FROM new
    ON CONFLICT DO NOTHING
)
SELECT uuid FROM new
"""


def _insert_new(*, user_id: int, rows: list[LearningEvent]) -> set[uuid_module.UUID]:
    """Store the rows whose id the learner does not have yet, and the days they fall on
    (``record_days``); return their ids."""
    if connection.vendor == "postgresql":
        columns: Any = [  # one array per column (Django's stubs only know scalar params)
            [row.uuid for row in rows],
            [row.user_id for row in rows],
            [row.verb for row in rows],
            [row.object_id for row in rows],
            [row.course_id for row in rows],
            [json.dumps(row.result) for row in rows],
            [row.client_timestamp for row in rows],
            [row.clock_correction for row in rows],
            [row.received_at for row in rows],
            [row.source for row in rows],
            [row.schema_version for row in rows],
            user_id,
            timezone.get_default_timezone_name(),
        ]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_NEW, columns)
            return {value for (value,) in cursor.fetchall()}
    known = set(
        LearningEvent.objects.filter(
            user_id=user_id, uuid__in=[row.uuid for row in rows]
        ).values_list("uuid", flat=True)
    )
    new = [row for row in rows if row.uuid not in known]
    LearningEvent.objects.bulk_create(new, ignore_conflicts=True)
    record_days(user_id=user_id, events=new)
    return {row.uuid for row in new}


def record_server_event(
    *,
    user: User,
    verb: str,
    page_id: int,
    result: dict[str, object] | None = None,
    when: datetime | None = None,
    source: str = "web",
    event_id: uuid_module.UUID | None = None,
) -> BatchResult:
    """Record an event the server itself witnessed (a form post, a graded attempt).
    ``event_id``, when the form carried one, makes a repeated post a duplicate."""
    when = when or timezone.now()
    event = NewEvent(
        uuid=event_id or uuid_module.uuid4(),
        verb=verb,
        object_id=page_id,
        timestamp=when,
        result=dict(result or {}),
    )
    return record_parsed(
        user=user,
        items=[ParsedItem(str(event.uuid), event=event)],
        source=source,
        now=when,
        client=False,
    )
