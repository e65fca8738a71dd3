"""Ids that forms carry so that a repeated post (a double tap, a resent form, the offline
queue) is one effect: the page renders a fresh UUID, the view reads it back here."""

import uuid

from django.http import HttpRequest


def posted_uuid(request: HttpRequest, name: str) -> uuid.UUID | None:
    """The UUID posted in field ``name``, or None when it is missing or not a UUID (a
    form from a page shown before it carried one)."""
    try:
        return uuid.UUID(request.POST.get(name) or "")
    except ValueError:
        return None
