"""Each documented setting of the constancias and of Celery does what the README says:
one test per setting, on the behaviour, not only the value.

Values read from the environment are checked in a fresh process (the settings load once
per process); what they do is checked here, with ``settings`` changed for the test.
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import segno
from celery.exceptions import Retry
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.test import override_settings
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4, letter

from lms.certificates import api, signing
from lms.certificates.models import Certificate
from lms.certificates.tasks import issue_certificate_task
from tests.helpers import certificate_receiver_muted, complete, run_django
from tests.services import REDIS_URL, broker_available

SIGNING_KEY = "q4C2Z5rP0bN8yJ1xW3vT6uS9oM7lK2hG4fD5sA8eR0c="
# A production environment with nothing unsafe in it (as tests/test_settings.py).
PRODUCTION = {
    "ALLOWED_HOSTS": "aula.example.org",
    "DJANGO_SECRET_KEY": "x" * 50,
    "AULA_SIGNING_KEY": SIGNING_KEY,
    "AULA_PUBLIC_URL": "https://aula.example.org",
    "EMAIL_URL": "smtp+tls://aula:secreto@smtp.example.org:587",
    "CELERY_BROKER_URL": "amqp://aula:secreto@127.0.0.1:5672//",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def _setting(name: str, **env) -> str:
    result = run_django(f"from django.conf import settings; print(settings.{name})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _production(**changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in {**PRODUCTION, **changes}.items() if v is not None}
    return run_django("", "lms.settings.production", **env)


@pytest.fixture
def completed(enrolled, course):
    """The id of an enrollment just completed, its certificate not issued yet."""
    with certificate_receiver_muted():
        return complete(enrolled, course).pk


def _pdf(certificate: Certificate) -> PdfReader:
    with certificate.pdf.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


# --- AULA_CERTIFICATE_RETRY_BACKOFF_MAX --------------------------------------------------


def _countdown(retries: int, error: Exception) -> float:
    """The wait the task asks for after its ``retries``-th failed try with ``error``."""
    asked = []

    def retry(*, exc, countdown):
        asked.append(countdown)
        return Retry(exc=exc, when=countdown)

    with (
        mock.patch.object(api, "issue_certificate", side_effect=error),
        mock.patch.object(issue_certificate_task, "retry", side_effect=retry),
    ):
        issue_certificate_task.push_request(retries=retries)
        try:
            with pytest.raises(Retry):
                issue_certificate_task.run(1)
        finally:
            issue_certificate_task.pop_request()
    return asked[0]


def test_retry_backoff_max_bounds_every_wait_and_is_read_at_each_retry(settings):
    """README/settings: while storage or the database is down, the backoff doubles from
    5 s (with jitter) and never waits more than AULA_CERTIFICATE_RETRY_BACKOFF_MAX; the
    task reads it at each retry, so a worker's environment decides it."""
    assert _setting("AULA_CERTIFICATE_RETRY_BACKOFF_MAX") == "600"
    assert (
        _setting("AULA_CERTIFICATE_RETRY_BACKOFF_MAX", AULA_CERTIFICATE_RETRY_BACKOFF_MAX="7")
        == "7"
    )
    errors = [OSError("disco lleno"), OperationalError("se perdió la conexión")]
    for limit in (600, 7, 600):  # changed between retries of the same task
        settings.AULA_CERTIFICATE_RETRY_BACKOFF_MAX = limit
        waits = [_countdown(retries, error) for retries in range(40) for error in errors]
        assert all(0 <= wait <= limit for wait in waits), (limit, max(waits))
        # The first tries wait at most 5 s, 10 s…: the backoff doubles from 5 s.
        assert _countdown(0, errors[0]) <= 5 and _countdown(1, errors[1]) <= 10
        if limit == 600:
            assert max(waits) > 7  # the limit in force, not an earlier one


# --- AULA_CERTIFICATE_PAGE_SIZE ----------------------------------------------------------


@pytest.mark.parametrize(("value", "size"), [("letter", letter), ("a4", A4)])
def test_page_size_is_the_size_of_the_pdf(settings, completed, value, size):
    """README: `letter` (default) or `a4`: a one-page PDF of that size."""
    settings.AULA_CERTIFICATE_PAGE_SIZE = value
    reader = _pdf(api.issue_certificate(enrollment_id=completed))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.01)


def test_page_size_from_the_environment_letter_by_default_anything_else_refused():
    assert _setting("AULA_CERTIFICATE_PAGE_SIZE") == "letter"
    assert _setting("AULA_CERTIFICATE_PAGE_SIZE", AULA_CERTIFICATE_PAGE_SIZE="A4") == "a4"
    assert _production(AULA_CERTIFICATE_PAGE_SIZE="A4").returncode == 0
    refused = _production(AULA_CERTIFICATE_PAGE_SIZE="legal")
    assert refused.returncode != 0
    assert "AULA_CERTIFICATE_PAGE_SIZE (legal) debe ser «letter»" in refused.stderr


