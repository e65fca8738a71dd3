"""Celery entry points of ``enrollment`` (Celery autodiscovers this module): ids in, one
api call each.

This module imports only ``api``, and nothing below it imports this module: where the
code below queues one of these tasks it calls a function its caller passes in (the
confirming view passes ``queue_apply``; ``apply_bulk_import_task`` passes
``send_welcome_email_task.delay``).
"""

import logging
from smtplib import SMTPException

from celery import shared_task

from lms.enrollment import api

logger = logging.getLogger(__name__)


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
    return api.send_welcome_email(user_id=user_id, base_url=base_url, sede_name=sede_name)


@shared_task(name="enrollment.apply_bulk_import", acks_late=True, reject_on_worker_lost=True)
def apply_bulk_import_task(bulk_import_id: int, by_id: int, base_url: str) -> str:
    """Apply a bulk upload its coordinator confirmed (queued on commit by
    ``queue_apply``). Idempotent: a redelivered or duplicated message applies nothing
    twice. Failures are recorded on the upload by ``apply_queued_bulk_import`` itself, so
    that eager mode (no broker) records them too."""
    return api.apply_queued_bulk_import(
        bulk_import_id=bulk_import_id,
        by_id=by_id,
        base_url=base_url,
        queue_welcome_email=send_welcome_email_task.delay,
    )


def queue_apply(bulk_import_id: int, by_id: int, base_url: str) -> None:
    """Queue the application of an upload; ``bulk.request_apply`` calls it on commit
    (the confirming view passes it in). A broker that is down (or, in eager mode, an
    application that crashed) never turns the request into an error page: the upload is
    marked failed and its page says so."""
    try:
        apply_bulk_import_task.delay(bulk_import_id, by_id, base_url)
    except Exception:
        logger.exception("No se pudo aplicar la inscripción masiva %s", bulk_import_id)
        api.mark_bulk_import_failed(bulk_import_id)
