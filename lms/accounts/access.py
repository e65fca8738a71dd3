"""Who read whose data: the client's address as django-axes reads it, and the append-only
access log (``AccessRecord``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from axes.helpers import get_client_ip_address

from lms.accounts.models import AccessRecord, User

if TYPE_CHECKING:
    from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The client's IP address, read as django-axes reads it (behind a proxy, from the
    header ``AXES_IPWARE_META_PRECEDENCE_ORDER`` names); "" when unknown."""
    address: str = get_client_ip_address(request) or ""
    return address[:45]


# --- Who read whose data --------------------------------------------------------------------


def record_access(
    *, request: HttpRequest, action: str, subject: User | None = None, detail: str = ""
) -> AccessRecord:
    """Append to the access log that ``request.user`` did ``action`` (an ``AccessAction``)
    on ``subject``'s data (None for an export of many), from the request's address."""
    actor = request.user
    if not actor.is_authenticated:
        # What assigning AnonymousUser to ``AccessRecord.actor`` raises: nothing is written.
        raise ValueError("record_access needs a signed-in request.user")
    return AccessRecord.objects.create(
        actor=actor,
        actor_username=actor.get_username(),
        subject=subject,
        action=action,
        detail=detail[:300],
        address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:200],
    )
