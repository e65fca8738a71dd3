"""Coordinator dashboard figures, aggregated in the database: a fixed number of queries
whatever the number of sedes, grupos, learners, enrollments or events.

Every function takes the sedes to look at (already narrowed to the viewer's scope by
``enrollment_api.sedes_in_scope``) and counts only learners in grupos of those sedes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Page

from courses import api as courses_api
from lms.assessments.api import Attempt
from lms.certificates.api import Certificate
from lms.enrollment import api as enrollment_api
from lms.enrollment.api import Enrollment, Membership
from lms.progress.api import CourseProgress, DailyActivity, LessonProgress


@dataclass
class Figures:
    label: str
    enrolled: int = 0
    active_7: int = 0
    active_30: int = 0
    started: int = 0
    halfway: int = 0
    completed: int = 0
    certified: int = 0
    average_final: Decimal | None = None
    at_risk: int = 0  # learners (not enrollments) at risk, see ``at_risk``
    key: object = None  # the sede, grupo or course the row is about

    @property
    def completion_rate(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0

    def funnel(self) -> list[tuple[str, int]]:
        """The steps from enrolling to a certificate, for the funnel chart."""
        return [
            (_("Inscritos"), self.enrolled),
            (_("Empezaron"), self.started),
            (_("A la mitad"), self.halfway),
            (_("Concluyeron"), self.completed),
            (_("Con constancia"), self.certified),
        ]


def _members(sedes, grupo=None):
    return enrollment_api.memberships_in_scope(sedes=sedes, grupo=grupo).values("user_id")


# The figures are one SQL statement: enrollments joined once to course progress, the valid
# certificate and the best final-exam score (each at most one row per enrollment), and to
# the *distinct* (learner, sede|grupo) pairs in scope, so plain counts are exact even for a
# learner in two grupos. The ORM would need a correlated subquery per column, which on
# 100,000 enrollments is ten times slower. Portable SQL: it runs on SQLite and PostgreSQL.
# Who counts as a learner in scope is decided by the ORM
# (``enrollment_api.memberships_in_scope``), compiled into the statement as a subquery.
_FIGURES_SQL = """
SELECT {key} AS k,
  COUNT(*) AS enrolled,
  SUM(CASE WHEN cp.last_activity_at >= %s THEN 1 ELSE 0 END) AS active_7,
  SUM(CASE WHEN cp.last_activity_at >= %s THEN 1 ELSE 0 END) AS active_30,
  SUM(CASE WHEN cp.last_activity_at IS NOT NULL THEN 1 ELSE 0 END) AS started,
  SUM(CASE WHEN cp.percent >= 50 THEN 1 ELSE 0 END) AS halfway,
  SUM(CASE WHEN e.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS completed,
  SUM(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END) AS certified,
  SUM(best.score) AS final_sum,
  COUNT(best.score) AS final_count,
  COUNT(DISTINCT CASE WHEN e.completed_at IS NULL AND u.is_active AND (
      cp.last_activity_at < %s
      OR (cp.last_activity_at IS NULL AND e.enrolled_at < %s)
      OR failing.user_id IS NOT NULL
  ) THEN e.user_id END) AS at_risk
FROM {enrollment} e
JOIN (
  SELECT DISTINCT m.user_id{member_key} FROM ({members}) m
) s ON s.user_id = e.user_id
JOIN {user} u ON u.id = e.user_id
JOIN {course} course ON course.page_ptr_id = e.course_id
LEFT JOIN {progress} cp ON cp.user_id = e.user_id AND cp.course_id = e.course_id
LEFT JOIN {certificate} c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
LEFT JOIN (
  SELECT user_id, assessment_id, MAX(score) AS score FROM {attempt}
  GROUP BY user_id, assessment_id
) best ON best.user_id = e.user_id AND best.assessment_id = course.final_assessment_id
LEFT JOIN (
  SELECT DISTINCT user_id, course_id FROM (
    SELECT user_id, course_id FROM {attempt} WHERE course_id IS NOT NULL
    GROUP BY user_id, course_id, assessment_id
    HAVING SUM(CASE WHEN passed THEN 0 ELSE 1 END) >= %s
       AND SUM(CASE WHEN passed THEN 1 ELSE 0 END) = 0
  ) repeated
) failing ON failing.user_id = e.user_id AND failing.course_id = e.course_id
WHERE e.withdrawn_at IS NULL{course_filter}
GROUP BY {key}
"""

FIELDS = (
    "enrolled",
    "active_7",
    "active_30",
    "started",
    "halfway",
    "completed",
    "certified",
    "at_risk",
)


def _figure_rows(
    *, by: str | None, sede_ids, grupo_ids=None, course_id=None, now
) -> dict[object, dict]:
    """Aggregate rows keyed by sede id, grupo id or course id (``by`` = "sede", "grupo",
    "course"), or a single row keyed None (``by`` = None). One query."""
    sede_ids = [int(pk) for pk in sede_ids]
    if not sede_ids:
        return {}
    member_key = {"sede": ", m.sede_id AS k", "grupo": ", m.grupo_id AS k"}.get(by, "")
    key = {"sede": "s.k", "grupo": "s.k", "course": "e.course_id"}.get(by, "1")
    adapt = connection.ops.adapt_datetimefield_value
    risk_cutoff = adapt(now - timedelta(days=at_risk_days()))
    members = enrollment_api.memberships_in_scope(sedes=sede_ids)
    if grupo_ids is not None:
        if not grupo_ids:
            return {}
        members = members.filter(grupo_id__in=[int(pk) for pk in grupo_ids])
    members_sql, members_params = (
        members.values("user_id", "grupo_id", sede_id=F("grupo__sede_id"))
        .order_by()
        .query.sql_with_params()
    )
    params: list = [
        adapt(now - timedelta(days=7)),
        adapt(now - timedelta(days=30)),
        risk_cutoff,
        risk_cutoff,
        *members_params,
        at_risk_failed_attempts(),
    ]
    course_filter = ""
    if course_id is not None:
        course_filter = " AND e.course_id = %s"
        params.append(int(course_id))
    sql = _FIGURES_SQL.format(
        key=key,
        member_key=member_key,
        members=members_sql,
        course_filter=course_filter,
        enrollment=Enrollment._meta.db_table,
        user=get_user_model()._meta.db_table,
        course=courses_api.CoursePage._meta.db_table,
        progress=CourseProgress._meta.db_table,
        certificate=Certificate._meta.db_table,
        attempt=Attempt._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    return {(row["k"] if by else None): row for row in rows}


def _figures(label, row, key=None) -> Figures:
    count = row.get("final_count") or 0
    average = Decimal(str(row["final_sum"])) / count if count else None
    return Figures(
        label,
        **{k: int(row.get(k) or 0) for k in FIELDS},
        average_final=average,
        key=key,
    )


def _sede_ids(sedes):
    return (
        [s.pk for s in sedes]
        if isinstance(sedes, list | tuple)
        else list(sedes.values_list("pk", flat=True))
    )


def total_figures(*, sedes, grupo=None, course_id=None, label="", now=None) -> Figures:
    """One row for everything in scope (optionally one grupo and/or one course). A learner
    in two grupos counts once. One query."""
    now = now or timezone.now()
    rows = _figure_rows(
        by=None,
        sede_ids=_sede_ids(sedes),
        grupo_ids=[grupo.pk] if grupo is not None else None,
        course_id=course_id,
        now=now,
    )
    return _figures(label or _("Total"), rows.get(None, {}))


def _shared_learners(sede_ids) -> bool:
    """Whether any learner belongs to grupos of two of these sedes. One query."""
    return (
        enrollment_api.memberships_in_scope(sedes=sede_ids)
        .values("user_id")
        .annotate(n=Count("grupo__sede_id", distinct=True))
        .filter(n__gt=1)
        .exists()
    )


def figures_by_sede(*, sedes, now=None) -> tuple[list[Figures], Figures]:
    """Per sede and in total, for the enrollments of the learners of ``sedes``. Two or
    three queries: the aggregate grouped by sede, whether some learner is in two sedes,
    and only then the total counted again (so that learner counts once)."""
    now = now or timezone.now()
    sedes = list(sedes)
    ids = [s.pk for s in sedes]
    rows = _figure_rows(by="sede", sede_ids=ids, now=now)
    result = [_figures(sede.name, rows.get(sede.pk, {}), sede) for sede in sedes]
    label = _("Todas las sedes")
    if len(sedes) > 1 and _shared_learners(ids):
        return result, total_figures(sedes=sedes, label=label, now=now)
    summed = {k: sum(row.get(k) or 0 for row in rows.values()) for k in (*FIELDS, "final_count")}
    summed["final_sum"] = sum((row.get("final_sum") or 0) for row in rows.values())
    return result, _figures(label, summed)


def figures_by_grupo(*, sedes, grupos, now=None) -> list[Figures]:
    """Per grupo (of ``grupos``, already in scope). One query."""
    now = now or timezone.now()
    grupos = list(grupos)
    rows = _figure_rows(
        by="grupo",
        sede_ids=_sede_ids(sedes),
        grupo_ids=[g.pk for g in grupos],
        now=now,
    )
    return [_figures(grupo.name, rows.get(grupo.pk, {}), grupo) for grupo in grupos]


def figures_by_course(*, sedes, grupo=None, now=None) -> list[Figures]:
    """Per course that learners in scope are enrolled in, most enrolled first. Two
    queries: the aggregate grouped by course and the course titles."""
    now = now or timezone.now()
    rows = _figure_rows(
        by="course",
        sede_ids=_sede_ids(sedes),
        grupo_ids=[grupo.pk] if grupo is not None else None,
        now=now,
    )
    titles = dict(
        courses_api.CoursePage.objects.filter(pk__in=list(rows)).values_list("pk", "title")
    )
    ordered = sorted(rows.values(), key=lambda row: (-row["enrolled"], row["k"]))
    return [_figures(titles.get(row["k"], "—"), row, row["k"]) for row in ordered]


# --- Weekly activity ---------------------------------------------------------------------


@dataclass
class Week:
    start: date
    learners: int


def weekly_activity(*, sedes, grupo=None, course_id=None, weeks=12, now=None) -> list[Week]:
    """Learners who studied each week (Monday to Sunday), the last ``weeks`` weeks, oldest
    first, from the derived daily activity. One query."""
    today = timezone.localdate(now or timezone.now(), timezone.get_default_timezone())
    first = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    days = DailyActivity.objects.filter(user_id__in=_members(sedes, grupo), day__gte=first)
    if course_id is not None:
        days = days.filter(course_id=course_id)
    counts = {
        _as_date(row["week"]): row["learners"]
        for row in days.annotate(week=TruncWeek("day"))
        .values("week")
        .annotate(learners=Count("user_id", distinct=True))
        .order_by()
    }
    return [
        Week(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0))
        for i in range(weeks)
    ]


def _as_date(value) -> date:
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


def lesson_drop_off(*, sedes, course_id: int, grupo=None) -> DropOff:
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
    steps = []
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


# --- Learners at risk ---------------------------------------------------------------------


def at_risk_days() -> int:
    return int(getattr(settings, "AULA_AT_RISK_DAYS", 14))


def at_risk_failed_attempts() -> int:
    return int(getattr(settings, "AULA_AT_RISK_FAILED_ATTEMPTS", 2))


def _repeatedly_failed():
    """Per enrollment: some assessment of the course failed at least N times and never
    passed. Reads only the covering index of attempts."""
    return Exists(
        Attempt.objects.filter(user_id=OuterRef("user_id"), course_id=OuterRef("course_id"))
        .values("assessment_id")
        .annotate(
            fails=Count("pk", filter=Q(passed=False)),
            passes=Count("pk", filter=Q(passed=True)),
        )
        .filter(fails__gte=at_risk_failed_attempts(), passes=0)
    )


def at_risk(*, sedes, grupo=None, days: int | None = None, now=None):
    """Active, unfinished enrollments of learners in scope who have not studied the course
    for ``days`` days (counting from enrolling if they never started; default
    ``AULA_AT_RISK_DAYS``) or who failed one of its assessments repeatedly
    (``AULA_AT_RISK_FAILED_ATTEMPTS``) without passing it. Longest inactive first.

    Each row is annotated with ``last`` (last activity), ``last_page_id``, ``inactive``
    (True when the inactivity rule holds) and ``failing`` (the attempts rule)."""
    now = now or timezone.now()
    days = at_risk_days() if days is None else days
    cutoff = now - timedelta(days=days)
    return (
        Enrollment.objects.filter(
            withdrawn_at__isnull=True,
            completed_at__isnull=True,
            user_id__in=_members(sedes, grupo),
            user__is_active=True,
        )
        .annotate(
            # The learner's progress in this course: one LEFT JOIN on (user, course).
            cp=FilteredRelation(
                "user__course_progress",
                condition=Q(user__course_progress__course_id=F("course_id")),
            ),
        )
        .annotate(
            last=F("cp__last_activity_at"),
            last_page_id=F("cp__last_page_id"),
            failing=_repeatedly_failed(),
        )
        .annotate(
            inactive=ExpressionWrapper(
                Q(last__lt=cutoff) | Q(last__isnull=True, enrolled_at__lt=cutoff),
                output_field=BooleanField(),
            ),
        )
        .filter(Q(inactive=True) | Q(failing=True))
        .order_by(F("last").asc(nulls_first=True), "enrolled_at", "pk")
    )


def at_risk_count_by_sede(*, sedes, now=None) -> dict[int, int]:
    """Learners at risk (counted once however many of their courses are) per sede id,
    from the figures statement (one query); the weekly digest uses it."""
    rows = _figure_rows(by="sede", sede_ids=_sede_ids(sedes), now=now or timezone.now())
    return {sede_id: int(row["at_risk"] or 0) for sede_id, row in rows.items()}


def at_risk_learner_count(*, sedes, grupo=None, now=None) -> int:
    """Learners at risk in scope, each counted once. One query."""
    return total_figures(sedes=sedes, grupo=grupo, now=now).at_risk


# --- One learner --------------------------------------------------------------------------


@dataclass
class LessonLine:
    step: object  # courses_api.Step
    progress: LessonProgress | None


@dataclass
class CourseLine:
    enrollment: Enrollment
    progress: CourseProgress | None
    lessons: list[LessonLine]
    attempts: list
    certificates: list


def learner_courses(*, learner) -> list[CourseLine]:
    """Everything a coordinator needs about one learner's courses, in a fixed number of
    queries: enrollments (withdrawn too), the steps of those courses, per-lesson and
    per-course progress, attempts and certificates."""
    enrollments = list(
        Enrollment.objects.filter(user=learner)
        .select_related("course")
        .order_by(F("withdrawn_at").asc(nulls_first=True), "-enrolled_at")
    )
    course_ids = [e.course_id for e in enrollments]
    structure = courses_api.course_steps(course_ids=course_ids)
    lessons = {
        p.page_id: p for p in LessonProgress.objects.filter(user=learner, course_id__in=course_ids)
    }
    courses = {
        p.course_id: p
        for p in CourseProgress.objects.filter(user=learner, course_id__in=course_ids)
    }
    attempts: dict[int, list] = {}
    for attempt in Attempt.objects.filter(user=learner, course_id__in=course_ids).order_by(
        "assessment_id", "number"
    ):
        attempts.setdefault(attempt.course_id, []).append(attempt)
    certificates: dict[int, list] = {}
    for certificate in Certificate.objects.filter(enrollment__in=enrollments).order_by(
        "-issued_at"
    ):
        certificates.setdefault(certificate.enrollment_id, []).append(certificate)
    titles = {step.page_id: step.title for steps in structure.values() for step in steps.steps}
    for course_attempts in attempts.values():
        for attempt in course_attempts:
            attempt.assessment_title = titles.get(attempt.assessment_id, "—")
    return [
        CourseLine(
            enrollment=e,
            progress=courses.get(e.course_id),
            lessons=[
                LessonLine(step, lessons.get(step.page_id))
                for step in (structure[e.course_id].steps if e.course_id in structure else [])
            ],
            attempts=attempts.get(e.course_id, []),
            certificates=certificates.get(e.pk, []),
        )
        for e in enrollments
    ]


def at_risk_rows(*, sedes, grupo=None, days: int | None = None):
    """``at_risk`` with what the list shows: the learner, the course and the learner's
    latest grupo in scope."""
    return (
        at_risk(sedes=sedes, grupo=grupo, days=days)
        .select_related("user", "course")
        .annotate(
            grupo_name=Subquery(
                Membership.objects.filter(user_id=OuterRef("user_id"), grupo__sede__in=sedes)
                .order_by("-joined_at")
                .values("grupo__name")[:1]
            )
        )
    )


def describe_at_risk(rows, *, now=None) -> None:
    """Add ``last_title`` (the page they were last on) and ``days_inactive`` to a page of
    ``at_risk_rows``. One query for the titles."""
    now = now or timezone.now()
    rows = list(rows)
    titles = page_titles(page_ids={r.last_page_id for r in rows if r.last_page_id})
    for row in rows:
        row.last_title = titles.get(row.last_page_id)
        row.days_inactive = (now - (row.last or row.enrolled_at)).days


def grupo_learners(*, grupo):
    """The learners of a grupo with their active courses, completed courses and last
    activity, most recently active first (never-started last). One query per page."""
    last = (
        CourseProgress.objects.filter(user_id=OuterRef("pk"))
        .values("user_id")
        .annotate(last=Max("last_activity_at"))
        .values("last")[:1]
    )
    active = Q(enrollments__withdrawn_at__isnull=True)
    return (
        get_user_model()
        .objects.filter(
            pk__in=enrollment_api.memberships_in_scope(sedes=[grupo.sede_id], grupo=grupo).values(
                "user_id"
            )
        )
        .annotate(
            courses=Count("enrollments", filter=active, distinct=True),
            completed=Count(
                "enrollments",
                filter=active & Q(enrollments__completed_at__isnull=False),
                distinct=True,
            ),
            last=Subquery(last),
        )
        .order_by(F("last").desc(nulls_last=True), "username")
    )


def page_titles(*, page_ids) -> dict[int, str]:
    """Titles of pages (lessons, assessments), in one query."""
    return dict(Page.objects.filter(pk__in=list(page_ids)).values_list("pk", "title"))
