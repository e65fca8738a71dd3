"""Derived progress: the rows of lessons, courses and study days, recomputed from the whole
event log.

Because derived state is a function of the set of events (minimums, maximums, a sum over
de-duplicated heartbeats), applying a batch twice, or events out of order, gives the same
final state as a clean sequence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from courses import api as courses_api
from lms import sql
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

# A heartbeat says "the learner studied for ``duration`` seconds up to ``timestamp``" (the
# client sends one every 30 s while the page is visible and the learner active). Time on
# task is the length of the union of those intervals, each at most this long: a repeated
# or overlapping heartbeat adds nothing, and a tab left open cannot count more than the
# wall-clock time the client says was active.
HEARTBEAT_MAX_SECONDS = 60
COMPLETING_VERBS = {Verb.COMPLETED, Verb.PASSED}
_LESSON_FIELDS = (
    "page_id",
    "course_id",
    "status",
    "completed_at",
    "last_activity_at",
    "time_spent_seconds",
)
_EVENT_FIELDS = ("object_id", "course_id", "verb", "client_timestamp", "result")

# The reads and writes below run for every heartbeat batch, so they are written out
# (``lms.sql``) instead of built with the ORM each time; tests compare them with the ORM.


def _lesson_rows(user_id: int, page_ids: set[int], course_ids: set[int]) -> list[dict[str, Any]]:
    """The learner's lesson rows of these pages or courses (``_LESSON_FIELDS``)."""
    scopes, parameters = [], [user_id]
    for name, ids in (("page_id", page_ids), ("course_id", course_ids)):
        if ids:
            scopes.append(f"{sql.column(LessonProgress, name)} IN ({sql.marks(len(ids))})")
            parameters += sorted(ids)
    if not scopes:
        return []
    rows = sql.values(
        LessonProgress,
        _LESSON_FIELDS,
        where=f"{sql.column(LessonProgress, 'user')} = %s AND ({' OR '.join(scopes)})",
        parameters=parameters,
    )
    return [dict(zip(_LESSON_FIELDS, row, strict=True)) for row in rows]


def _page_events(user_id: int, page_ids: set[int]) -> list[tuple[Any, ...]]:
    """The learner's events on these pages (``_EVENT_FIELDS``)."""
    if not page_ids:
        return []
    return sql.values(
        LearningEvent,
        _EVENT_FIELDS,
        where=(
            f"{sql.column(LearningEvent, 'user')} = %s AND "
            f"{sql.column(LearningEvent, 'object_id')} IN ({sql.marks(len(page_ids))})"
        ),
        parameters=[user_id, *sorted(page_ids)],
    )


def record_days(*, user_id: int, events: Iterable[LearningEvent]) -> None:
    """Note the (course, local day) pairs these events fall on; a set, so applying events
    twice or out of order changes nothing."""
    days = {
        (e.course_id, timezone.localdate(e.client_timestamp, timezone.get_default_timezone()))
        for e in events
    }
    sql.insert_new(
        DailyActivity,
        [DailyActivity(user_id=user_id, course_id=c, day=d) for c, d in sorted(days)],
    )


def _heartbeat_seconds(heartbeats: list[tuple[datetime, Any]]) -> int:
    intervals = []
    for timestamp, duration in heartbeats:
        seconds = min(float(duration or 0), HEARTBEAT_MAX_SECONDS)
        if seconds > 0:
            end = timestamp.timestamp()
            intervals.append((end - seconds, end))
    intervals.sort()
    total, covered_to = 0.0, float("-inf")
    for start, end in intervals:
        if end <= covered_to:
            continue
        total += end - max(start, covered_to)
        covered_to = end
    return round(total)


def recompute(
    *,
    user_id: int,
    page_ids: set[int],
    course_ids: set[int],
    announce: bool = True,
    structure: dict[int, courses_api.CourseSteps] | None = None,
) -> list[int]:
    """Rebuild the learner's rows for these pages and courses from the log. Returns the
    courses whose completion rule held for the first time. With ``announce``, steps that
    became completed are announced (``lesson_completed``) once the transaction commits.
    ``structure`` is the courses' steps when the caller has read them already."""
    # The learner's rows for these pages and courses as they are: what was completed
    # already, and (updated below) what course progress is computed from.
    lessons = {row["page_id"]: row for row in _lesson_rows(user_id, page_ids, course_ids)}
    already_completed = {
        page_id
        for page_id, row in lessons.items()
        if page_id in page_ids and row["status"] == ProgressStatus.COMPLETED
    }
    events = defaultdict(list)
    for event in _page_events(user_id, page_ids):
        events[event[0]].append(event)
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
    sql.upsert(
        LessonProgress,
        rows,
        unique=["user", "page_id"],
        update=[
            "status",
            "started_at",
            "completed_at",
            "last_activity_at",
            "time_spent_seconds",
            "course_id",
        ],
    )
    for row in rows:
        lessons[row.page_id] = {name: getattr(row, name) for name in _LESSON_FIELDS}
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
    by_course: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    for lesson in lessons.values():
        by_course[lesson["course_id"]].append(lesson)
    return _recompute_courses(
        user_id=user_id, course_ids=course_ids, structure=structure, lessons=by_course
    )


