"""Uploaded media kept in the local ``media/`` folder (the embedded default, or a
production without S3), served by Aula itself in every environment.

Only image renditions (what pages show, ``images/``) are served to anyone; the originals
(``original_images/``) only to staff in the admin. Everything else under ``media/`` is
private and has its own permission-checked view: documents at ``/documentos/``,
constancias, export files and sheets of access codes at theirs. So this view answers 404
for those folders, whoever asks, instead of handing out whatever sits on disk.

On S3 files are served from the bucket through short-lived presigned URLs and this view
answers 404. Behind a web server (nginx, a CDN) that serves ``/media/images/`` itself,
this view is simply never reached for renditions.
"""

from __future__ import annotations

import os
import posixpath

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.http import Http404
from django.views.static import serve

PUBLIC_FOLDERS = ("images/",)
STAFF_FOLDERS = ("original_images/",)
# An uploaded SVG opened on its own must not run script or load anything.
MEDIA_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"
PUBLIC_MAX_AGE = 24 * 60 * 60
NAME_MAX, PATH_MAX = 255, 4096  # bytes, as on Linux


def _cannot_exist(path: str) -> bool:
    """A name longer than the file system allows: the OS would refuse to look it up
    (ENAMETOOLONG, a 500) rather than say it is not there."""
    full = os.fsencode(os.path.join(settings.MEDIA_ROOT, path))
    return len(full) >= PATH_MAX or any(len(part) > NAME_MAX for part in full.split(b"/"))


def serve_media(request, path: str):
    if not isinstance(storages["default"], FileSystemStorage):
        raise Http404
    path = posixpath.normpath(path).lstrip("/")
    if _cannot_exist(path):
        raise Http404
    if path.startswith(PUBLIC_FOLDERS):
        cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    elif path.startswith(STAFF_FOLDERS) and request.user.has_perm("wagtailadmin.access_admin"):
        cache_control = "private, no-store"
    else:
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = MEDIA_CSP
    response["Cache-Control"] = cache_control
    return response
