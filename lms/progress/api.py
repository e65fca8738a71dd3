"""The public Python API of ``progress``: record learning events, read derived progress.

Every progress-changing action arrives as a learning event. ``record_events`` stores the
new ones (append-only; a UUID seen before is a duplicate with no effect) and, in the same
transaction, recomputes the derived rows of the lessons and courses they touch *from the
whole log*. Because derived state is a function of the set of events (minimums, maximums,
a sum over de-duplicated heartbeats), applying a batch twice, or events out of order, gives
the same final state as a clean sequence. Batches of one learner are serialised by a row
lock on the learner, so concurrent batches never lose an update.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.progress.models import (
    CourseProgress,
    DailyActivity,
    LearningEvent,
    LessonProgress,
    ProgressStatus,
    Verb,
)
from lms.progress.signals import lesson_completed

__all__ = [
    "CLIENT_VERBS",
    "HEARTBEAT_MAX_SECONDS",
    "MAX_BATCH",
    "MAX_RESULT_BYTES",
    "BatchResult",
    "CourseProgress",
    "DailyActivity",
    "ItemResult",
    "LessonProgress",
    "Verb",
    "course_progress_for",
    "export_personal_data",
    "lesson_completed",
    "lesson_status_for",
    "rebuild_progress",
    "record_events",
    "record_server_event",
    "resume_step",
]

# Verbs a client may send. Passing or failing an assessment is decided by the server.
CLIENT_VERBS = {Verb.STARTED, Verb.PROGRESSED, Verb.COMPLETED}
MAX_BATCH = 500
MAX_RESULT_BYTES = 2048
# A heartbeat counts at most this many seconds, and one per minute of the client's clock:
# a tab left open (or a client that repeats itself) cannot inflate time on task.
HEARTBEAT_MAX_SECONDS = 60
FUTURE_TOLERANCE = timedelta(minutes=5)
COMPLETING_VERBS = {Verb.COMPLETED, Verb.PASSED}


@dataclass
class ItemResult:
    id: Any
    status: str  # "accepted", "duplicate" or "rejected"
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = {"id": self.id, "status": self.status}
        if self.errors:
            data["errors"] = self.errors
        return data


@dataclass
class BatchResult:
    items: list[ItemResult]
    completed_course_ids: list[int] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)


def _error(code: str, message: str) -> dict:
    return {"code": code, "message": message}


@dataclass
class _Valid:
    index: int
    uuid: uuid_module.UUID
    verb: str
    object_id: int
    timestamp: datetime
    result: dict


def _parse(item: Any, now: datetime, *, client: bool) -> tuple[_Valid | None, list[dict]]:
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
    if errors:
        return None, errors
    return _Valid(0, event_uuid, verb, object_id, timestamp, result), []


def record_events(
    *, user, items: list, source: str = "api", client: bool = True, now: datetime | None = None
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
                _record_days(user_id=user.pk, events=new_rows)
                completed = _recompute(
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
    user,
    verb: str,
    page_id: int,
    result: dict | None = None,
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


# --- Derived state ---------------------------------------------------------------------------


def _record_days(*, user_id: int, events) -> None:
    """Note the (course, local day) pairs these events fall on; a set, so applying events
    twice or out of order changes nothing."""
    days = {
        (e.course_id, timezone.localdate(e.client_timestamp, timezone.get_default_timezone()))
        for e in events
    }
    DailyActivity.objects.bulk_create(
        [DailyActivity(user_id=user_id, course_id=c, day=d) for c, d in sorted(days)],
        ignore_conflicts=True,
    )


def _heartbeat_seconds(heartbeats: list[tuple[datetime, Any]]) -> int:
    by_minute: dict[datetime, float] = {}
    for timestamp, duration in heartbeats:
        minute = timestamp.replace(second=0, microsecond=0)
        seconds = min(float(duration or 0), HEARTBEAT_MAX_SECONDS)
        by_minute[minute] = max(by_minute.get(minute, 0.0), seconds)
    return round(sum(by_minute.values()))


def _recompute(
    *, user_id: int, page_ids: set[int], course_ids: set[int], announce: bool = True
) -> list[int]:
    """Rebuild the learner's rows for these pages and courses from the log. Returns the
    courses whose completion rule held for the first time. With ``announce``, steps that
    became completed are announced (``lesson_completed``) once the transaction commits."""
    already_completed = set(
        LessonProgress.objects.filter(
            user_id=user_id, page_id__in=page_ids, status=ProgressStatus.COMPLETED
        ).values_list("page_id", flat=True)
    )
    events = defaultdict(list)
    for row in LearningEvent.objects.filter(user_id=user_id, object_id__in=page_ids).values_list(
        "object_id", "course_id", "verb", "client_timestamp", "result"
    ):
        events[row[0]].append(row)
    rows = []
    for page_id, page_events in events.items():
        timestamps = [e[3] for e in page_events]
        completions = [e[3] for e in page_events if e[2] in COMPLETING_VERBS]
        completed_at = min(completions) if completions else None
        rows.append(
            LessonProgress(
                user_id=user_id,
                page_id=page_id,
                course_id=page_events[0][1],
                status=ProgressStatus.COMPLETED if completed_at else ProgressStatus.STARTED,
                started_at=min(timestamps),
                completed_at=completed_at,
                last_activity_at=max(timestamps),
                time_spent_seconds=_heartbeat_seconds(
                    [
                        (e[3], (e[4] or {}).get("duration"))
                        for e in page_events
                        if e[2] == Verb.PROGRESSED
                    ]
                ),
            )
        )
    LessonProgress.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "page_id"],
        update_fields=[
            "status",
            "started_at",
            "completed_at",
            "last_activity_at",
            "time_spent_seconds",
            "course_id",
        ],
    )
    if announce:
        for row in rows:
            if row.status == ProgressStatus.COMPLETED and row.page_id not in already_completed:
                transaction.on_commit(
                    partial(
                        lesson_completed.send_robust,
                        sender=LessonProgress,
                        user_id=user_id,
                        page_id=row.page_id,
                        course_id=row.course_id,
                        completed_at=row.completed_at,
                    )
                )
    return _recompute_courses(user_id=user_id, course_ids=course_ids)


def _recompute_courses(*, user_id: int, course_ids: set[int]) -> list[int]:
    structure = courses_api.course_steps(course_ids=course_ids)
    lessons = defaultdict(list)
    for row in LessonProgress.objects.filter(user_id=user_id, course_id__in=course_ids).values(
        "page_id", "course_id", "status", "completed_at", "last_activity_at", "time_spent_seconds"
    ):
        lessons[row["course_id"]].append(row)
    rows, newly_completed = [], []
    for course_id in course_ids:
        steps = structure.get(course_id)
        required = steps.required_ids if steps else set()
        progress = lessons.get(course_id, [])
        done = {
            p["page_id"]: p["completed_at"]
            for p in progress
            if p["status"] == ProgressStatus.COMPLETED and p["page_id"] in required
        }
        last = max(progress, key=lambda p: (p["last_activity_at"], p["page_id"]), default=None)
        rows.append(
            CourseProgress(
                user_id=user_id,
                course_id=course_id,
                required_total=len(required),
                required_done=len(done),
                percent=(100 * len(done) // len(required)) if required else 0,
                last_page_id=last["page_id"] if last else None,
                last_activity_at=last["last_activity_at"] if last else None,
                time_spent_seconds=sum(p["time_spent_seconds"] for p in progress),
            )
        )
        if (
            required
            and len(done) == len(required)
            and enrollment_api.mark_completed(
                user_id=user_id, course_id=course_id, when=max(done.values())
            )
        ):
            newly_completed.append(course_id)
    CourseProgress.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "course_id"],
        update_fields=[
            "required_total",
            "required_done",
            "percent",
            "last_page_id",
            "last_activity_at",
            "time_spent_seconds",
        ],
    )
    return newly_completed


@transaction.atomic
def rebuild_progress(*, user_id: int | None = None) -> int:
    """Rebuild derived progress from the event log (all learners, or one). Returns how
    many learners were rebuilt. Safe to run at any time; used after a course's required
    lessons change."""
    events = LearningEvent.objects.all()
    if user_id is not None:
        events = events.filter(user_id=user_id)
    pairs = defaultdict(lambda: (set(), set(), set()))
    for uid, page_id, course_id, timestamp in events.values_list(
        "user_id", "object_id", "course_id", "client_timestamp"
    ):
        pairs[uid][0].add(page_id)
        pairs[uid][1].add(course_id)
        pairs[uid][2].add(
            (course_id, timezone.localdate(timestamp, timezone.get_default_timezone()))
        )
    days = DailyActivity.objects.all()
    if user_id is not None:
        days = days.filter(user_id=user_id)
    days.delete()
    for uid, (page_ids, course_ids, studied) in pairs.items():
        # A rebuild announces nothing: what it finds completed was announced when it happened.
        _recompute(user_id=uid, page_ids=page_ids, course_ids=course_ids, announce=False)
        DailyActivity.objects.bulk_create(
            [DailyActivity(user_id=uid, course_id=c, day=d) for c, d in sorted(studied)]
        )
    return len(pairs)


# --- Reads ---------------------------------------------------------------------------------


def course_progress_for(*, user_id: int, course_ids) -> dict[int, CourseProgress]:
    return {
        p.course_id: p
        for p in CourseProgress.objects.filter(user_id=user_id, course_id__in=list(course_ids))
    }


def lesson_status_for(*, user_id: int, page_ids) -> dict[int, LessonProgress]:
    return {
        p.page_id: p
        for p in LessonProgress.objects.filter(user_id=user_id, page_id__in=list(page_ids))
    }


def resume_step(
    *,
    steps: courses_api.CourseSteps,
    progress: CourseProgress | None,
    statuses: dict[int, LessonProgress],
):
    """Where "Continuar" goes: the last page they worked on if unfinished, else the next
    unfinished step after it, else the first unfinished step; None when all is done."""
    order = steps.steps
    if not order:
        return None

    def unfinished(step) -> bool:
        status = statuses.get(step.page_id)
        return status is None or status.status != ProgressStatus.COMPLETED

    ids = [s.page_id for s in order]
    if progress and progress.last_page_id in ids:
        start = ids.index(progress.last_page_id)
        if unfinished(order[start]):
            return order[start]
        for step in order[start + 1 :] + order[:start]:
            if unfinished(step):
                return step
        return None
    return next((s for s in order if unfinished(s)), None)


def export_personal_data(user) -> dict:
    return {
        "eventos": [
            {
                "id": str(e.uuid),
                "verbo": e.verb,
                "pagina": e.object_id,
                "fecha": e.client_timestamp.isoformat(),
                "resultado": e.result,
            }
            for e in LearningEvent.objects.filter(user=user).order_by("client_timestamp")
        ],
        "avance_por_leccion": [
            {
                "pagina": p.page_id,
                "estado": p.status,
                "terminada_el": p.completed_at.isoformat() if p.completed_at else None,
                "segundos_de_estudio": p.time_spent_seconds,
            }
            for p in LessonProgress.objects.filter(user=user)
        ],
    }
