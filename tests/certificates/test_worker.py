"""Certificates with a real Celery worker on Redis and a real S3-compatible server.

These run in the PostgreSQL pass: the worker is another process and must share the test
database. Data is committed (``committed`` fixture) and removed afterwards.
"""

import os
import re
import signal
import time
import urllib.request

import pytest
from django.db import connection
from django.test import Client

from courses.models import CoursePage
from lms.certificates import api
from lms.certificates.models import Certificate
from lms.certificates.tasks import issue_certificate_task
from lms.enrollment import api as enrollment_api
from tests.faults import PAUSED_LINE
from tests.helpers import certificate_receiver_muted, complete
from tests.services import Worker, stop_workers, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)

ISSUE = "certificates.issue"


def worker_for(s3, concurrency: int = 1, **env) -> Worker:
    """A worker on the test database, the broker and the S3 server; storage outages are
    retried at most 2 s apart (AULA_CERTIFICATE_RETRY_BACKOFF_MAX)."""
    return Worker(
        database_name=connection.settings_dict["NAME"],
        env={
            **s3.env(),
            "AULA_CERTIFICATE_RETRY_BACKOFF_MAX": "2",
            **{key: str(value) for key, value in env.items()},
        },
        concurrency=concurrency,
    )


def start_worker(s3, concurrency: int = 1, **env) -> Worker:
    return worker_for(s3, concurrency, **env).start()


@pytest.fixture
def learner(committed):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=f"obrera-{time.monotonic_ns()}", display_name="Rosa Ibáñez"
    )
    committed.append(user)
    yield user
    Certificate.objects.filter(user=user).delete()
    Certificate.objects.filter(learner_name="Rosa Ibáñez", user__isnull=True).delete()


def enroll_and_complete(user) -> int:
    """Enroll in "Nuestros documentos" and complete it (committed: ``course_completed``
    queues the task on Redis). Returns the enrollment's id."""
    course = CoursePage.objects.get(slug="nuestros-documentos")
    enrollment_api.enroll(user=user, course=course)
    enrollment = complete(user, course)
    assert enrollment.completed_at is not None
    return enrollment.pk


def certificate_of(enrollment_id, timeout=60):
    return wait_for(
        lambda: Certificate.objects.filter(enrollment_id=enrollment_id).first(),
        timeout,
        "the certificate",
    )


def finished(workers: list[Worker], task_ids) -> dict[str, str]:
    """How each of ``task_ids`` ended ("succeeded", "raised"…), once all have."""
    ends = {}
    for worker in workers:
        for task_id, event in worker.task_lines(ISSUE):
            if event not in ("received", "retry"):
                ends[task_id] = event
    return ends if set(task_ids) <= set(ends) else {}


def the_task(worker: Worker) -> str:
    """The id of the one issuing task this worker received (however many times)."""
    (task_id,) = {task_id for task_id, _ in worker.task_lines(ISSUE)}
    return task_id


