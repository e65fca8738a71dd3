"""A revocation lasts, with a real worker and the real beat sweep.

The sweep runs every 2 seconds in a worker started with beat embedded; a repeated
message for the same enrollment reaches the worker too. Neither issues a new certificate
for a revoked one, nor emails the learner again; only a re-issue does. PostgreSQL pass
(the worker is another process and shares the test database).
"""

import re
import time

import pytest
from django.db import connection

from courses.models import CoursePage
from lms.certificates import api
from lms.certificates.models import Certificate
from lms.certificates.tasks import issue_certificate_task
from lms.enrollment import api as enrollment_api
from tests.helpers import complete
from tests.services import Worker, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)

SWEEP_DONE = re.compile(r"Task certificates\.sweep\[[0-9a-f-]+\] succeeded in [\d.]+s: (\d+)")
ISSUE_DONE = re.compile(r"Task certificates\.issue\[([0-9a-f-]+)\] succeeded in [\d.]+s: '([^']+)'")


@pytest.fixture
def learner(committed):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=f"anulada-{time.monotonic_ns()}", display_name="Lucía Ortega"
    )
    committed.append(user)
    yield user
    Certificate.objects.filter(user=user).delete()


def test_neither_the_sweep_nor_a_repeated_message_undoes_a_revocation(broker, learner):
    worker = Worker(
        database_name=connection.settings_dict["NAME"],
        env={**broker.env(), "TEST_SWEEP_SECONDS": "2"},
        beat=True,
    ).start()
    try:
        course = CoursePage.objects.get(slug="nuestros-documentos")
        enrollment_api.enroll(user=learner, course=course)
        enrollment = complete(learner, course)  # commits: the worker issues it
        first = wait_for(
            lambda: Certificate.objects.filter(enrollment=enrollment).first(), 60, "the first"
        )
        api.revoke(certificate=first, by=None, reason="Se emitió por error.")
        sweeps_before = len(SWEEP_DONE.findall(worker.log.read_text()))
        # A duplicate of the original message, as a redelivery would bring.
        duplicate = issue_certificate_task.delay(enrollment.pk).id
        # Three sweeps after the revocation (each would have queued it, as before).
        wait_for(
            lambda: len(SWEEP_DONE.findall(worker.log.read_text())) >= sweeps_before + 3,
            60,
            "three sweeps after the revocation",
        )
        wait_for(
            lambda: duplicate in dict(ISSUE_DONE.findall(worker.log.read_text())),
            60,
            "the repeated message to be handled",
        )
        log = worker.log.read_text()
    finally:
        worker.stop()
    # The sweeps found nothing missing, and the repeated message answered the revoked folio.
    assert all(found == "0" for found in SWEEP_DONE.findall(log)[sweeps_before:]), log[-3000:]
    assert dict(ISSUE_DONE.findall(log))[duplicate] == first.folio
    rows = list(Certificate.objects.filter(enrollment=enrollment))
    assert rows == [first]
    rows[0].refresh_from_db()
    assert rows[0].revoked_at is not None and rows[0].replaced_by is None
