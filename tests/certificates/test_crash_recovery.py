"""No certificate waits on luck after a crash.

- A worker killed whole (main process and pool, SIGKILL: nothing acknowledges, rejects or
  gives back anything) while issuing: a worker started afterwards issues the certificate
  once, within a bound, with no sweep. On RabbitMQ the message comes back the moment the
  connection drops; on Redis once AULA_BROKER_VISIBILITY_TIMEOUT has passed.
- A lost database connection while inserting the row is retried like a storage outage,
  and the PDF stored for the failed try is deleted.
- Orphan PDFs (no row names them) are deleted once older than AULA_CERTIFICATE_ORPHAN_AGE,
  on the local disk and on S3; a PDF with a row, or a young one, never is.

The tests with a worker run in the PostgreSQL pass (a worker must share the database).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, OperationalError, connection
from django.test import override_settings
from storages.backends.s3 import S3Storage

from courses.models import CoursePage
from lms.certificates import api
from lms.certificates.models import Certificate
from lms.certificates.tasks import issue_certificate_task
from lms.enrollment import api as enrollment_api
from tests.faults import LOST_LINE, PAUSED_LINE
from tests.helpers import certificate_receiver_muted, complete
from tests.services import AMQP_URL, REDIS_URL, Worker, tasks_sent_to, wait_for

ISSUE = "certificates.issue"
BROKERS = {"rabbitmq": AMQP_URL, "redis": REDIS_URL}
# The Redis workers' AULA_BROKER_VISIBILITY_TIMEOUT: small, so the test is short, and
# longer than their AULA_CERTIFICATE_RETRY_BACKOFF_MAX (2 s).
VISIBILITY_TIMEOUT = 15
# How long after the restart the certificate may take: RabbitMQ gives the message back at
# once; Redis once it has been unacknowledged for the visibility timeout.
BOUND = {"rabbitmq": 20, "redis": VISIBILITY_TIMEOUT + 20}

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)


@pytest.fixture(params=list(BROKERS))
def on_broker(request, s3):
    """This process sends its tasks to the broker (RabbitMQ or Redis) and stores files in
    the S3 server, as the workers the test starts do."""
    with tasks_sent_to(BROKERS[request.param]), override_settings(STORAGES=s3.storages()):
        yield SimpleNamespace(name=request.param, url=BROKERS[request.param], s3=s3)


def worker_on(broker, **env) -> Worker:
    """A worker on the test database, the broker and the S3 server. Retries wait at most
    2 s; on Redis an unacknowledged message goes back after VISIBILITY_TIMEOUT, looked for
    every second."""
    return Worker(
        database_name=connection.settings_dict["NAME"],
        broker_url=broker.url,
        env={
            **broker.s3.env(),
            "AULA_CERTIFICATE_RETRY_BACKOFF_MAX": "2",
            "AULA_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "TEST_BROKER_RESTORE_INTERVAL": "1",
            **{key: str(value) for key, value in env.items()},
        },
    )


@pytest.fixture
def learner(committed):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=f"superviviente-{time.monotonic_ns()}", display_name="Rosa Ibáñez"
    )
    committed.append(user)
    yield user
    Certificate.objects.filter(user=user).delete()


def enroll_and_complete(user) -> int:
    """Enroll in "Nuestros documentos" and complete it (committed: ``course_completed``
    queues the task on the broker). Returns the enrollment's id."""
    course = CoursePage.objects.get(slug="nuestros-documentos")
    enrollment_api.enroll(user=user, course=course)
    return complete(user, course).pk


def issued(enrollment_id):
    return Certificate.objects.filter(enrollment_id=enrollment_id).first()


def events(worker: Worker, task_id: str) -> list[str]:
    return [event for tid, event in worker.task_lines(ISSUE) if tid == task_id]


