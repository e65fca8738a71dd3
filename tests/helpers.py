"""Helpers shared by test modules of several apps: import them from here, never from
another test module.

- ``complete(user, course)``: finish a course the way a learner does, through learning
  events, so completion, ``course_completed`` and whatever hangs on it run for real.
- ``certificate_receiver_muted()``: ``course_completed`` reaches no certificate
  receiver inside the block, as if its message had been lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api

# The dispatch_uid under which lms/certificates/apps.py connects its receiver.
CERTIFICATE_RECEIVER = "issue-certificate"


def complete(user, course):
    """Complete ``course`` (the user is already enrolled) through learning events, as a
    learner would: every required lesson done, every required assessment passed. Returns
    the enrollment."""
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    for step in steps.steps:
        if step.page_id in steps.required_ids:
            verb = "passed" if step.kind == "assessment" else "completed"
            progress_api.record_server_event(user=user, verb=verb, page_id=step.page_id)
    return enrollment_api.Enrollment.objects.get(user=user, course_id=course.pk)


@contextmanager
def certificate_receiver_muted() -> Iterator[None]:
    """Inside the block, completing a course queues no certificate; the receiver is back
    afterwards, whatever happened."""
    from lms.certificates import api as certificates_api

    enrollment_api.course_completed.disconnect(dispatch_uid=CERTIFICATE_RECEIVER)
    try:
        yield
    finally:
        enrollment_api.course_completed.connect(
            certificates_api.on_course_completed, dispatch_uid=CERTIFICATE_RECEIVER
        )
