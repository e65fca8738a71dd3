"""The final assessment of a course is always its last step.

An author who adds a lesson (or a unit) to a course that already has its final would
otherwise find the new page after the final: Wagtail adds a page as the last child, so
the learner would read "Paso 7 de 7" on a lesson after the exam, and could never finish
the course in order. So whenever a page of a course is created, moved or published, and
whenever a course is published (its final may have changed), ``final_last`` moves the
final (``CoursePage.final_assessment``) after every other lesson and assessment of the
course: to the end of its unit when the pages after it are all in that unit, else to the
end of the course itself.

The library importer places pages in the library's order and calls ``final_last`` once at
the end (inside ``ordering_paused``, so the moves of its own sorting do not each reorder).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models.signals import post_save
from wagtail.models import Page
from wagtail.signals import page_published, post_page_move

from courses.models import AssessmentPage, CoursePage, LessonPage, UnitPage

_paused: ContextVar[bool] = ContextVar("course_order_paused", default=False)


@contextmanager
def ordering_paused() -> Iterator[None]:
    """Inside the block, creating, moving or publishing pages does not move any final
    (whoever pauses it calls ``final_last`` afterwards)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def final_last(course: CoursePage) -> bool:
    """Move the final assessment of ``course`` after every other lesson and assessment of
    the course (drafts too: they keep their place when they are published). Returns
    whether it moved. Nothing happens without a final, or with a final that is not in the
    course (``CoursePage.clean`` refuses it; an old row may still hold one)."""
    if not course.final_assessment_id:
        return False
    final = Page.objects.filter(pk=course.final_assessment_id).first()
    if final is None or not final.path.startswith(course.path) or final.path == course.path:
        return False
    later = list(
        Page.objects.descendant_of(course)
        .type(LessonPage, AssessmentPage)
        .exclude(pk=final.pk)
        .filter(path__gt=final.path)
        .values_list("path", flat=True)
    )
    if not later:
        return False
    parent_path = final.path[: -Page.steplen]
    stays_in_unit = parent_path != course.path and all(p.startswith(parent_path) for p in later)
    target = Page.objects.get(path=parent_path) if stays_in_unit else Page.objects.get(pk=course.pk)
    token = _paused.set(True)  # its own move must not reorder again
    try:
        final.move(target, pos="last-child")
    finally:
        _paused.reset(token)
    return True


def _course_of(page: Page) -> CoursePage | None:
    course: CoursePage | None = CoursePage.objects.ancestor_of(page, inclusive=True).first()
    return course


def _reorder(page: Page) -> None:
    if _paused.get() or not page.pk or not page.path:
        return
    course = _course_of(page)
    if course is not None:
        final_last(course)


def _on_created(
    sender: Any, instance: Page, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if created and not raw:
        _reorder(instance)


def _on_moved(sender: Any, instance: Page, **kwargs: Any) -> None:
    _reorder(instance)


def _on_published(sender: Any, instance: Page, **kwargs: Any) -> None:
    _reorder(instance)


STEP_TYPES = (UnitPage, LessonPage, AssessmentPage)


def connect() -> None:
    """Connect the receivers (``CoursesConfig.ready``)."""
    for model in STEP_TYPES:
        post_save.connect(
            _on_created, sender=model, dispatch_uid=f"course-order-created-{model.__name__}"
        )
    for model in (*STEP_TYPES, CoursePage):
        page_published.connect(
            _on_published, sender=model, dispatch_uid=f"course-order-published-{model.__name__}"
        )
    post_page_move.connect(_on_moved, dispatch_uid="course-order-moved")
