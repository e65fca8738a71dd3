"""Celery entry points of ``content``: ids in, one idempotent call, retries here."""

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from content import media

RETRY_BACKOFF = 10
TRANSCODE = "content.transcode_media"


@shared_task(
    bind=True, name=TRANSCODE, acks_late=True, reject_on_worker_lost=True, max_retries=None
)
def transcode_media(self, document_id: int, force: bool = False) -> str:
    """Make the light versions of a video or audio document (``content.media``).

    A failure is retried with exponential backoff (at most AULA_MEDIA_RETRY_BACKOFF_MAX
    seconds apart) up to AULA_MEDIA_MAX_RETRIES times; then the document is marked
    "failed" with a Spanish message the author sees in the admin, and the task ends (it
    does not raise). A missing ffmpeg fails at once: retrying would not help."""
    max_retries = settings.AULA_MEDIA_MAX_RETRIES
    if self.request.is_eager:
        # No broker (``make run``, most tests): the tries follow one another at once.
        for retries in range(max_retries + 1):
            outcome = _attempt(document_id, force=force, final=retries >= max_retries)
            if not isinstance(outcome, Exception):
                return outcome
        return "failed"
    outcome = _attempt(document_id, force=force, final=self.request.retries >= max_retries)
    if isinstance(outcome, Exception):
        countdown = get_exponential_backoff_interval(
            factor=RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=settings.AULA_MEDIA_RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(exc=outcome, countdown=countdown) from outcome
    return outcome


def _attempt(document_id: int, *, force: bool, final: bool) -> str | Exception:
    """One try: how it ended ("done", "failed"…), or the error to retry after."""
    try:
        processing = media.process_document(document_id, final_attempt=final, force=force)
    except media.ToolMissing:
        return "failed"
    except (media.MediaError, OSError, BotoCoreError, ClientError) as exc:
        return "failed" if final else exc
    return processing.status if processing else "skipped"
