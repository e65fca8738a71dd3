"""Celery entry points of the notifications (Celery beat, see ``CELERY_BEAT_SCHEDULE``):
each calls one idempotent function of ``notifications`` with the current time."""

from celery import shared_task
from django.utils import timezone

from lms.reports import notifications

__all__ = ["send_reminders", "weekly_digest"]

#: Minutes between retries of a digest run that could not send every email.
DIGEST_RETRY_MINUTES = 30


@shared_task(name="reports.weekly_digest", bind=True, acks_late=True, max_retries=6)
def weekly_digest(self) -> dict[str, int]:
    """Mondays. The digest is weekly, so a coordinator whose email failed would otherwise
    wait a week: the run is retried a few times, half an hour apart; each retry sends only
    to those still without this week's digest. Run eagerly (no broker) there is nothing to
    retry later with, and the summary says what failed."""
    summary = notifications.send_weekly_digests(now=timezone.now())
    if summary.failed and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=DIGEST_RETRY_MINUTES * 60)
    return summary.as_dict()


@shared_task(name="reports.send_reminders", acks_late=True)
def send_reminders() -> dict[str, int]:
    """Daily. Reminders that could not be sent go out with the next day's run."""
    return notifications.send_reminders(now=timezone.now()).as_dict()