@needs_postgresql
def test_a_crashed_worker_s_certificate_is_issued_soon_after_a_restart(
    on_broker, learner, tmp_path, record_property
):
    before = set(on_broker.s3.keys("constancias/"))
    first = worker_on(on_broker, TEST_PAUSE_FIRST_CERTIFICATE_SAVE=tmp_path / "pausa").start()
    try:
        enrollment_id = enroll_and_complete(learner)
        # The pool process has built and signed the certificate and is about to store its
        # PDF (tests/faults.py): the machine stops there.
        wait_for(lambda: PAUSED_LINE.search(first.log.read_text()), 30, "the task to pause")
        paused = time.monotonic()
        first.crash()
    finally:
        first.stop()
    (task_id,) = {tid for tid, _ in first.task_lines(ISSUE)}
    assert events(first, task_id) == ["received"]  # never finished, never given back
    assert issued(enrollment_id) is None
    assert set(on_broker.s3.keys("constancias/")) == before

    second = worker_on(on_broker, TEST_PAUSE_FIRST_CERTIFICATE_SAVE=tmp_path / "pausa")
    restarted = time.monotonic()
    second.start()
    try:
        certificate = wait_for(
            lambda: issued(enrollment_id), BOUND[on_broker.name], "the certificate"
        )
        waited = time.monotonic() - restarted
        since_taken = time.monotonic() - paused
        wait_for(lambda: "succeeded" in events(second, task_id), 30, "the task to end")
    finally:
        second.stop()
    record_property(f"seconds_from_restart_to_issued_{on_broker.name}", round(waited, 1))
    print(f"{on_broker.name}: issued {waited:.1f} s after the restart")
    if on_broker.name == "redis":  # given back once unacknowledged for the timeout
        assert since_taken >= VISIBILITY_TIMEOUT - 2
    # The same message, taken again by the new worker, to the end; no sweep ran.
    assert events(second, task_id) == ["received", "succeeded"]
    assert {tid for tid, _ in second.task_lines(ISSUE)} == {task_id}
    assert first.task_lines("certificates.sweep") == second.task_lines("certificates.sweep") == []
    assert Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1
    assert set(on_broker.s3.keys("constancias/")) - before == {certificate.pdf.name}


@needs_postgresql
@pytest.mark.parametrize("on_broker", ["rabbitmq"], indirect=True)
def test_a_lost_database_connection_is_retried_and_leaves_no_pdf_behind(
    on_broker, learner, tmp_path
):
    before = set(on_broker.s3.keys("constancias/"))
    worker = worker_on(on_broker, TEST_LOSE_FIRST_CERTIFICATE_INSERT=tmp_path / "conexion")
    worker.start()
    try:
        enrollment_id = enroll_and_complete(learner)
        certificate = wait_for(lambda: issued(enrollment_id), 60, "the certificate")
        (task_id,) = {tid for tid, _ in worker.task_lines(ISSUE)}
        wait_for(lambda: "succeeded" in events(worker, task_id), 30, "the task to end")
    finally:
        worker.stop()
    log = worker.log.read_text()
    # The first try lost its connection with the PDF stored, and was retried on a new one.
    assert len(LOST_LINE.findall(log)) == 1, log
    assert events(worker, task_id) == ["received", "retry", "received", "succeeded"], log
    assert re.search(r"retry: Retry in \d+s: OperationalError", log), log
    assert Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1
    # The first try's PDF is gone: only the issued certificate's is stored.
    assert set(on_broker.s3.keys("constancias/")) - before == {certificate.pdf.name}


# --- In this process: what issuing does when the database fails --------------------------


def _completed(user, course) -> int:
    with certificate_receiver_muted():
        return complete(user, course).pk


def _stored_pdfs() -> set[str]:
    try:
        return {f"constancias/{name}" for name in default_storage.listdir("constancias")[1]}
    except FileNotFoundError:
        return set()


