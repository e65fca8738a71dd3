"""The learner's own dashboard ("Mis cursos"), in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.progress.api import resume_step
from lms.progress.models import CourseProgress, LessonProgress


@dataclass
class CourseCard:
    enrollment: enrollment_api.Enrollment
    progress: CourseProgress | None
    next_step: courses_api.Step | None
    next_url: str | None

    @property
    def percent(self) -> int:
        return self.progress.percent if self.progress else 0


def my_courses(*, user) -> list[CourseCard]:
    enrollments = enrollment_api.enrollments_for(user=user)
    course_ids = {e.course_id for e in enrollments}
    structure = courses_api.course_steps(course_ids=course_ids)
    progress = {
        p.course_id: p for p in CourseProgress.objects.filter(user=user, course_id__in=course_ids)
    }
    statuses = {
        p.page_id: p for p in LessonProgress.objects.filter(user=user, course_id__in=course_ids)
    }
    next_steps = {}
    for enrollment in enrollments:
        steps = structure.get(enrollment.course_id)
        if steps is None:
            continue
        next_steps[enrollment.course_id] = resume_step(
            steps=steps, progress=progress.get(enrollment.course_id), statuses=statuses
        )
    urls = courses_api.page_urls(page_ids=[s.page_id for s in next_steps.values() if s])
    return [
        CourseCard(
            enrollment=e,
            progress=progress.get(e.course_id),
            next_step=next_steps.get(e.course_id),
            next_url=urls.get(next_steps[e.course_id].page_id)
            if next_steps.get(e.course_id)
            else None,
        )
        for e in enrollments
    ]


def credential_summary(*, user, cards: list[CourseCard]):
    """Which curriculum modules the learner's completed courses cover, and how far that
    goes toward each credential of those modules' frameworks."""
    completed = [c.enrollment.course for c in cards if c.enrollment.completed_at]
    modules = [course.module for course in completed if course.module_id]
    frameworks = {m.framework_id for m in modules}
    if not frameworks:
        return modules, []
    rules = courses_api.CredentialRule.objects.filter(framework_id__in=frameworks)
    return modules, [courses_api.credential_progress(rule=rule, modules=modules) for rule in rules]
