"""The study time of a course, computed from its content, never typed by hand.

A course takes as long as its lessons (each lesson's ``estimated_minutes``, which its
author sets) plus one attempt at each of its assessments (practice quizzes and the final).
An assessment's time comes from its questions: each question type declares the minutes
one answer takes (``answer_minutes`` on its block in ``content.blocks``; the system check
``content.E006`` refuses a type without it):

========================  =======  ===========================================================
question type             minutes  why
========================  =======  ===========================================================
``true_false``            1        read one statement and decide
``single_choice``         1.5      read the question and three or four options
``multiple_choice``       2        judge every option on its own
``short_answer``          2        work out and write a short answer
``numeric``               3        a calculation on paper or with the phone's calculator
========================  =======  ===========================================================

The usual rule of test design is about one minute per choice question for fluent readers;
Aula's learners are adults who may read slowly, and many items are word problems, so the
figures are one and a half to three times that. Each assessment adds
``ASSESSMENT_OVERHEAD_MINUTES`` to read its instructions and its results with the feedback.
A question bank (``questions_per_attempt``) counts the questions of one attempt, at the
bank's average time per question.

The course's total is stored in ``CoursePage.study_minutes`` (recomputed when a page of the
course is published, unpublished, moved or deleted, and by the library import) and shown
rounded to the nearest half hour, at least half an hour (``hours_for``): "3.5 horas".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured

from content.api import QuestionStreamBlock

if TYPE_CHECKING:
    from courses.models.pages import CoursePage

ASSESSMENT_OVERHEAD_MINUTES = 2


def question_minutes(block_type: str) -> Fraction:
    """The minutes one answer of the question type ``block_type`` takes (its block's
    ``answer_minutes``)."""
    minutes = QuestionStreamBlock.base_blocks[block_type].answer_minutes
    if minutes is None:  # content.E006 refuses this at start-up
        raise ImproperlyConfigured(f"The question type {block_type} has no answer_minutes.")
    return minutes


def assessment_minutes(block_types: Sequence[str], questions_per_attempt: int | None) -> int:
    """Whole minutes (rounded up) of one attempt at an assessment whose questions are of
    ``block_types`` (file order), drawing ``questions_per_attempt`` of them if set."""
    if not block_types:
        return 0
    total = sum((question_minutes(t) for t in block_types), Fraction(0))
    drawn = len(block_types)
    if questions_per_attempt:
        drawn = min(questions_per_attempt, len(block_types))
    return ceil(total * drawn / len(block_types)) + ASSESSMENT_OVERHEAD_MINUTES


def course_minutes(lesson_minutes: Iterable[int], assessments: Iterable[int]) -> int:
    return sum(lesson_minutes) + sum(assessments)


def hours_for(minutes: int) -> Decimal:
    """``minutes`` as hours, to the nearest half hour, at least half an hour:
    100 → 1.5, 105 → 2.0 (a quarter hour rounds up), 10 → 0.5."""
    half_hours = max(1, (minutes + 15) // 30)
    return Decimal(half_hours) / 2


def hours_text(hours: Decimal) -> str:
    """ "3.5" or "4": a whole number of hours without ".0"."""
    return str(int(hours)) if hours == int(hours) else f"{hours:.1f}"


# --- The stored total: recomputed when the course's pages change -----------------------

_paused: ContextVar[bool] = ContextVar("study_time_paused", default=False)


@contextmanager
def study_time_paused() -> Iterator[None]:
    """Inside the block, page changes do not recompute any course's study time (whoever
    pauses it calls ``update_study_minutes`` afterwards: the library import)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def compute_study_minutes(course: CoursePage) -> int:
    """The study time of ``course`` from its live lessons and assessments (what learners
    see), in minutes."""
    from courses.models.pages import AssessmentPage, LessonPage

    lessons = (
        LessonPage.objects.live().descendant_of(course).values_list("estimated_minutes", flat=True)
    )
    assessments = (
        AssessmentPage.objects.live()
        .descendant_of(course)
        .only("questions", "questions_per_attempt")
    )
    return course_minutes(lessons, (a.estimated_minutes for a in assessments))


def update_study_minutes(course: CoursePage) -> int:
    """Recompute and store the study time of ``course`` (without a new revision: it is
    not content an author edits). Returns it."""
    from courses.models.pages import CoursePage

    minutes = compute_study_minutes(course)
    if course.study_minutes != minutes:
        CoursePage.objects.filter(pk=course.pk).update(study_minutes=minutes)
        course.study_minutes = minutes
    return minutes


def _courses_of(path: str | None) -> list[CoursePage]:
    from courses.models.pages import CoursePage

    if not path:
        return []
    step = CoursePage.steplen
    ancestors = [path[:end] for end in range(step, len(path) + 1, step)]
    return list(CoursePage.objects.filter(path__in=ancestors).only("pk", "path", "study_minutes"))


def _recompute(path: str | None) -> None:
    if _paused.get():
        return
    for course in _courses_of(path):
        update_study_minutes(course)


def _on_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    _recompute(getattr(instance, "path", None))


def _on_moved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # The course it left and the course it joined.
    before = kwargs.get("parent_page_before")
    if before is not None:
        _recompute(before.path)
    _recompute(getattr(instance, "path", None))


def connect() -> None:
    from django.db.models.signals import post_delete
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from courses.models.pages import AssessmentPage, CoursePage, LessonPage

    for model in (LessonPage, AssessmentPage, CoursePage):
        uid = model.__name__
        page_published.connect(_on_changed, sender=model, dispatch_uid=f"study-time-pub-{uid}")
        page_unpublished.connect(_on_changed, sender=model, dispatch_uid=f"study-time-unpub-{uid}")
    for model in (LessonPage, AssessmentPage):
        post_delete.connect(
            _on_changed, sender=model, dispatch_uid=f"study-time-del-{model.__name__}"
        )
    post_page_move.connect(_on_moved, dispatch_uid="study-time-moved")
