"""Serving the light versions of a document (``content.media``) to the people who may
have the document itself: Wagtail's ``before_serve_document`` hooks decide, exactly as for
the original (a lesson's files only to those who may see the lesson)."""

from __future__ import annotations

import re

from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe
from wagtail import hooks
from wagtail.documents import get_document_model

from content.models import MediaVersion


@require_safe
def serve_media_version(request, document_id: int, kind: str):
    document = get_object_or_404(get_document_model(), pk=document_id)
    for hook in hooks.get_hooks("before_serve_document"):
        result = hook(document, request)
        if isinstance(result, HttpResponse):
            return result
    version = MediaVersion.objects.filter(
        document=document, kind=kind, source=document.file.name
    ).first()
    if version is None:
        raise Http404
    storage = version.file.storage
    if not isinstance(storage, FileSystemStorage):  # S3: a short-lived presigned URL
        response = HttpResponseRedirect(
            storage.url(version.file.name, parameters={"ResponseContentType": version.content_type})
        )
    else:
        response = _local_file(request, version)
        response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
# At most this much in one answer; the player asks for the rest (allowed by RFC 9110).
MAX_RANGE = 8 * 1024 * 1024


def _local_file(request, version: MediaVersion) -> HttpResponse:
    """The file from the local disk; one byte range when asked (``Range: bytes=a-b``):
    phones' players (Safari's above all) fetch a video in ranges and play nothing without
    them. S3 answers ranges itself."""
    size = version.size
    found = RANGE.match(request.headers.get("Range", "").strip())
    if not found or found.groups() == ("", ""):
        response = FileResponse(version.file.open("rb"), content_type=version.content_type)
        response["Content-Length"] = size
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = found.groups()
    if first:
        start, end = int(first), min(int(last) if last else size - 1, size - 1)
    else:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    end = min(end, start + MAX_RANGE - 1)
    if start > end or start >= size:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    with version.file.open("rb") as handle:
        handle.seek(start)
        data = handle.read(end - start + 1)
    response = HttpResponse(data, status=206, content_type=version.content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    return response