def _failing(statement: str, error: type[Exception]):
    """An execute wrapper that raises ``error`` on the first statement starting with
    ``statement`` (after the INSERT of a certificate, for a RELEASE)."""
    state = {"inserted": False, "failed": False}

    def wrapper(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "certificates_certificate"'):
            state["inserted"] = True
        after_insert = statement.startswith("INSERT") or state["inserted"]
        if not state["failed"] and sql.startswith(statement) and after_insert:
            state["failed"] = True
            raise error("falla de prueba")
        return execute(sql, params, many, context)

    return wrapper


def _run_task(enrollment_id: int) -> list[tuple[Exception, int]]:
    """Run the task once, in this process, its retry recorded rather than queued."""
    retries: list[tuple[Exception, int]] = []

    def retry(*, exc, countdown):
        retries.append((exc, countdown))
        return Retry(exc=exc, when=countdown)

    issue_certificate_task.push_request(retries=0)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(issue_certificate_task, "retry", retry)
            with contextlib.suppress(Retry):
                issue_certificate_task.run(enrollment_id)
    finally:
        issue_certificate_task.pop_request()
    return retries


def _local_storages(folder) -> dict[str, dict]:
    return {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def local_media(tmp_path):
    """A folder of the test's own as the default storage: no other test's files in it."""
    with override_settings(STORAGES=_local_storages(tmp_path)):
        yield tmp_path


@pytest.mark.parametrize(
    "error",
    [OperationalError, IntegrityError],
    ids=["connection lost", "folio or status index clash"],
)
def test_a_database_error_on_insert_is_retried_and_drops_the_pdf(
    local_media, enrolled, course, settings, error
):
    """A lost connection, or an IntegrityError that leaves no valid certificate (our
    random folio or status index clashed with another's): the task retries within
    AULA_CERTIFICATE_RETRY_BACKOFF_MAX, and the PDF of the failed try is deleted."""
    settings.AULA_CERTIFICATE_RETRY_BACKOFF_MAX = 3
    enrollment_id = _completed(enrolled, course)
    before = _stored_pdfs()
    with connection.execute_wrapper(_failing('INSERT INTO "certificates_certificate"', error)):
        retries = _run_task(enrollment_id)
    assert [type(exc) for exc, _ in retries] == [error]
    assert 0 <= retries[0][1] <= 3
    assert not Certificate.objects.filter(enrollment_id=enrollment_id).exists()
    assert _stored_pdfs() == before
    # The retry issues it.
    assert _run_task(enrollment_id) == []
    certificate = Certificate.objects.get(enrollment_id=enrollment_id)
    assert _stored_pdfs() - before == {certificate.pdf.name}


def test_a_failed_commit_keeps_the_pdf_for_the_nightly_cleanup(
    local_media, enrolled, course, settings
):
    """After the INSERT only the commit can fail, and then the row may exist: the PDF is
    kept (never delete a file that has a row). Here the row is gone, so the orphan
    cleanup deletes the PDF once it is old enough, and the retry issues the certificate."""
    enrollment_id = _completed(enrolled, course)
    before = _stored_pdfs()
    # The inner transaction is a savepoint inside the test's: its RELEASE is the commit.
    with connection.execute_wrapper(_failing("RELEASE SAVEPOINT", OperationalError)):
        retries = _run_task(enrollment_id)
    assert [type(exc) for exc, _ in retries] == [OperationalError]
    assert not Certificate.objects.filter(enrollment_id=enrollment_id).exists()
    (kept,) = _stored_pdfs() - before
    assert api.delete_orphan_pdfs() == []  # young: it could be a certificate being issued
    later = default_storage.get_modified_time(kept) + timedelta(
        seconds=settings.AULA_CERTIFICATE_ORPHAN_AGE + 1
    )
    assert api.delete_orphan_pdfs(now=later) == [kept]
    assert _stored_pdfs() == before
    assert _run_task(enrollment_id) == []
    assert Certificate.objects.filter(enrollment_id=enrollment_id).count() == 1


# --- Orphan PDFs ----------------------------------------------------------------------------


@pytest.fixture(params=["local", "s3"])
def media(request, tmp_path):
    """The default storage, a folder of the test's own: on the local disk, or in the S3
    server's bucket (PostgreSQL pass, with the other tests that start it)."""
    if request.param == "s3":
        if connection.vendor != "postgresql":
            pytest.skip("the S3 server is started in the PostgreSQL pass")
        storages = request.getfixturevalue("s3").storages(location=f"prueba-{uuid.uuid4()}")
    else:
        storages = _local_storages(tmp_path)
    with override_settings(STORAGES=storages):
        yield request.param


def test_orphan_pdfs_are_deleted_once_old_and_never_one_with_a_row(
    media, enrolled, course, settings
):
    settings.AULA_CERTIFICATE_ORPHAN_AGE = 60
    enrollment_id = _completed(enrolled, course)
    revoked = api.issue_certificate(enrollment_id=enrollment_id)
    assert revoked is not None
    valid = api.reissue(certificate=revoked, by=None, learner_name="Rosa Ibáñez", reason="Nombre")
    pdf = ContentFile(b"%PDF-1.4 huerfano")
    old = default_storage.save("constancias/huerfano-viejo.pdf", pdf)
    not_a_pdf = default_storage.save("constancias/notas.txt", ContentFile(b"x"))
    below = default_storage.save("constancias/otra/huerfano.pdf", pdf)
    time.sleep(1.1)  # S3 keeps modification times to the second
    young = default_storage.save("constancias/huerfano-joven.pdf", pdf)
    young_at = default_storage.get_modified_time(young)
    assert default_storage.get_modified_time(old) < young_at
    # The young orphan is AULA_CERTIFICATE_ORPHAN_AGE old less a moment; every other file
    # is older than that.
    now = young_at + timedelta(seconds=60) - timedelta(milliseconds=1)
    with_rows = {valid.pdf.name, revoked.pdf.name}
    try:
        assert api.orphan_pdfs(now=now) == [old]
        assert api.delete_orphan_pdfs(now=now) == [old]
        assert not default_storage.exists(old)
        for name in (*with_rows, young, not_a_pdf, below):
            assert default_storage.exists(name), name
        # Never a file with a row, however old.
        much_later = now + timedelta(days=365)
        assert api.delete_orphan_pdfs(now=much_later) == [young]
        for name in (*with_rows, not_a_pdf, below):
            assert default_storage.exists(name), name
    finally:
        for name in (*with_rows, old, young, not_a_pdf, below):
            default_storage.delete(name)


def test_the_nightly_task_deletes_orphans(media, enrolled, course, settings):
    # ``media`` first: pytest-django's ``settings`` restores, at teardown, the settings it
    # found when first changed; set up after ``media``, it is torn down before it, so the
    # test's own storage never outlives the test.
    from lms.certificates.tasks import delete_orphan_pdfs

    settings.AULA_CERTIFICATE_ORPHAN_AGE = 0
    name = default_storage.save("constancias/huerfano.pdf", ContentFile(b"%PDF-1.4"))
    assert delete_orphan_pdfs() == 1  # eager here, as Celery beat would queue it
    assert not default_storage.exists(name)


def test_a_pdf_goes_to_s3_without_asking_first_whether_its_name_is_free(s3, enrolled, course):
    """A PDF is named after its certificate's UUID: asking S3 whether the name is taken (a
    HEAD request before each upload) could never find it so, and is not done. The storage
    follows STORAGES (here the S3 server), as the default storage does."""
    with (
        override_settings(STORAGES=s3.storages()),
        mock.patch.object(S3Storage, "exists", side_effect=AssertionError("asked S3")),
    ):
        enrollment_id = _completed(enrolled, course)
        assert _run_task(enrollment_id) == []
        certificate = Certificate.objects.get(enrollment_id=enrollment_id)
        assert certificate.pdf.name == f"constancias/{certificate.uuid}.pdf"
        assert certificate.pdf.name in s3.keys("constancias/")
        assert certificate.pdf.read()[:5] == b"%PDF-"
        # One small PUT from the calling thread: no pool of upload threads per PDF.
        assert certificate.pdf.storage.transfer_config.use_threads is False
