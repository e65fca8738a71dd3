"""Celery entry points of the notifications (Celery beat, see ``CELERY_BEAT_SCHEDULE``):
each calls one idempotent function with the current time.

The task names (``reports.weekly_digest``, ``reports.send_reminders``) are stable
identifiers from before this app was split out of ``reports``: the beat schedule in
settings and messages already waiting in a broker refer to them, so they keep the old
prefix. Never rename them.
"""

from celery import shared_task
from django.utils import timezone

from lms.notifications import digest, reminders

__all__ = ["send_reminders", "weekly_digest"]

#: Minutes between retries of a digest run that could not send every email.
DIGEST_RETRY_MINUTES = 30


# Stable name: the beat schedule and queued messages use it (module docstring).
@shared_task(name="reports.weekly_digest", bind=True, acks_late=True, max_retries=6)
def weekly_digest(self) -> dict[str, int]:
    """Mondays. The digest is weekly, so a coordinator whose email failed would otherwise
    wait a week: the run is retried a few times, half an hour apart; each retry sends only
    to those still without this week's digest. Run eagerly (no broker) there is nothing to
    retry later with, and the summary says what failed."""
    summary = digest.send_weekly_digests(now=timezone.now())
    if summary.failed and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=DIGEST_RETRY_MINUTES * 60)
    return summary.as_dict()


# Stable name: the beat schedule and queued messages use it (module docstring).
@shared_task(name="reports.send_reminders", acks_late=True)
def send_reminders() -> dict[str, int]:
    """Daily. Reminders that could not be sent go out with the next day's run."""
    return reminders.send_reminders(now=timezone.now()).as_dict()
