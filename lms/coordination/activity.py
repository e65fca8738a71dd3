"""When and where learners in scope study: weekly activity and, for one course, where
they stop (per-lesson drop-off). Each a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.dateparse import parse_date

from courses import api as courses_api
from lms.coordination.learners import _members
from lms.enrollment.read_models import Enrollment
from lms.progress.read_models import CourseProgress, DailyActivity, LessonProgress

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from lms.enrollment.read_models import Grupo, Sede

# --- Weekly activity ---------------------------------------------------------------------


@dataclass
class Week:
    start: date
    learners: int


def weekly_activity(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    course_id: int | None = None,
    weeks: int = 12,
    now: datetime | None = None,
) -> list[Week]:
    """Learners who studied each week (Monday to Sunday), the last ``weeks`` weeks, oldest
    first, from the derived daily activity. One query."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    days = DailyActivity.objects.filter(user_id__in=_members(sedes, grupo), day__gte=first)
    if course_id is not None:
        days = days.filter(course_id=course_id)
    # Distinct (week, learner) pairs, then counted per week: COUNT(DISTINCT …) per week
    # sorts every day of study (140,000 rows for an administrator over 10,000 learners);
    # the pairs come out of a hash instead.
    pairs_sql, parameters = (
        days.annotate(week=TruncWeek("day"))
        .values("week", "user_id")
        .distinct()
        .order_by()
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pairs.week, COUNT(*) FROM ({pairs_sql}) pairs GROUP BY pairs.week",  # noqa: S608 (compiled by the ORM; values are parameters)
            parameters,
        )
        rows = cursor.fetchall()
    # PostgreSQL gives the week's start as a timestamp, SQLite as text.
    counts = {
        parse_date(week) if isinstance(week, str) else _as_date(week): learners
        for week, learners in rows
    }
    return [
        Week(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0))
        for i in range(weeks)
    ]


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- Per-lesson drop-off ------------------------------------------------------------------


@dataclass
class LessonStop:
    page_id: int
    title: str
    kind: str
    required: bool
    started: int = 0
    completed: int = 0
    stopped_here: int = 0  # last place of learners who have not finished the course
    completion_percent: int = 0


@dataclass
class DropOff:
    enrolled: int
    steps: list[LessonStop] = field(default_factory=list)

    def chart(self) -> list[tuple[str, int]]:
        return [(f"{n}. {step.title}", step.completed) for n, step in enumerate(self.steps, 1)]


def lesson_drop_off(
    *, sedes: Sequence[Sede] | QuerySet[Sede], course_id: int, grupo: Grupo | None = None
) -> DropOff:
    """For one course, per step: how many learners in scope started it, finished it, and
    how many unfinished learners were last seen there ("se quedaron aquí"). Five
    queries: the course's steps (3), lesson progress grouped by page, and the last pages
    of unfinished learners grouped by page."""
    structure = courses_api.course_steps(course_ids=[course_id]).get(course_id)
    active = Enrollment.objects.filter(
        course_id=course_id, withdrawn_at__isnull=True, user_id__in=_members(sedes, grupo)
    )
    per_page = {
        row["page_id"]: row
        for row in LessonProgress.objects.filter(
            course_id=course_id, user_id__in=active.values("user_id")
        )
        .values("page_id")
        .annotate(
            started=Count("pk"),
            completed=Count("pk", filter=Q(status="completed")),
        )
        .order_by()
    }
    stopped = dict(
        CourseProgress.objects.filter(
            course_id=course_id,
            user_id__in=active.filter(completed_at__isnull=True).values("user_id"),
        )
        .values("last_page_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("last_page_id", "n")
    )
    enrolled = active.count()
    steps: list[LessonStop] = []
    for step in structure.steps if structure else []:
        row = per_page.get(step.page_id, {})
        completed = row.get("completed", 0)
        steps.append(
            LessonStop(
                step.page_id,
                step.title,
                step.kind,
                step.required,
                started=row.get("started", 0),
                completed=completed,
                stopped_here=stopped.get(step.page_id, 0),
                completion_percent=round(100 * completed / enrolled) if enrolled else 0,
            )
        )
    return DropOff(enrolled, steps)