# --- AULA_PUBLIC_URL -----------------------------------------------------------------------

# Addresses of others that a credential names (contexts, the INEA): not the site's own.
_THEIRS = ("https://www.w3.org/", "https://purl.imsglobal.org/", "https://www.gob.mx/")


def _addresses(value) -> list[str]:
    if isinstance(value, dict):
        return [url for item in value.values() for url in _addresses(item)]
    if isinstance(value, list):
        return [url for item in value for url in _addresses(item)]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return [value]
    return []


def test_public_url_is_printed_in_the_qr_code_and_signed_into_the_credential(settings, completed):
    """README: the `https://` address printed on constancias (QR code to
    `/verificar/<folio>/`) and signed into every credential."""
    settings.AULA_PUBLIC_URL = "https://constancias.ejemplo.mx"
    with mock.patch("lms.certificates.pdf.segno.make", wraps=segno.make) as make_qr:
        certificate = api.issue_certificate(enrollment_id=completed)
    verify = f"https://constancias.ejemplo.mx/verificar/{certificate.folio}/"
    assert [call.args[0] for call in make_qr.call_args_list] == [verify]
    # Printed beside the QR code too, for typing (wrapped on narrow pages).
    text = "".join(_pdf(certificate).pages[0].extract_text().split())
    assert verify.removeprefix("https://") in text
    document = certificate.credential
    ours = [url for url in _addresses(document) if not url.startswith(_THEIRS)]
    assert document["issuer"]["id"] in ours and verify in ours
    assert _addresses(document["proof"])  # the key that signed it: the issuer's, at the address
    assert all(url.startswith("https://constancias.ejemplo.mx/") for url in ours), ours
    # The issuer's profile, where verifiers find the key, is at the same address.
    assert api.issuer_profile()["id"] == document["issuer"]["id"]


# --- AULA_SIGNING_KEY ----------------------------------------------------------------------


def test_signing_key_signs_the_credentials_and_an_invalid_one_is_refused(settings, completed):
    """README: the Ed25519 private key for certificates, 32 bytes base64, validated at
    start-up; credentials are verified against it."""
    key = base64.b64encode(os.urandom(32)).decode()
    settings.AULA_SIGNING_KEY = key
    certificate = api.issue_certificate(enrollment_id=completed)
    ours = signing.private_key().public_key()
    test_key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(SIGNING_KEY))
    assert signing.verify(certificate.credential, ours)
    assert not signing.verify(certificate.credential, test_key.public_key())
    published = api.issuer_profile()["verificationMethod"][0]["publicKeyMultibase"]
    assert published == signing.public_key_multibase(ours)
    assert api.verify_credential(certificate.credential)[0]

    # Another key: the credentials signed with this one no longer verify.
    settings.AULA_SIGNING_KEY = SIGNING_KEY
    assert not api.verify_credential(certificate.credential)[0]

    # An invalid key issues nothing (no row, no PDF) and says why, in Spanish.
    certificate.delete()
    settings.AULA_SIGNING_KEY = base64.b64encode(b"corta").decode()
    with pytest.raises(ImproperlyConfigured, match="AULA_SIGNING_KEY debe ser 32 bytes"):
        api.issue_certificate(enrollment_id=completed)
    assert not Certificate.objects.filter(enrollment_id=completed).exists()
    # Production refuses to start with it.
    refused = _production(AULA_SIGNING_KEY="c2hvcnQ=")
    assert refused.returncode != 0 and "AULA_SIGNING_KEY no es válida" in refused.stderr


# --- AULA_CERTIFICATE_ORPHAN_AGE -----------------------------------------------------------


def test_orphan_age_is_how_old_a_pdf_without_a_row_must_be_to_be_deleted(db, tmp_path):
    """A PDF that no certificate names is deleted by the nightly cleanup once older than
    AULA_CERTIFICATE_ORPHAN_AGE seconds (a day by default), never sooner."""
    assert _setting("AULA_CERTIFICATE_ORPHAN_AGE") == str(24 * 60 * 60)
    assert _setting("AULA_CERTIFICATE_ORPHAN_AGE", AULA_CERTIFICATE_ORPHAN_AGE="3600") == "3600"
    local = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=local, AULA_CERTIFICATE_ORPHAN_AGE=3600):
        name = default_storage.save("constancias/huerfano.pdf", ContentFile(b"%PDF-1.4"))
        saved_at = default_storage.get_modified_time(name)
        assert api.delete_orphan_pdfs(now=saved_at + timedelta(seconds=3599)) == []
        assert default_storage.exists(name)
        assert api.delete_orphan_pdfs(now=saved_at + timedelta(seconds=3601)) == [name]
        assert not default_storage.exists(name)


# --- AULA_BROKER_VISIBILITY_TIMEOUT and CELERY_BROKER_URL --------------------------------