def test_completion_is_issued_by_a_worker_and_stored_in_s3(broker, learner):
    worker = start_worker(broker)
    try:
        before = set(broker.keys("constancias/"))
        enrollment_id = enroll_and_complete(learner)  # commits: the task goes to Redis
        certificate = certificate_of(enrollment_id)
    finally:
        worker.stop()
    new_keys = set(broker.keys("constancias/")) - before
    assert new_keys == {certificate.pdf.name}
    body = broker.client().get_object(Bucket="aula-media", Key=certificate.pdf.name)["Body"]
    assert body.read().startswith(b"%PDF")
    # The learner downloads it through a short-lived presigned URL, not a public one.
    client = Client()
    client.force_login(learner)
    response = client.get(f"/mis-cursos/constancias/{certificate.uuid}/pdf/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(broker.endpoint) and "X-Amz-Signature=" in location
    with urllib.request.urlopen(location) as download:  # noqa: S310 (local test server)
        assert download.read().startswith(b"%PDF")
    public = f"{broker.endpoint}/aula-media/{certificate.pdf.name}"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(public)  # noqa: S310
    assert error.value.code == 403


def test_duplicate_messages_and_two_workers_give_one_certificate(broker, learner):
    with certificate_receiver_muted():
        enrollment_id = enroll_and_complete(learner)
    before = set(broker.keys("constancias/"))
    workers = [worker_for(broker, concurrency=2) for _ in range(2)]
    try:
        for worker in workers:  # both start at once
            worker.launch()
        for worker in workers:
            worker.wait_until_ready()
        task_ids = [issue_certificate_task.delay(enrollment_id).id for _ in range(6)]
        ends = wait_for(lambda: finished(workers, task_ids), 60, "every duplicate to finish")
    finally:
        stop_workers(workers)
    assert {ends[task_id] for task_id in task_ids} == {"succeeded"}
    assert Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1
    certificate = Certificate.objects.get(enrollment_id=enrollment_id)
    # Losers of the race deleted their files: one PDF, the winner's.
    assert set(broker.keys("constancias/")) - before == {certificate.pdf.name}


def test_an_s3_outage_delays_issuance_but_never_loses_it(broker, learner):
    worker = start_worker(broker)
    try:
        broker.stop()
        enrollment_id = enroll_and_complete(learner)
        wait_for(
            lambda: any(event == "retry" for _, event in worker.task_lines(ISSUE)),
            30,
            "the task to fail and be retried",
        )
        assert not Certificate.objects.filter(enrollment_id=enrollment_id).exists()
        broker.start()
        try:
            certificate = certificate_of(enrollment_id, timeout=90)
        except AssertionError:
            print(worker.log.read_text()[-4000:])
            raise
    finally:
        worker.stop()
        if broker.process is None:
            broker.start()
    assert certificate.pdf.name in broker.keys("constancias/")
    # The worker's AULA_CERTIFICATE_RETRY_BACKOFF_MAX=2 kept every retry within 2 s.
    waits = re.findall(r"retry: Retry in (\d+)s", worker.log.read_text())
    assert waits and all(int(wait) <= 2 for wait in waits), waits


def test_a_worker_killed_while_issuing_issues_once_after_restart(broker, learner, tmp_path):
    worker = start_worker(broker, TEST_PAUSE_FIRST_CERTIFICATE_SAVE=tmp_path / "pausa")
    try:
        before = set(broker.keys("constancias/"))
        enrollment_id = enroll_and_complete(learner)
        # The pool process has built and signed the certificate and is about to store its
        # PDF (tests/faults.py): kill it there.
        found = wait_for(
            lambda: PAUSED_LINE.search(worker.log.read_text()),
            30,
            "the task to pause before storing",
        )
        pid = int(found["pid"])
        assert pid in worker.children()
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: pid not in worker.children(), 30, "the killed pool process to go")
        certificate = certificate_of(enrollment_id)
        wait_for(lambda: finished([worker], {the_task(worker)}), 30, "the task to end")
    finally:
        worker.stop()
    log = worker.log.read_text()
    # The pool process died of the SIGKILL while running the task...
    assert re.search(rf"Process '\S+' pid:{pid} exited with 'signal 9 \(SIGKILL\)'", log), log
    assert "WorkerLostError" in log
    # ...its message went back to the broker and the same task ran again, to the end.
    lines = worker.task_lines(ISSUE)
    task_id = the_task(worker)
    assert [event for tid, event in lines if tid == task_id] == [
        "received",
        "received",
        "succeeded",
    ]
    assert {tid for tid, _ in lines} == {task_id}
    assert len(PAUSED_LINE.findall(log)) == 1  # the second run did not pause
    assert Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1
    assert set(broker.keys("constancias/")) - before == {certificate.pdf.name}


def test_the_sweep_finds_what_a_lost_message_left_behind(broker, learner):
    from lms.certificates.tasks import sweep_missing_certificates

    with certificate_receiver_muted():  # the message is "lost"
        enrollment_id = enroll_and_complete(learner)
    assert enrollment_id in api.missing_certificates()
    worker = start_worker(broker)
    try:
        sweep_missing_certificates.delay()
        certificate_of(enrollment_id)
    finally:
        worker.stop()
