"""Celery entry points of the quarterly evaluation reports (Celery autodiscovers this
module): ids in, one idempotent call, retries on the task."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from lms.evaluation import report_jobs, summary

logger = logging.getLogger(__name__)

__all__ = ["build_report", "quarterly_reports", "queue_report", "warm_figures"]


@shared_task(
    bind=True,
    name="evaluation.build_report",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=8,
)
def build_report(self, report_id: int) -> bool | None:  # type: ignore[no-untyped-def]
    """Build a report's PDF and CSV. A storage outage is retried with exponential backoff
    (5 s doubling up to 10 min); after that, or on any other error, the report is marked
    failed with a Spanish message. Failures are handled here rather than in
    ``on_failure`` so that eager mode (no broker) records them too."""
    try:
        return report_jobs.build_report(report_id=report_id)
    except report_jobs.STORAGE_ERRORS as exc:
        retries = self.request.retries or 0
        if retries < self.max_retries:
            countdown = get_exponential_backoff_interval(
                factor=5, retries=retries, maximum=600, full_jitter=True
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        with translation.override(settings.LANGUAGE_CODE):
            message = _(
                "No se pudo guardar el informe: el almacenamiento no respondió. Pídalo de "
                "nuevo más tarde."
            )
        report_jobs.fail_report(report_id=report_id, message=message)
        raise
    except Exception:
        logger.exception("No se pudo preparar el informe de evaluación %s", report_id)
        report_jobs.fail_report(report_id=report_id)
        raise


@shared_task(name="evaluation.quarterly_reports", acks_late=True)
def quarterly_reports() -> list[int]:
    """Celery beat, the first days of January, April, July and October: the reports of the
    quarter just ended, for the program and each sede."""
    return report_jobs.request_quarter_reports()


def queue_report(report_id: int) -> None:
    """Queue the build of a report (on commit). A broker that is down (or, in eager mode, a
    build that fails) never turns the request into an error page: the report is marked
    failed and the list says so."""
    try:
        build_report.delay(report_id)
    except Exception:
        logger.exception("No se pudo preparar el informe de evaluación %s", report_id)
        report_jobs.fail_report(report_id=report_id)


@shared_task(name="evaluation.warm_figures", acks_late=True)
def warm_figures() -> int:
    """Celery beat, every 10 minutes: the whole program's evaluation figures computed
    ahead, so the administrators' page never waits for them (``summary``)."""
    return summary.warm_program_figures()
