"""Recording learning events: what a client (or the server itself) says a learner did.

Every progress-changing action arrives as a learning event. ``record_events`` stores the
new ones (append-only; a UUID seen before is a duplicate with no effect) and, in the same
transaction, recomputes the derived rows of the lessons and courses they touch *from the
whole log* (``derived``). Batches of one learner are serialised by a row lock on the
learner, so concurrent batches never lose an update.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.progress.derived import recompute, record_days
from lms.progress.models import LearningEvent, Verb

if TYPE_CHECKING:
    from lms.accounts.read_models import User

# Verbs a client may send. Passing or failing an assessment is decided by the server.
CLIENT_VERBS = {Verb.STARTED, Verb.PROGRESSED, Verb.COMPLETED}
MAX_BATCH = 500
MAX_RESULT_BYTES = 2048
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass
class ItemResult:
    id: object  # the client's own "id", echoed back as it came
    status: str  # "accepted", "duplicate" or "rejected"
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


@dataclass
class _Valid:
    index: int
    uuid: uuid_module.UUID
    verb: str
    object_id: int
    timestamp: datetime
    result: dict[str, Any]


def _parse(
    item: object, now: datetime, *, client: bool
) -> tuple[_Valid | None, list[dict[str, str]]]:
    """Check the shape of one item. Page and enrollment checks come after, in bulk."""
    if not isinstance(item, dict):
        return None, [_error("invalid_item", _("Cada evento debe ser un objeto JSON."))]
    errors = []
    try:
        event_uuid = uuid_module.UUID(str(item.get("id", "")))
    except ValueError:
        event_uuid = None
        errors.append(_error("invalid_uuid", _("«id» debe ser un UUID generado por el cliente.")))
    verb = item.get("verb")
    allowed = CLIENT_VERBS if client else set(Verb.values)
    if verb not in allowed:
        errors.append(
            _error(
                "invalid_verb",
                _("Verbo no válido. Use uno de: %(verbs)s.")
                % {"verbs": ", ".join(sorted(allowed))},
            )
        )
    obj = item.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else obj
    if isinstance(object_id, str) and object_id.isdigit():
        object_id = int(object_id)
    if not isinstance(object_id, int) or isinstance(object_id, bool) or object_id <= 0:
        object_id = None
        errors.append(_error("invalid_object", _("«object.id» debe ser el número de una lección.")))
    raw_time = item.get("timestamp")
    timestamp = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    if timestamp is None:
        errors.append(
            _error(
                "invalid_timestamp", _("«timestamp» debe ser una fecha ISO 8601 con zona horaria.")
            )
        )
    else:
        if timezone.is_naive(timestamp):
            timestamp = timezone.make_aware(timestamp, UTC)
        if timestamp > now + FUTURE_TOLERANCE:
            errors.append(
                _error(
                    "future_timestamp",
                    _("La fecha del evento está en el futuro; revise el reloj del teléfono."),
                )
            )
    result = item.get("result", {})
    if result is None:
        result = {}
    if not isinstance(result, dict):
        errors.append(_error("invalid_result", _("«result» debe ser un objeto JSON.")))
    elif len(json.dumps(result, separators=(",", ":"))) > MAX_RESULT_BYTES:
        errors.append(
            _error(
                "payload_too_large",
                _("«result» es demasiado grande (máximo %(n)d bytes).") % {"n": MAX_RESULT_BYTES},
            )
        )
    elif "duration" in result and (
        isinstance(result["duration"], bool)
        or not isinstance(result["duration"], int | float)
        or result["duration"] < 0
    ):
        errors.append(
            _error("invalid_duration", _("«result.duration» debe ser un número de segundos."))
        )
    # Each of these is None only where an error was added above; naming them narrows the types.
    if errors or event_uuid is None or verb is None or object_id is None or timestamp is None:
        return None, errors
    return _Valid(0, event_uuid, verb, object_id, timestamp, result), []


def record_events(
    *,
    user: User,
    items: Sequence[object],
    source: str = "api",
    client: bool = True,
    now: datetime | None = None,
) -> BatchResult:
    """Store a batch of one learner's events and update their progress. Per-item results:
    bad items are rejected with specific errors and never block the good ones."""
    now = now or timezone.now()
    results: list[ItemResult] = []
    valid: list[_Valid] = []
    for index, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, dict) else None
        parsed, errors = _parse(item, now, client=client)
        results.append(ItemResult(item_id, "rejected" if errors else "pending", errors))
        if parsed:
            parsed.index = index
            valid.append(parsed)

    pages = courses_api.step_courses(page_ids={v.object_id for v in valid})
    enrolled = enrollment_api.enrolled_course_ids(
        user_id=user.pk, course_ids={course for course, _kind in pages.values()}
    )
    accepted: list[tuple[_Valid, int]] = []
    seen: set[uuid_module.UUID] = set()
    for event in valid:
        result = results[event.index]
        if event.object_id not in pages:
            result.status = "rejected"
            result.errors.append(
                _error("unknown_object", _("No existe una lección publicada con ese número."))
            )
            continue
        course_id, kind = pages[event.object_id]
        if course_id not in enrolled:
            result.status = "rejected"
            result.errors.append(_error("not_enrolled", _("No está inscrito en este curso.")))
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
        accepted.append((event, course_id))

    completed: list[int] = []
    if accepted:
        with transaction.atomic():
            # One learner's batches wait for each other; other learners' do not.
            get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
            known = set(
                LearningEvent.objects.filter(uuid__in=[e.uuid for e, _c in accepted]).values_list(
                    "uuid", flat=True
                )
            )
            new_rows = []
            for event, course_id in accepted:
                if event.uuid in known:
                    results[event.index].status = "duplicate"
                    continue
                results[event.index].status = "accepted"
                new_rows.append(
                    LearningEvent(
                        uuid=event.uuid,
                        user_id=user.pk,
                        verb=event.verb,
                        object_id=event.object_id,
                        course_id=course_id,
                        result=event.result,
                        client_timestamp=event.timestamp,
                        received_at=now,
                        source=source,
                    )
                )
            if new_rows:
                LearningEvent.objects.bulk_create(new_rows, ignore_conflicts=True)
                record_days(user_id=user.pk, events=new_rows)
                completed = recompute(
                    user_id=user.pk,
                    page_ids={row.object_id for row in new_rows},
                    course_ids={row.course_id for row in new_rows},
                )
    for result in results:
        if result.status == "pending":  # pragma: no cover - every path sets a status
            result.status = "rejected"
    return BatchResult(results, completed)


def record_server_event(
    *,
    user: User,
    verb: str,
    page_id: int,
    result: dict[str, object] | None = None,
    when: datetime | None = None,
    source: str = "web",
) -> BatchResult:
    """Record an event the server itself witnessed (a form post, a graded attempt)."""
    when = when or timezone.now()
    item = {
        "id": str(uuid_module.uuid4()),
        "verb": verb,
        "object": {"id": page_id},
        "timestamp": when.isoformat(),
        "result": result or {},
    }
    return record_events(user=user, items=[item], source=source, client=False, now=when)