def test_visibility_timeout_is_what_a_redis_broker_waits_before_giving_a_message_back():
    """With Redis, a message taken by a worker that never acknowledges it (a crash) goes
    back to the queue after AULA_BROKER_VISIBILITY_TIMEOUT seconds (the crash test in
    test_crash_recovery.py sees it happen). By default it outlasts the longest retry wait
    of any task; production refuses one that does not."""
    channel = (
        "from lms.celery import app; c = app.connection_for_write(); "
        "print(c.default_channel.visibility_timeout); c.release()"
    )
    broker_available(REDIS_URL)
    redis = {"CELERY_BROKER_URL": REDIS_URL}
    result = run_django(channel, **redis)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == 60 * 60 + 5 * 60  # the welcome email's wait, 5 min more
    result = run_django(channel, **redis, AULA_BROKER_VISIBILITY_TIMEOUT="30")
    assert float(result.stdout) == 30
    longer_backoff = {"AULA_CERTIFICATE_RETRY_BACKOFF_MAX": "5000"}
    assert _setting("AULA_BROKER_VISIBILITY_TIMEOUT", **longer_backoff) == "5300"

    for timeout, backoff in (("600", "600"), ("3600", "600"), ("4000", "4000")):
        refused = _production(
            CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
            AULA_BROKER_VISIBILITY_TIMEOUT=timeout,
            AULA_CERTIFICATE_RETRY_BACKOFF_MAX=backoff,
        )
        assert refused.returncode != 0, (timeout, backoff)
        assert f"AULA_BROKER_VISIBILITY_TIMEOUT ({timeout} s) debe ser mayor" in refused.stderr
    assert _production(CELERY_BROKER_URL="redis://127.0.0.1:6379/0").returncode == 0
    # RabbitMQ gives a crashed worker's messages back at once: no visibility timeout.
    assert _production(AULA_BROKER_VISIBILITY_TIMEOUT="60").returncode == 0


def test_the_longest_retry_wait_of_other_tasks_is_kept_in_step():
    """AULA_BROKER_VISIBILITY_TIMEOUT's default and production's rule count on
    ``AULA_LONGEST_OTHER_RETRY_WAIT``: no task may wait longer than it between two tries."""
    from lms.celery import app
    from lms.notifications.tasks import DIGEST_RETRY_MINUTES
    from lms.settings.base import AULA_LONGEST_OTHER_RETRY_WAIT

    app.loader.import_default_modules()
    waits = {
        name: task.retry_backoff_max if task.retry_backoff else task.default_retry_delay
        for name, task in app.tasks.items()
        if getattr(task, "autoretry_for", ())
    }
    waits["reports.weekly_digest"] = DIGEST_RETRY_MINUTES * 60
    waits["reports.build_export"] = 600  # its countdown's maximum (lms/exports/tasks.py)
    assert waits and max(waits.values()) <= AULA_LONGEST_OTHER_RETRY_WAIT, waits


def test_broker_url_amqp_is_a_real_broker_in_production():
    """README: CELERY_BROKER_URL is `redis://…` or `amqp://…`; either runs the tasks in
    workers, never inside web requests."""
    for url in ("amqp://aula:secreto@127.0.0.1:5672//", "redis://127.0.0.1:6379/0"):
        result = run_django(
            "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)",
            "lms.settings.production",
            **{**PRODUCTION, "CELERY_BROKER_URL": url},
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "False"


# --- The beat schedule ---------------------------------------------------------------------


def test_the_beat_schedule_runs_the_sweep_every_15_minutes_and_the_cleanup_nightly(settings):
    """README: the beat task `certificates.sweep` runs every 15 minutes; the orphan PDFs
    are deleted nightly; every entry names a task the workers have."""
    from celery.beat import ScheduleEntry

    from lms.celery import app

    app.loader.import_default_modules()
    entries = {
        key: ScheduleEntry(name=key, app=app, **entry)
        for key, entry in settings.CELERY_BEAT_SCHEDULE.items()
    }
    assert {entry.task for entry in entries.values()} <= set(app.tasks)

    sweep = entries["constancias-pendientes"]
    assert sweep.task == "certificates.sweep"
    now = app.now()
    assert not sweep.schedule.is_due(now - timedelta(minutes=14, seconds=59)).is_due
    assert sweep.schedule.is_due(now - timedelta(minutes=15)).is_due

    cleanup = entries["constancias-huerfanas"]
    assert cleanup.task == "certificates.delete_orphan_pdfs"
    here = ZoneInfo(settings.TIME_ZONE)
    last = datetime(2026, 12, 1, 3, 50, tzinfo=here)
    with mock.patch.object(cleanup.schedule, "now", return_value=last + timedelta(hours=23)):
        assert not cleanup.schedule.is_due(last).is_due
    with mock.patch.object(cleanup.schedule, "now", return_value=last + timedelta(hours=24)):
        assert cleanup.schedule.is_due(last).is_due
