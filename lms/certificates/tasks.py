"""Celery entry points: ids in, one idempotent api call, retries on the task."""

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connections

from lms.certificates import api

# The retry policy of issuing, all of it here. Storage outages (S3 down, disk full) and
# database outages are retried with exponential backoff and full jitter: up to 5 s, 10 s,
# 20 s… between tries, never more than AULA_CERTIFICATE_RETRY_BACKOFF_MAX (600 s by
# default, so 150 tries last up to about a day), read at each retry so a worker's
# environment decides it. The periodic sweep catches anything that still slips through. A
# worker lost mid-task (acks_late, reject_on_worker_lost) gives the message back to the
# broker; issuing is idempotent. A worker whose whole machine stops acknowledges nothing:
# RabbitMQ gives the message back when the connection drops, Redis once it has been
# unacknowledged for AULA_BROKER_VISIBILITY_TIMEOUT (settings, Celery section).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
# The database went away (a restart, a failover, a dropped connection), or the rare
# collision of a new certificate's random folio or status index with another's: issuing
# re-raises an IntegrityError only when no valid certificate exists afterwards. Each leaves
# no row and no file; the retry runs on a fresh connection.
DATABASE_ERRORS = (OperationalError, InterfaceError, IntegrityError)
RETRY_BACKOFF = 5
MAX_RETRIES = 150


@shared_task(
    bind=True,
    name="certificates.issue",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def issue_certificate_task(self, enrollment_id: int) -> str | None:
    try:
        certificate = api.issue_certificate(enrollment_id=enrollment_id)
    except (*STORAGE_ERRORS, *DATABASE_ERRORS) as exc:
        if isinstance(exc, DATABASE_ERRORS):
            _close_connections()
        countdown = get_exponential_backoff_interval(
            factor=RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=settings.AULA_CERTIFICATE_RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
    return certificate.folio if certificate else None


def _close_connections() -> None:
    """Drop this process's database connections after a database error, so the next try
    opens a fresh one rather than reusing a broken one. Never inside a transaction (a task
    run eagerly within a request or a test): that one is its caller's to end."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


@shared_task(name="certificates.sweep", acks_late=True)
def sweep_missing_certificates() -> int:
    """Periodic (Celery beat): re-queue completed enrollments that have no certificate."""
    missing = api.missing_certificates()
    for enrollment_id in missing:
        issue_certificate_task.delay(enrollment_id)
    return len(missing)


@shared_task(name="certificates.delete_orphan_pdfs", acks_late=True)
def delete_orphan_pdfs() -> int:
    """Nightly (Celery beat): delete stored PDFs that no certificate names, once older than
    AULA_CERTIFICATE_ORPHAN_AGE (``cleanup``). Returns how many were deleted."""
    return len(api.delete_orphan_pdfs())
