"""Reads of progress: a learner's status per lesson and course, where "Continuar" goes, the
learner's own dashboard ("Mis cursos", in a fixed number of queries) and their data export."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from courses import api as courses_api
from courses import read_models as courses_models
from lms import sql
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models
from lms.progress.models import CourseProgress, LearningEvent, LessonProgress, ProgressStatus

if TYPE_CHECKING:
    from lms.accounts.read_models import User


def course_progress_for(*, user_id: int, course_ids: Iterable[int]) -> dict[int, CourseProgress]:
    return {
        p.course_id: p
        for p in CourseProgress.objects.filter(user_id=user_id, course_id__in=list(course_ids))
    }


# Written out (``lms.sql``): it runs for every lesson page a learner opens (``lesson_shell``).
_COMPLETED = sql.exists_query(LessonProgress, equal=["user", "page_id", "status"])


def lesson_completed(*, user_id: int, page_id: int) -> bool:
    """Whether the learner has finished this lesson (or passed this assessment)."""
    return sql.exists(_COMPLETED, [user_id, page_id, ProgressStatus.COMPLETED.value])


def lesson_status_for(*, user_id: int, page_ids: Iterable[int]) -> dict[int, LessonProgress]:
    return {
        p.page_id: p
        for p in LessonProgress.objects.filter(user_id=user_id, page_id__in=list(page_ids))
    }


def resume_step(
    *,
    steps: courses_api.CourseSteps,
    progress: CourseProgress | None,
    statuses: dict[int, LessonProgress],
) -> courses_api.Step | None:
    """Where "Continuar" goes: the last page they worked on if unfinished, else the next
    unfinished step after it, else the first unfinished step; None when all is done.
    Never the final assessment while a required lesson is unfinished: then the first
    such lesson (the final comes after the lessons)."""
    order = steps.steps
    if not order:
        return None

    def unfinished(step: courses_api.Step) -> bool:
        status = statuses.get(step.page_id)
        return status is None or status.status != ProgressStatus.COMPLETED

    step = _next_unfinished(order, progress, unfinished)
    if step is not None and step.page_id == steps.final_assessment_id:
        pending = (s for s in order if s.kind == "lesson" and s.required and unfinished(s))
        return next(pending, step)
    return step


def _next_unfinished(
    order: list[courses_api.Step],
    progress: CourseProgress | None,
    unfinished: Callable[[courses_api.Step], bool],
) -> courses_api.Step | None:
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


def export_personal_data(user: User) -> dict[str, list[dict[str, object]]]:
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


@dataclass
class CourseCard:
    enrollment: enrollment_models.Enrollment
    progress: CourseProgress | None
    next_step: courses_api.Step | None
    next_url: str | None

    @property
    def percent(self) -> int:
        return self.progress.percent if self.progress else 0


def my_courses(*, user: User) -> list[CourseCard]:
    enrollments = enrollment_api.enrollments_for(user=user)
    course_ids = {e.course_id for e in enrollments}
    structure = courses_api.course_steps(course_ids=course_ids)
    progress = {
        p.course_id: p for p in CourseProgress.objects.filter(user=user, course_id__in=course_ids)
    }
    statuses = {
        p.page_id: p for p in LessonProgress.objects.filter(user=user, course_id__in=course_ids)
    }
    next_steps: dict[int, courses_api.Step | None] = {}
    for enrollment in enrollments:
        steps = structure.get(enrollment.course_id)
        if steps is None:
            continue
        next_steps[enrollment.course_id] = resume_step(
            steps=steps, progress=progress.get(enrollment.course_id), statuses=statuses
        )
    urls = courses_api.page_urls(page_ids=[s.page_id for s in next_steps.values() if s])
    cards = []
    for e in enrollments:
        next_step = next_steps.get(e.course_id)
        cards.append(
            CourseCard(
                enrollment=e,
                progress=progress.get(e.course_id),
                next_step=next_step,
                next_url=urls.get(next_step.page_id) if next_step else None,
            )
        )
    return cards


def credential_summary(
    *, user: User, cards: list[CourseCard]
) -> tuple[list[courses_models.Module], list[courses_api.CredentialProgress]]:
    """Which curriculum modules the learner's completed courses cover, and how far that
    goes toward each credential of those modules' frameworks. Only a course that
    corresponds to its module covers it (one aligned in part, or related, does not), and
    each module counts toward one credential at most (``credentials_progress``)."""
    completed = [c.enrollment.course for c in cards if c.enrollment.completed_at]
    modules = [course.module for course in completed if course.counts_for_credentials]
    frameworks = {m.framework_id for m in modules}
    if not frameworks:
        return modules, []
    rules = courses_models.CredentialRule.objects.filter(
        framework_id__in=frameworks
    ).prefetch_related("requirements__levels")
    return modules, courses_api.credentials_progress(rules=rules, modules=modules)


@dataclass(frozen=True)
class ResumePoint:
    started: bool
    next_step: courses_api.Step | None
    next_url: str | None


def resume_in_course(*, user: User, course_id: int) -> ResumePoint | None:
    """The learner's card for one course they are enrolled in (where "Empezar" or
    "Continuar" goes), or None when they are not enrolled. Four queries at most."""
    if not enrollment_api.is_enrolled(user=user, course_id=course_id):
        return None
    steps = courses_api.course_steps(course_ids=[course_id]).get(course_id)
    progress = CourseProgress.objects.filter(user=user, course_id=course_id).first()
    statuses = {p.page_id: p for p in LessonProgress.objects.filter(user=user, course_id=course_id)}
    step = resume_step(steps=steps, progress=progress, statuses=statuses) if steps else None
    url = courses_api.page_urls(page_ids=[step.page_id]).get(step.page_id) if step else None
    return ResumePoint(started=progress is not None, next_step=step, next_url=url)
