"""Celery entry points of ``enrollment`` (Celery autodiscovers this module): ids in, one
api call each."""

from smtplib import SMTPException

from celery import shared_task

from lms.enrollment import api, bulk


@shared_task(name="enrollment.cleanup", acks_late=True)
def cleanup_task() -> dict[str, int]:
    """Nightly (Celery beat): delete bulk uploads nobody applied and expired code sheets."""
    return api.cleanup_bulk_imports()


@shared_task(
    name="enrollment.send_welcome_email",
    autoretry_for=(OSError, SMTPException),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def send_welcome_email_task(user_id: int, base_url: str, sede_name: str) -> bool:
    """The welcome email of a learner created by bulk enrollment (queued on commit)."""
    return bulk.send_welcome_email(user_id=user_id, base_url=base_url, sede_name=sede_name)
