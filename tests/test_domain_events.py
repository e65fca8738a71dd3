"""Domain events where apps meet: each is sent once, after its transaction commits, with
the documented arguments, and never for work that is rolled back or merely rebuilt."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from courses import api as courses_api
from lms.assessments import api as assessments_api
from lms.progress import api as progress_api

pytestmark = pytest.mark.django_db


@contextmanager
def listening(signal):
    """The keyword arguments of every send of ``signal`` while inside."""
    received = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal")
        received.append(kwargs)

    signal.connect(receiver, weak=False, dispatch_uid="tests.listening")
    try:
        yield received
    finally:
        signal.disconnect(dispatch_uid="tests.listening")


def _first_lesson(course):
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    return next(step for step in steps.steps if step.kind == "lesson")


class TestLessonCompleted:
    def test_sent_once_after_commit(self, enrolled, course, django_capture_on_commit_callbacks):
        step = _first_lesson(course)
        with listening(progress_api.lesson_completed) as received:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                progress_api.record_server_event(
                    user=enrolled, verb="completed", page_id=step.page_id
                )
            assert received == []  # nothing before the commit
            for callback in callbacks:
                callback()
        assert len(received) == 1
        event = received[0]
        assert (event["user_id"], event["page_id"], event["course_id"]) == (
            enrolled.pk,
            step.page_id,
            course.pk,
        )
        assert event["completed_at"] is not None

    def test_late_duplicates_and_earlier_completions_announce_nothing_more(
        self, enrolled, course, django_capture_on_commit_callbacks
    ):
        step = _first_lesson(course)
        with listening(progress_api.lesson_completed) as received:
            with django_capture_on_commit_callbacks(execute=True):
                progress_api.record_server_event(
                    user=enrolled, verb="completed", page_id=step.page_id
                )
            with django_capture_on_commit_callbacks(execute=True):
                # Completed again, and an earlier completion arriving late from a phone.
                progress_api.record_server_event(
                    user=enrolled, verb="completed", page_id=step.page_id
                )
                progress_api.record_server_event(
                    user=enrolled,
                    verb="completed",
                    page_id=step.page_id,
                    when=timezone.now() - timedelta(days=2),
                )
            with django_capture_on_commit_callbacks(execute=True):
                progress_api.rebuild_progress(user_id=enrolled.pk)
        assert len(received) == 1

    def test_a_rolled_back_completion_is_never_announced(self, enrolled, course):
        step = _first_lesson(course)
        with (
            listening(progress_api.lesson_completed) as received,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            progress_api.record_server_event(user=enrolled, verb="completed", page_id=step.page_id)
            raise RuntimeError
        assert received == []


class TestAttemptGraded:
    def test_sent_after_commit_with_the_grade(
        self, enrolled, course, django_capture_on_commit_callbacks
    ):
        final = course.final_assessment.specific
        with (
            listening(assessments_api.attempt_graded) as received,
            django_capture_on_commit_callbacks(execute=True),
        ):
            attempt = assessments_api.submit_attempt(user=enrolled, assessment=final, answers={})
        assert len(received) == 1
        event = received[0]
        assert event["attempt_id"] == attempt.pk
        assert event["attempt_uuid"] == str(attempt.uuid)
        assert (event["user_id"], event["assessment_id"], event["course_id"]) == (
            enrolled.pk,
            final.pk,
            course.pk,
        )
        assert event["score"] == attempt.score == 0
        assert event["passed"] is False and event["number"] == 1
