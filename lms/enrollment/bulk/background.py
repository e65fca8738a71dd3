"""Applying a bulk upload in the background, with a progress page.

The coordinator confirms the preview: ``request_apply`` marks the upload ``queued`` and,
once that commits, queues the Celery task ``enrollment.apply_bulk_import`` (with the
function its caller passes in, ``tasks.queue_apply``: nothing in this package imports the
tasks). The task calls ``apply_queued``, which marks the upload ``applying`` (committed
at once, so the page can say so) and runs ``applying.apply_import``:
one transaction under a row lock on the upload, all or nothing, that sets ``applied``
when it commits; if it rolls back, the upload is marked ``failed`` with the reason.

While the transaction is open nothing it writes can be seen from another connection, so
the count of rows done goes to Django's cache instead (every ``PROGRESS_EVERY`` rows).
The cache must be shared by the web and worker processes for the page to show the count
(production refuses to start with a per-process cache); without it the page still says
the list is being applied. In the embedded default (Celery eager, no broker) the task
runs inside the confirming request, after its commit, and the page shows the result
straight away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from lms.enrollment.bulk.applying import (
    STEP_ACCOUNTS,
    STEP_ROWS,
    STEP_SHEET,
    ApplyFailed,
    QueueWelcomeEmail,
    apply_import,
)
from lms.enrollment.bulk.checks import Check
from lms.enrollment.bulk.validation import validate_rows
from lms.enrollment.models import BulkImport

logger = logging.getLogger(__name__)

Status = BulkImport.Status
Failure = BulkImport.Failure
ACTIVE = (Status.QUEUED, Status.APPLYING)

# An upload queued or being applied for longer than this was given up on (its message was
# lost, its worker died; an application of the largest file takes well under a minute):
# it may be queued again, and the nightly clean-up may delete it.
STALLED_AFTER = timedelta(minutes=15)

# Queues the application of an upload: ``(bulk_import_id, by_id, base_url)``.
QueueApply = Callable[[int, int, str], object]

# Progress is written to the cache at every new step and every this many rows: often
# enough for a page that refreshes every few seconds, rarely enough to cost nothing.
PROGRESS_EVERY = 25
PROGRESS_TIMEOUT = 60 * 60  # seconds; an application takes well under a minute


def _progress_key(bulk_import_id: int) -> str:
    return f"aula:bulk-apply:{bulk_import_id}"


# --- The web side ----------------------------------------------------------------------------


def is_stalled(bulk_import: BulkImport, *, now=None) -> bool:
    """Whether ``bulk_import`` has been queued or applying for longer than
    ``STALLED_AFTER`` (its message was lost or its worker died): it may be queued
    again."""
    if bulk_import.status not in ACTIVE or bulk_import.status_at is None:
        return False
    return bulk_import.status_at < (now or timezone.now()) - STALLED_AFTER


def request_apply(*, bulk_import: BulkImport, by, base_url: str, queue: QueueApply) -> bool:
    """Ask for ``bulk_import`` to be applied by coordinator ``by``.

    Returns True if this call queued it: it is marked ``queued`` and
    ``queue(bulk_import_id, by_id, base_url)`` (the views pass ``tasks.queue_apply``) is
    called when the current transaction commits (eagerly, the task has run by the time
    the outermost transaction is left). Returns False, queuing nothing, if it is applied already or
    is queued or being applied and not stalled, so a second click, a second tab or a
    second coordinator never queue it twice. A failed upload may be queued again.
    """
    now = timezone.now()
    startable = Q(status__in=[Status.PENDING, Status.FAILED]) | Q(
        status__in=ACTIVE, status_at__lt=now - STALLED_AFTER
    )
    with transaction.atomic():
        # One conditional UPDATE, not a lock: the row may be locked for the whole of a
        # running application, and this request must not wait for it.
        queued = BulkImport.objects.filter(
            startable, pk=bulk_import.pk, applied_at__isnull=True
        ).update(status=Status.QUEUED, status_at=now, failure="", failed_rows=[])
        if queued:
            transaction.on_commit(partial(queue, bulk_import.pk, by.pk, base_url))
    return bool(queued)


@dataclass(frozen=True)
class Progress:
    """What the progress page shows: the ``applying.STEP_*`` under way (None: not started or
    not known here), rows done of ``total`` (the rows of the file) and an estimate of the
    whole, 0–100, for the bar."""

    step: str | None
    done: int
    total: int
    percent: int


def progress_of(bulk_import: BulkImport) -> Progress:
    """The progress of an upload being applied, as its worker last wrote it."""
    data = None
    if bulk_import.status == Status.APPLYING:
        try:
            data = cache.get(_progress_key(bulk_import.pk))
        except Exception:
            logger.warning("No se pudo leer el avance de %s", bulk_import.pk, exc_info=True)
    if not data:
        return Progress(step=None, done=0, total=len(bulk_import.rows), percent=0)
    step, done, total = data["step"], data["done"], max(data["total"], 1)
    # Two passes over the rows: the accounts are the first half of the bar, the grupo and
    # the courses the second; the sheet of codes is what is left.
    share = {STEP_ACCOUNTS: done / (2 * total), STEP_ROWS: (total + done) / (2 * total)}
    percent = 99 if step == STEP_SHEET else round(99 * share.get(step, 0))
    return Progress(step=step, done=done, total=data["total"], percent=percent)


def preview_check(bulk_import: BulkImport, *, by) -> Check:
    """The rows of an unapplied upload checked now, plus the rows that failed while
    writing at its last failed application (a new check may not find those again)."""
    check = validate_rows(rows=bulk_import.rows, grupo=bulk_import.grupo, by=by)
    if bulk_import.status == Status.FAILED:
        for number, message in bulk_import.failed_rows:
            check.add_error(number, message)
    return check


# --- The task side ---------------------------------------------------------------------------


class _Reporter:
    """``apply_import``'s ``progress``: writes ``{step, done, total}`` to the cache at
    each new step and every ``PROGRESS_EVERY`` rows. A cache that fails costs the page its
    count, never the application."""

    def __init__(self, bulk_import_id: int):
        self.key = _progress_key(bulk_import_id)
        self.step: str | None = None
        self.written = 0

    def __call__(self, step: str, done: int, total: int) -> None:
        if step == self.step and done - self.written < PROGRESS_EVERY and done != total:
            return
        self.step, self.written = step, done
        try:
            cache.set(self.key, {"step": step, "done": done, "total": total}, PROGRESS_TIMEOUT)
        except Exception:
            logger.warning("No se pudo guardar el avance en %s", self.key, exc_info=True)

    def clear(self) -> None:
        try:
            cache.delete(self.key)
        except Exception:
            logger.warning("No se pudo borrar el avance en %s", self.key, exc_info=True)


def mark_failed(
    bulk_import_id: int, *, failure: str = Failure.ERROR, failed_rows: list | None = None
) -> bool:
    """Mark a queued or applying upload ``failed`` (nothing of it was written), so its
    page says why and the coordinator can apply it again. An applied upload stays
    applied. Returns whether it was marked."""
    return bool(
        BulkImport.objects.filter(pk=bulk_import_id, status__in=ACTIVE).update(
            status=Status.FAILED,
            status_at=timezone.now(),
            failure=failure,
            failed_rows=failed_rows or [],
        )
    )


def apply_queued(
    *, bulk_import_id: int, by_id: int, base_url: str, queue_welcome_email: QueueWelcomeEmail
) -> str:
    """Apply a queued upload for coordinator ``by_id`` (the Celery task's one call, which
    passes ``queue_welcome_email``: see ``apply_import``).

    Returns ``"applied"``; ``"already"`` if it was applied before (nothing done);
    ``"failed"`` if it could not be applied (rows with errors now, a row that failed
    while writing, the coordinator's account gone): nothing was written and the upload
    is marked failed with the reason; or ``"skipped"`` if it is not queued (deleted,
    or failed since: a stale duplicate message does nothing). Idempotent: a retried or
    duplicated message, or two workers at once, apply it once (the second waits for the
    first's row lock, then finds it applied). Any other exception marks the upload
    failed (nothing written) and propagates.
    """
    # Committed at once, so the page says "applying" while the transaction is open. A
    # message redelivered after its worker died finds "applying" and carries on.
    claimed = BulkImport.objects.filter(pk=bulk_import_id, status__in=ACTIVE).update(
        status=Status.APPLYING, status_at=timezone.now()
    )
    bulk_import = BulkImport.objects.filter(pk=bulk_import_id).first() if claimed else None
    if bulk_import is None:
        status = BulkImport.objects.filter(pk=bulk_import_id).values_list("status", flat=True)
        return "already" if status.first() == Status.APPLIED else "skipped"
    by = get_user_model().objects.filter(pk=by_id, is_active=True).first()
    if by is None:
        mark_failed(bulk_import_id)
        return "failed"
    reporter = _Reporter(bulk_import_id)
    try:
        # The same language whether a worker or the request (eagerly) runs it: the
        # messages of rows that fail while writing are stored.
        with translation.override(settings.LANGUAGE_CODE):
            applied = apply_import(
                bulk_import=bulk_import,
                by=by,
                base_url=base_url,
                queue_welcome_email=queue_welcome_email,
                progress=reporter,
            )
    except ApplyFailed as failed:
        rows = [list(failed.failed_row)] if failed.failed_row else []
        mark_failed(bulk_import_id, failure=Failure.CHANGED, failed_rows=rows)
        return "failed"
    except Exception:
        mark_failed(bulk_import_id)
        raise
    finally:
        reporter.clear()
    return "already" if applied.already else "applied"
