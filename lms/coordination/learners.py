"""The learners in scope: one grupo's learners with their courses, and everything about
one learner's courses for the learner's page. Each a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, OuterRef, Q, Subquery

from courses import api as courses_api
from lms.assessments.read_models import Attempt
from lms.certificates.read_models import Certificate
from lms.enrollment import api as enrollment_api
from lms.enrollment.read_models import Enrollment
from lms.progress.read_models import CourseProgress, LessonProgress

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations

    from lms.accounts.read_models import User
    from lms.enrollment.read_models import Grupo, Membership, Sede


class UserIdRow(TypedDict):
    """A row of ``.values("user_id")``."""

    user_id: int


def _members(
    sedes: Sequence[Sede] | QuerySet[Sede], grupo: Grupo | None = None
) -> QuerySet[Membership, UserIdRow]:
    """The ids of the learners in grupos of ``sedes`` (or of ``grupo``), as a subquery."""
    return enrollment_api.memberships_in_scope(sedes=sedes, grupo=grupo).values("user_id")


# --- One learner --------------------------------------------------------------------------


@dataclass
class LessonLine:
    step: courses_api.Step
    progress: LessonProgress | None


@dataclass
class CourseLine:
    enrollment: Enrollment
    progress: CourseProgress | None
    lessons: list[LessonLine]
    attempts: list[Attempt]
    certificates: list[Certificate]


def learner_courses(*, learner: User) -> list[CourseLine]:
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
    # Keyed by the nullable ``course_id``/``enrollment_id``: never None here (filtered on).
    attempts: dict[int | None, list[Attempt]] = {}
    for attempt in Attempt.objects.filter(user=learner, course_id__in=course_ids).order_by(
        "assessment_id", "number"
    ):
        attempts.setdefault(attempt.course_id, []).append(attempt)
    certificates: dict[int | None, list[Certificate]] = {}
    for certificate in Certificate.objects.filter(enrollment__in=enrollments).order_by(
        "-issued_at"
    ):
        certificates.setdefault(certificate.enrollment_id, []).append(certificate)
    titles = {step.page_id: step.title for steps in structure.values() for step in steps.steps}
    for course_attempts in attempts.values():
        for attempt in course_attempts:
            # An attribute for the template, not a field of Attempt.
            attempt.assessment_title = titles.get(attempt.assessment_id, "—")  # type: ignore[attr-defined]
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


# --- One grupo ----------------------------------------------------------------------------


class LearnerAnnotations(TypedDict):
    """What ``grupo_learners`` adds to each learner."""

    courses: int
    completed: int
    last: datetime | None


def grupo_learners(*, grupo: Grupo) -> QuerySet[WithAnnotations[User, LearnerAnnotations]]:
    """The learners of a grupo with their active courses, completed courses and last
    activity, most recently active first (never-started last). One query per page."""
    last = (
        CourseProgress.objects.filter(user_id=OuterRef("pk"))
        .values("user_id")
        .annotate(last=Max("last_activity_at"))
        .values("last")[:1]
    )
    active = Q(enrollments__withdrawn_at__isnull=True)
    # Named with its type: the users' manager (``UserManager``) does not say which model it
    # manages, so django-stubs loses the type of the queryset.
    learners: QuerySet[WithAnnotations[User, LearnerAnnotations]] = (
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
    return learners
