"""Certificates with a real Celery worker on Redis and a real S3-compatible server.

These run in the PostgreSQL pass: the worker is another process and must share the test
database. Data is committed (``committed`` fixture) and removed afterwards.
"""

import os
import signal
import time
import urllib.request

import pytest
from django.db import connection
from django.test import Client

from courses import api as courses_api
from lms.certificates import api
from lms.certificates.tasks import issue_certificate_task
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api
from tests.services import Worker, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)


def start_worker(s3, **extra) -> Worker:
    env = {**s3.env(), "AULA_CERTIFICATE_RETRY_BACKOFF_MAX": "2"}
    env.update({k: str(v) for k, v in extra.items() if k != "concurrency"})
    return Worker(
        database_name=connection.settings_dict["NAME"],
        env=env,
        concurrency=extra.get("concurrency", 1),
    ).start()


@pytest.fixture
def learner(committed):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=f"obrera-{time.monotonic_ns()}", display_name="Rosa Ibáñez"
    )
    committed.append(user)
    yield user
    api.Certificate.objects.filter(user=user).delete()
    api.Certificate.objects.filter(learner_name="Rosa Ibáñez", user__isnull=True).delete()


def complete(user) -> int:
    course = courses_api.CoursePage.objects.get(slug="nuestros-documentos")
    enrollment_api.enroll(user=user, course=course)
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    for step in steps.steps:
        if step.page_id in steps.required_ids:
            verb = "passed" if step.kind == "assessment" else "completed"
            progress_api.record_server_event(user=user, verb=verb, page_id=step.page_id)
    enrollment = enrollment_api.Enrollment.objects.get(user=user, course_id=course.pk)
    assert enrollment.completed_at is not None
    return enrollment.pk


def certificate_of(enrollment_id, timeout=60):
    return wait_for(
        lambda: api.Certificate.objects.filter(enrollment_id=enrollment_id).first(),
        timeout,
        "the certificate",
    )


def test_completion_is_issued_by_a_worker_and_stored_in_s3(broker, learner):
    worker = start_worker(broker)
    try:
        before = set(broker.keys("constancias/"))
        enrollment_id = complete(learner)  # commits: the task goes to Redis
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
    from lms.enrollment.signals import course_completed

    course_completed.disconnect(dispatch_uid="issue-certificate")
    try:
        enrollment_id = complete(learner)
    finally:
        course_completed.connect(api.on_course_completed, dispatch_uid="issue-certificate")
    before = set(broker.keys("constancias/"))
    workers = [start_worker(broker, concurrency=2), start_worker(broker, concurrency=2)]
    try:
        for _ in range(6):
            issue_certificate_task.delay(enrollment_id)
        certificate_of(enrollment_id)
        time.sleep(4)  # let every duplicate run to its end
    finally:
        for worker in workers:
            worker.stop()
    assert api.Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1
    certificate = api.Certificate.objects.get(enrollment_id=enrollment_id)
    # Losers of the race deleted their files: one PDF, the winner's.
    assert set(broker.keys("constancias/")) - before == {certificate.pdf.name}


def test_an_s3_outage_delays_issuance_but_never_loses_it(broker, learner):
    worker = start_worker(broker)
    try:
        broker.stop()
        enrollment_id = complete(learner)
        time.sleep(5)  # the task ran and failed at least once
        assert not api.Certificate.objects.filter(enrollment_id=enrollment_id).exists()
        assert "Retry in" in worker.log.read_text()
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


def test_a_worker_killed_while_issuing_issues_once_after_restart(broker, learner):
    worker = start_worker(broker, AULA_ISSUE_FAULT_DELAY=4)
    try:
        before = set(broker.keys("constancias/"))
        enrollment_id = complete(learner)
        wait_for(lambda: "certificates.issue" in worker.log.read_text(), 30, "the task to start")
        time.sleep(1)
        for child in worker.children():  # the pool process running the task
            os.kill(child, signal.SIGKILL)
        certificate = certificate_of(enrollment_id, timeout=60)
        time.sleep(2)
    finally:
        worker.stop()
    assert "WorkerLostError" in worker.log.read_text() or "Process" in worker.log.read_text()
    assert api.Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1
    assert set(broker.keys("constancias/")) - before == {certificate.pdf.name}


def test_the_sweep_finds_what_a_lost_message_left_behind(broker, learner):
    from lms.certificates.tasks import sweep_missing_certificates
    from lms.enrollment.signals import course_completed

    course_completed.disconnect(dispatch_uid="issue-certificate")  # the message is "lost"
    try:
        enrollment_id = complete(learner)
    finally:
        course_completed.connect(api.on_course_completed, dispatch_uid="issue-certificate")
    assert enrollment_id in api.missing_certificates()
    worker = start_worker(broker)
    try:
        sweep_missing_certificates.delay()
        certificate_of(enrollment_id)
    finally:
        worker.stop()
