"""Derived progress: the rows of lessons, courses and study days, functions of the event log.

Derived state is a function of the set of events (minimums, maximums, the length of a
union of heartbeat intervals), so applying a batch twice, or events out of order, gives
the same final state as a clean sequence. A batch updates a lesson's row from the row and
its new events alone when it can (a minimum stays a minimum; a heartbeat after the ones
counted adds its own interval); a heartbeat that arrives out of order, or a row from
before time on task was kept exactly, is recomputed from the lesson's whole log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
    "started_at",
    "completed_at",
    "last_activity_at",
    "time_spent_seconds",
    "study_microseconds",
    "study_last_start",
    "study_end",
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


_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - _UNIX) // _MICROSECOND


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else _UNIX + timedelta(microseconds=micros)


def _interval(timestamp: datetime, duration: Any) -> tuple[int, int] | None:
    """A heartbeat's interval in microseconds: ``duration`` seconds (at most
    ``HEARTBEAT_MAX_SECONDS``) up to ``timestamp``; None when it covers no time."""
    try:
        length = round(min(float(duration or 0), HEARTBEAT_MAX_SECONDS) * 1_000_000)
    except (TypeError, ValueError):
        return None
    if length <= 0:
        return None
    end = _micros(timestamp)
    return end - length, end


@dataclass(frozen=True)
class StudyTime:
    """A lesson's time on task: the length of the union of its heartbeat intervals, in
    whole microseconds (so adding intervals one batch at a time gives exactly what the
    whole log gives), with where the union stands: the latest start and the end."""

    microseconds: int = 0
    last_start: int | None = None
    end: int | None = None

    @property
    def seconds(self) -> int:
        """Whole seconds, half a second rounded up."""
        return (self.microseconds + 500_000) // 1_000_000

    def add(self, intervals: Iterable[tuple[int, int]]) -> StudyTime | None:
        """This time with ``intervals`` added; None when one starts before an interval
        already counted (then only the whole log gives the union).

        A sweep in order of start: the union so far covers everything from the start of
        any interval counted up to ``end``, so an interval starting no earlier adds just
        its part beyond ``end``."""
        total, last_start, covered = self.microseconds, self.last_start, self.end
        for start, end in sorted(intervals):
            if last_start is not None and start < last_start:
                return None
            if covered is None or end > covered:
                total += end - (start if covered is None else max(start, covered))
                covered = end
            last_start = start
        return StudyTime(total, last_start, covered)

    @classmethod
    def of(cls, row: dict[str, Any]) -> StudyTime | None:
        """The time kept on a lesson row; None on a row from before it was kept."""
        if row["study_microseconds"] is None:
            return None
        last_start, end = row["study_last_start"], row["study_end"]
        return cls(
            row["study_microseconds"],
            None if last_start is None else _micros(last_start),
            None if end is None else _micros(end),
        )


def _intervals(heartbeats: Iterable[tuple[datetime, Any]]) -> list[tuple[int, int]]:
    """The intervals of these (timestamp, duration) heartbeats that cover some time."""
    return [i for i in (_interval(when, duration) for when, duration in heartbeats) if i]


def _study_time(heartbeats: Iterable[tuple[datetime, Any]]) -> StudyTime:
    """The time on task of these (timestamp, duration) heartbeats, from nothing."""
    added = StudyTime().add(_intervals(heartbeats))
    assert added is not None  # from nothing, in order: never refused
    return added


def _lesson_row(
    user_id: int,
    page_id: int,
    course_id: int,
    timestamps: list[datetime],
    completions: list[datetime],
    study: StudyTime,
) -> LessonProgress:
    completed_at = min(completions) if completions else None
    return LessonProgress(
        user_id=user_id,
        page_id=page_id,
        course_id=course_id,
        status=ProgressStatus.COMPLETED if completed_at else ProgressStatus.STARTED,
        started_at=min(timestamps),
        completed_at=completed_at,
        last_activity_at=max(timestamps),
        time_spent_seconds=study.seconds,
        study_microseconds=study.microseconds,
        study_last_start=_moment(study.last_start),
        study_end=_moment(study.end),
    )


def _added_to(
    user_id: int, page_id: int, row: dict[str, Any] | None, events: list[LearningEvent]
) -> LessonProgress | None:
    """The lesson's row with these new events added, from the row alone; None when only
    the whole log can say: a row from before time on task was kept, an event of another
    course, a heartbeat before one already counted.

    No row means no events before these: a row is written in the transaction that
    stores a page's first events, and never deleted without them (only with the account).
    """
    course_id = row["course_id"] if row else events[0].course_id
    study = StudyTime.of(row) if row else StudyTime()
    if study is None or any(e.course_id != course_id for e in events):
        return None
    study = study.add(
        _intervals(
            (e.client_timestamp, (e.result or {}).get("duration"))
            for e in events
            if e.verb == Verb.PROGRESSED
        )
    )
    if study is None:
        return None
    timestamps = [e.client_timestamp for e in events]
    completions = [e.client_timestamp for e in events if e.verb in COMPLETING_VERBS]
    if row:
        timestamps += [row["started_at"], row["last_activity_at"]]
        if row["completed_at"] is not None:
            completions.append(row["completed_at"])
    return _lesson_row(user_id, page_id, course_id, timestamps, completions, study)


def recompute(
    *,
    user_id: int,
    page_ids: set[int],
    course_ids: set[int],
    announce: bool = True,
    structure: dict[int, courses_api.CourseSteps] | None = None,
    new_events: Iterable[LearningEvent] = (),
) -> list[int]:
    """Bring the learner's rows for these pages and courses up to date with the log.
    Returns the courses whose completion rule held for the first time. With ``announce``,
    steps that became completed are announced (``lesson_completed``) once the transaction
    commits. ``structure`` is the courses' steps when the caller has read them already.

    ``new_events``: the events just stored, all of them, when the rows are otherwise
    up to date (ingestion). A lesson's row is then updated from the row and its new
    events, where that gives what the whole log gives; every other page in ``page_ids``
    is recomputed from its whole log."""
    # The learner's rows for these pages and courses as they are: what was completed
    # already, and (updated below) what course progress is computed from.
    lessons = {row["page_id"]: row for row in _lesson_rows(user_id, page_ids, course_ids)}
    already_completed = {
        page_id
        for page_id, row in lessons.items()
        if page_id in page_ids and row["status"] == ProgressStatus.COMPLETED
    }
    added: defaultdict[int, list[LearningEvent]] = defaultdict(list)
    for event in new_events:
        added[event.object_id].append(event)
    rows = []
    whole_log = set()
    for page_id in page_ids:
        fresh = added.get(page_id)
        updated = _added_to(user_id, page_id, lessons.get(page_id), fresh) if fresh else None
        if updated is None:
            whole_log.add(page_id)
        else:
            rows.append(updated)
    logs = defaultdict(list)
    for logged in _page_events(user_id, whole_log):
        logs[logged[0]].append(logged)
    for page_id, page_events in logs.items():
        rows.append(
            _lesson_row(
                user_id,
                page_id,
                page_events[0][1],
                [e[3] for e in page_events],
                [e[3] for e in page_events if e[2] in COMPLETING_VERBS],
                _study_time(
                    (e[3], (e[4] or {}).get("duration"))
                    for e in page_events
                    if e[2] == Verb.PROGRESSED
                ),
            )
        )
    # Written with the course rows (``_recompute_courses``): one statement on PostgreSQL.
    lesson_rows = sql.Upsert(
        LessonProgress,
        rows,
        unique=["user", "page_id"],
        update=[name for name in _LESSON_FIELDS if name != "page_id"],
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
        user_id=user_id,
        course_ids=course_ids,
        structure=structure,
        lessons=by_course,
        lesson_rows=lesson_rows,
    )


def _recompute_courses(
    *,
    user_id: int,
    course_ids: set[int],
    structure: dict[int, courses_api.CourseSteps] | None,
    lessons: dict[int, list[dict[str, Any]]],
    lesson_rows: sql.Upsert,
) -> list[int]:
    """The learner's course rows from their lesson rows (``lessons``, as updated), written
    together with the updated lesson rows (``lesson_rows``)."""
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
    sql.upsert_together(
        lesson_rows,
        sql.Upsert(
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
        ),
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
