"""Where certificates' PDFs are stored: the site's default storage (``STORAGES["default"]``,
an S3 bucket or ``MEDIA_ROOT``), set up for many small files with names of their own.

- A PDF is named after its certificate's UUID (``issuing``), so the name is always free.
  The default storage checks that first anyway: django-storages asks S3 whether the name
  exists (a HEAD request) before every upload. This storage does not ask.
- A PDF is one small upload (about 30 KB). boto3 sends every upload through a pool of
  threads made for it and joined after it, built for large files sent in parts. This
  storage uploads a PDF in the calling thread.

Together (``bench/certificates.py``, two workers): 22.0 certificates a second per worker
before, 22.5–23.6 after, on the same machine and day.

It follows ``STORAGES`` as Django's default storage does, also when a test changes it.
"""

from __future__ import annotations

from typing import Any

from boto3.s3.transfer import TransferConfig
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty
from django.utils.module_loading import import_string
from storages.backends.s3 import S3Storage


class _PdfStorage(LazyObject):
    def _setup(self) -> None:
        config = settings.STORAGES["default"]
        backend = import_string(config["BACKEND"])
        options: dict[str, Any] = dict(config.get("OPTIONS", {}))
        if issubclass(backend, S3Storage):
            options["file_overwrite"] = True
            options["transfer_config"] = TransferConfig(use_threads=False)
        elif issubclass(backend, FileSystemStorage):
            options["allow_overwrite"] = True
        self._wrapped = backend(**options)


pdf_storage = _PdfStorage()


def certificate_pdf_storage() -> _PdfStorage:
    """The PDF field's storage (a callable, so migrations name it rather than copy it)."""
    return pdf_storage


@receiver(setting_changed)
def _follow_storages(*, setting: str, **kwargs: object) -> None:
    if setting == "STORAGES":
        pdf_storage._wrapped = empty
