"""Constancia PDFs that no certificate names, and their deletion.

Issuing stores the PDF first and inserts the row after it (``issuing``). A failure in
between deletes the file, but a process killed at that moment (or a commit whose outcome
is unknown) leaves a file with no row. ``delete_orphan_pdfs`` (the nightly Celery beat
task ``certificates.delete_orphan_pdfs``) lists the PDFs in the default storage and
deletes those that no certificate names (valid, revoked or replaced: every row counts)
and that are older than ``AULA_CERTIFICATE_ORPHAN_AGE``: a PDF being issued right now
has no row yet for a moment. The table is asked again just before each deletion.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from lms.certificates.models import Certificate

logger = logging.getLogger(__name__)

FOLDER = "constancias"
_BATCH = 1000  # file names looked up in the table per query


def _stored_pdfs(storage: Storage) -> list[str]:
    """The names of the PDFs directly in the folder of the constancias (``upload_to``);
    whatever else might be stored below it is not theirs to judge."""
    try:
        _folders, files = storage.listdir(FOLDER)
    except FileNotFoundError:  # no constancia was ever stored here
        return []
    return sorted(f"{FOLDER}/{name}" for name in files if name.endswith(".pdf"))


def _without_row(names: list[str]) -> list[str]:
    orphans: list[str] = []
    for start in range(0, len(names), _BATCH):
        batch = names[start : start + _BATCH]
        named = set(Certificate.objects.filter(pdf__in=batch).values_list("pdf", flat=True))
        orphans.extend(name for name in batch if name not in named)
    return orphans


def orphan_pdfs(*, now: datetime | None = None, storage: Storage | None = None) -> list[str]:
    """The stored PDFs that no certificate names and that are older than
    ``AULA_CERTIFICATE_ORPHAN_AGE`` seconds, oldest first."""
    storage = storage or default_storage
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.AULA_CERTIFICATE_ORPHAN_AGE)
    aged: list[tuple[datetime, str]] = []
    for name in _without_row(_stored_pdfs(storage)):
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:  # deleted meanwhile (the loser of an issuing race)
            continue
        if modified < cutoff:
            aged.append((modified, name))
    return [name for _modified, name in sorted(aged)]


def delete_orphan_pdfs(*, now: datetime | None = None, storage: Storage | None = None) -> list[str]:
    """Delete the PDFs ``orphan_pdfs`` finds, each only if still no row names it. Returns
    the names deleted. A file that cannot be deleted is logged and left for the next run."""
    storage = storage or default_storage
    deleted: list[str] = []
    for name in _recheck(orphan_pdfs(now=now, storage=storage)):
        try:
            storage.delete(name)
        except Exception:
            logger.exception("No se pudo borrar el PDF huérfano %s", name)
            continue
        logger.info("PDF de constancia sin registro borrado: %s", name)
        deleted.append(name)
    return deleted


def _recheck(names: Iterable[str]) -> Iterable[str]:
    for name in names:
        if not Certificate.objects.filter(pdf=name).exists():
            yield name
