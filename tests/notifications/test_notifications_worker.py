"""Reminders with real Celery workers on Redis: two runs at once remind each learner once.

PostgreSQL pass only: the worker is another process and must share the test database.
Data is committed (``committed`` fixture) and removed afterwards. The worker's emails stay
in its own process; the proof is the ``Notification`` rows and the runs' own summaries.
"""

import ast
import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment
from lms.notifications.models import Notification, NotificationKind
from lms.notifications.tasks import send_reminders
from tests.services import Worker, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)

ELIGIBLE = 20


@pytest.fixture
def learners(committed):
    """``ELIGIBLE`` learners to remind (enrolled 30 days ago, never started) and one who
    enrolled today (not to remind)."""
    course = courses_api.CoursePage.objects.get(slug="fracciones-y-porcentajes")
    stamp = time.monotonic_ns()
    users = []
    for i in range(ELIGIBLE + 1):
        user = get_user_model().objects.create_user(
            username=f"recordar-{stamp}-{i}", email=f"recordar-{stamp}-{i}@example.org"
        )
        committed.append(user)  # deleting the user deletes enrollments and notifications
        enrollment_api.enroll(user=user, course=course)
        users.append(user)
    eligible, recent = users[:-1], users[-1]
    Enrollment.objects.filter(user__in=eligible).update(
        enrolled_at=timezone.now() - timedelta(days=30)
    )
    return eligible, recent


def summaries(log: str) -> list[dict]:
    return [
        ast.literal_eval(found)
        for found in re.findall(
            r"reports\.send_reminders\[[^\]]+\] succeeded in \S+: (\{.*\})", log
        )
    ]


def test_two_runs_at_once_remind_each_learner_once(redis_broker, learners):
    eligible, recent = learners
    worker = Worker(database_name=connection.settings_dict["NAME"], env={}, concurrency=2).start()
    try:
        send_reminders.delay()
        send_reminders.delay()
        wait_for(lambda: len(summaries(worker.log.read_text())) == 2, 60, "both runs to end")
    finally:
        worker.stop()
    log = worker.log.read_text()
    assert "IntegrityError" not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    rows = dict(
        Notification.objects.filter(user__in=[*eligible, recent], kind=NotificationKind.REMINDER)
        .values("user")
        .annotate(n=Count("pk"))
        .values_list("user", "n")
    )
    assert rows == {user.pk: 1 for user in eligible}
    # Between them the two runs sent one email per learner: what one sent, the other skipped.
    runs = summaries(log)
    assert sum(run["sent"] for run in runs) == ELIGIBLE
    assert sum(run["failed"] for run in runs) == 0
