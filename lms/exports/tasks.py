"""Celery entry points of the exports (Celery autodiscovers this module): ids in, one
idempotent call, retries on the task.

The task names (``reports.build_export``, ``reports.cleanup``) are stable identifiers
from before this app was split out of ``reports``: messages already waiting in a broker
and the beat schedule (``CELERY_BEAT_SCHEDULE`` in settings) refer to them, so they keep
the old prefix. Never rename them.
"""

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from lms.exports import jobs

logger = logging.getLogger(__name__)

__all__ = ["build_export", "cleanup_exports", "queue_export"]


@shared_task(
    bind=True,
    name="reports.build_export",  # stable: queued messages use it (module docstring)
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
)
def build_export(self, job_id: int) -> int | None:
    """Build an export job's file. A storage outage (S3 down, disk full) is retried with
    exponential backoff (5 s doubling up to 10 min, about twenty minutes in all); after
    that, or on any other error, the job is marked failed with a Spanish message and
    the requester is told. Failures are handled here rather than in ``on_failure``
    so that eager mode (no broker) records them too."""
    try:
        return jobs.build_job(job_id=job_id)
    except jobs.STORAGE_ERRORS as exc:
        retries = self.request.retries or 0
        if retries < self.max_retries:
            countdown = get_exponential_backoff_interval(
                factor=5, retries=retries, maximum=600, full_jitter=True
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        with translation.override(settings.LANGUAGE_CODE):
            message = _(
                "No se pudo guardar el archivo: el almacenamiento no respondió. Pídalo de "
                "nuevo más tarde."
            )
        jobs.fail_job(job_id=job_id, message=message)
        raise
    except Exception:
        jobs.fail_job(job_id=job_id)
        raise


# Stable name: the beat schedule and queued messages use it (module docstring).
@shared_task(name="reports.cleanup", acks_late=True)
def cleanup_exports() -> int:
    """Nightly (Celery beat): delete exports older than ``AULA_EXPORT_KEEP_DAYS``."""
    return jobs.delete_old_jobs()


def queue_export(job_id: int) -> None:
    """Queue the build of a job; the export page calls it on commit. A broker that is
    down (or, in eager mode, a build that fails) never turns the request into an error
    page: the job is marked failed and the list of files says so."""
    try:
        build_export.delay(job_id)
    except Exception:
        logger.exception("No se pudo preparar la exportación %s", job_id)
        jobs.fail_job(job_id=job_id)