def _recompute_courses(
    *,
    user_id: int,
    course_ids: set[int],
    structure: dict[int, courses_api.CourseSteps] | None,
    lessons: dict[int, list[dict[str, Any]]],
) -> list[int]:
    if structure is None or not course_ids <= structure.keys():
        structure = courses_api.course_steps(course_ids=course_ids)
    rows, newly_completed = [], []
    for course_id in course_ids:
        steps = structure.get(course_id)
        required = steps.required_ids if steps else set()
        progress = lessons.get(course_id, [])
        done = {
            p["page_id"]: p["completed_at"]
            for p in progress
            if p["status"] == ProgressStatus.COMPLETED
            # Always set when completed (constraint "lessonprogress_completed_has_time").
            and p["completed_at"] is not None
            and p["page_id"] in required
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
    sql.upsert(
        CourseProgress,
        rows,
        unique=["user", "course_id"],
        update=[
            "required_total",
            "required_done",
            "percent",
            "last_page_id",
            "last_activity_at",
            "time_spent_seconds",
        ],
    )
    return newly_completed


def lock_learner(user_id: int, *, time_only: bool = False) -> None:
    """Serialise everything that rewrites one learner's progress (ingestion, rebuild):
    a row lock on the learner, held until the caller's transaction ends. Other learners
    never wait.

    ``time_only``: the transaction records only time of study (heartbeats). On
    PostgreSQL it then commits without waiting for the disk (``synchronous_commit``
    off for this transaction only, set in the same statement): the commit returns in
    0.05 ms instead of a disk flush (4 ms on the benchmark machine), and a node serves
    more learners. What that risks, and only if the database server itself crashes: the
    last fraction of a second of heartbeats it acknowledged (PostgreSQL flushes them
    within 3 × ``wal_writer_delay``, 0.6 s by default), never consistency. Completions,
    passes and everything else commit as usual."""
    user = get_user_model()
    columns = sql.column(user, "id")
    # SQLite has no row locks: its writers are serialised by the database lock.
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE"
        if time_only and connection.vendor == "postgresql":
            columns += ", set_config('synchronous_commit', 'off', true)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {sql.table(user)} "  # noqa: S608 (names from the model)
            f"WHERE {sql.column(user, 'id')} = %s{lock}",
            [user_id],
        )
        cursor.fetchall()


def rebuild_progress(*, user_id: int | None = None) -> int:
    """Rebuild derived progress from the event log (all learners, or one). Returns how
    many learners were rebuilt. Safe to run at any time, also while learners study: each
    learner is rebuilt in a transaction of its own under the same lock as ingestion, so a
    batch arriving meanwhile waits and then applies on top. Used after a course's
    required lessons change."""
    events = LearningEvent.objects.all()
    if user_id is not None:
        events = events.filter(user_id=user_id)
    learners = sorted(set(events.values_list("user_id", flat=True)))
    for uid in learners:
        with transaction.atomic():
            lock_learner(uid)
            _rebuild_learner(uid)
    return len(learners)


def _rebuild_learner(user_id: int) -> None:
    page_ids: set[int] = set()
    course_ids: set[int] = set()
    studied: set[tuple[int, date]] = set()
    for page_id, course_id, timestamp in LearningEvent.objects.filter(user_id=user_id).values_list(
        "object_id", "course_id", "client_timestamp"
    ):
        page_ids.add(page_id)
        course_ids.add(course_id)
        studied.add((course_id, timezone.localdate(timestamp, timezone.get_default_timezone())))
    DailyActivity.objects.filter(user_id=user_id).delete()
    # A rebuild announces nothing: what it finds completed was announced when it happened.
    recompute(user_id=user_id, page_ids=page_ids, course_ids=course_ids, announce=False)
    DailyActivity.objects.bulk_create(
        [DailyActivity(user_id=user_id, course_id=c, day=d) for c, d in sorted(studied)]
    )
