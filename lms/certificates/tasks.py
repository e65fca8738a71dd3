"""Celery entry points: ids in, one idempotent api call, retries on the task."""

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from lms.certificates import api

# Storage outages (S3 down, disk full): retry with exponential backoff, for up to about a
# day; the periodic sweep catches anything that still slips through.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


@shared_task(
    name="certificates.issue",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=STORAGE_ERRORS,
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=150,
)
def issue_certificate_task(enrollment_id: int) -> str | None:
    certificate = api.issue_certificate(enrollment_id=enrollment_id)
    return certificate.folio if certificate else None


@shared_task(name="certificates.sweep", acks_late=True)
def sweep_missing_certificates() -> int:
    """Periodic (Celery beat): re-queue completed enrollments that have no certificate."""
    missing = api.missing_certificates()
    for enrollment_id in missing:
        issue_certificate_task.delay(enrollment_id)
    return len(missing)
