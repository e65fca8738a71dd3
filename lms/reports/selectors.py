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
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
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


FIELDS = ("enrolled", "active_7", "active_30", "started", "halfway", "completed", "certified")


def _ids(objects):
    """Primary keys of a list of model instances, or a subquery for a queryset."""
    if isinstance(objects, list | tuple):
        return [obj.pk for obj in objects]
    return objects.values("pk")


def _members(sedes, grupo=None):
    members = Membership.objects.filter(grupo__sede__in=sedes)
    if grupo is not None:
        members = members.filter(grupo=grupo)
    return members.values("user_id")


def _annotated(enrollments):
    progress = CourseProgress.objects.filter(
        user_id=OuterRef("user_id"), course_id=OuterRef("course_id")
    )
    best_final = (
        Attempt.objects.filter(
            user_id=OuterRef("user_id"),
            course_id=OuterRef("course_id"),
            assessment_id=OuterRef("course__final_assessment_id"),
        )
        .order_by("-score")
        .values("score")[:1]
    )
    return enrollments.filter(withdrawn_at__isnull=True).annotate(
        last=Subquery(progress.values("last_activity_at")[:1]),
        percent=Subquery(progress.values("percent")[:1]),
        is_certified=Exists(
            Certificate.objects.filter(enrollment_id=OuterRef("pk"), revoked_at__isnull=True)
        ),
        final=Subquery(best_final),
    )


def _aggregates(now):
    return {
        "enrolled": Count("pk", distinct=True),
        "active_7": Count("pk", filter=Q(last__gte=now - timedelta(days=7)), distinct=True),
        "active_30": Count("pk", filter=Q(last__gte=now - timedelta(days=30)), distinct=True),
        "started": Count("pk", filter=Q(last__isnull=False), distinct=True),
        "halfway": Count("pk", filter=Q(percent__gte=50), distinct=True),
        "completed": Count("pk", filter=Q(completed_at__isnull=False), distinct=True),
        "certified": Count("pk", filter=Q(is_certified=True), distinct=True),
        "average_final": Avg("final"),
    }


def _figures(label, row, key=None) -> Figures:
    return Figures(
        label,
        **{k: row.get(k) or 0 for k in FIELDS},
        average_final=row.get("average_final"),
        key=key,
    )


def _scoped(sedes, *, grupo=None, course_id=None):
    enrollments = Enrollment.objects.filter(user_id__in=_members(sedes, grupo))
    if course_id is not None:
        enrollments = enrollments.filter(course_id=course_id)
    return _annotated(enrollments)


def total_figures(*, sedes, grupo=None, course_id=None, label="", now=None) -> Figures:
    """One row for everything in scope (optionally one grupo and/or one course). A learner
    in two grupos counts once. One query."""
    now = now or timezone.now()
    row = _scoped(sedes, grupo=grupo, course_id=course_id).aggregate(**_aggregates(now))
    return _figures(label or _("Total"), row)


def figures_by_sede(*, sedes, now=None) -> tuple[list[Figures], Figures]:
    """Per sede and in total, for the enrollments of the learners of ``sedes``. Three
    queries: the sedes, one aggregate grouped by sede and one for the total."""
    now = now or timezone.now()
    sedes = list(sedes)
    enrollments = _annotated(Enrollment.objects.filter(user__memberships__grupo__sede__in=sedes))
    rows = {
        row["sede"]: row
        for row in enrollments.annotate(sede=F("user__memberships__grupo__sede_id"))
        .values("sede")
        .annotate(**_aggregates(now))
    }
    result = [_figures(sede.name, rows.get(sede.pk, {}), sede) for sede in sedes]
    # The total is counted again, not summed: a learner in two sedes counts once.
    total = total_figures(sedes=sedes, label=_("Todas las sedes"), now=now)
    return result, total


def figures_by_grupo(*, sedes, grupos, now=None) -> list[Figures]:
    """Per grupo (of ``grupos``, already in scope). One query for the aggregate."""
    now = now or timezone.now()
    grupos = list(grupos)
    enrollments = _annotated(Enrollment.objects.filter(user__memberships__grupo__in=grupos))
    rows = {
        row["grupo"]: row
        for row in enrollments.annotate(grupo=F("user__memberships__grupo_id"))
        .values("grupo")
        .annotate(**_aggregates(now))
    }
    return [_figures(grupo.name, rows.get(grupo.pk, {}), grupo) for grupo in grupos]


def figures_by_course(*, sedes, grupo=None, now=None) -> list[Figures]:
    """Per course that learners in scope are enrolled in, most enrolled first. Two
    queries: the aggregate grouped by course and the course titles."""
    now = now or timezone.now()
    rows = list(
        _scoped(sedes, grupo=grupo)
        .values("course_id")
        .annotate(**_aggregates(now))
        .order_by("-enrolled", "course_id")
    )
    titles = dict(
        courses_api.CoursePage.objects.filter(pk__in=[r["course_id"] for r in rows]).values_list(
            "pk", "title"
        )
    )
    return [
        _figures(titles.get(row["course_id"], "—"), row, row["course_id"])
        for row in rows
        if row["enrolled"]
    ]


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
    passed."""
    passed = Attempt.objects.filter(
        user_id=OuterRef(OuterRef("user_id")),
        course_id=OuterRef(OuterRef("course_id")),
        passed=True,
    ).values("assessment_id")
    return Exists(
        Attempt.objects.filter(
            user_id=OuterRef("user_id"), course_id=OuterRef("course_id"), passed=False
        )
        .exclude(assessment_id__in=passed)
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=at_risk_failed_attempts())
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
    progress = CourseProgress.objects.filter(
        user_id=OuterRef("user_id"), course_id=OuterRef("course_id")
    )
    cutoff = now - timedelta(days=days)
    return (
        Enrollment.objects.filter(
            withdrawn_at__isnull=True,
            completed_at__isnull=True,
            user_id__in=_members(sedes, grupo),
            user__is_active=True,
        )
        .annotate(
            last=Subquery(progress.values("last_activity_at")[:1]),
            last_page_id=Subquery(progress.values("last_page_id")[:1]),
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
    """Learners at risk (counted once however many of their courses are) per sede id. One
    query; used by the dashboard and the weekly digest."""
    return dict(
        at_risk(sedes=sedes, now=now)
        .annotate(sede=F("user__memberships__grupo__sede_id"))
        .filter(sede__in=_ids(sedes))
        .values("sede")
        .annotate(n=Count("user_id", distinct=True))
        .order_by()
        .values_list("sede", "n")
    )


def at_risk_learner_count(*, sedes, grupo=None, now=None) -> int:
    """Learners at risk in scope, each counted once. One query."""
    return (
        at_risk(sedes=sedes, grupo=grupo, now=now).order_by().values("user_id").distinct().count()
    )


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


def page_titles(*, page_ids) -> dict[int, str]:
    """Titles of pages (lessons, assessments), in one query."""
    return dict(Page.objects.filter(pk__in=list(page_ids)).values_list("pk", "title"))
