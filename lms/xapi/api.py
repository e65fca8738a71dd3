"""The front door of ``xapi``: learning records out by standard, as xAPI statements sent
to a Learning Record Store (``XAPI_LRS_URL``; empty: off, nothing is collected or sent).

Nothing here runs in a learner's request: beat runs ``deliver`` (``lms/xapi/tasks.py``)
every minute. It fills an outbox from the learning events, attempts, completions and
certificates (``collect``), then sends what is pending (``send_pending``). Every
statement id is derived from its source's UUID and every statement is stored once as
sent, so sending again is harmless and an LRS outage only delays delivery.
"""

from __future__ import annotations

from datetime import datetime

from lms.xapi import statements
from lms.xapi.collect import collect, reconcile
from lms.xapi.delivery import LRSUnavailable, SendReport, enabled, pending_count, send_pending
from lms.xapi.models import Source, State

__all__ = [
    "LRSUnavailable",
    "SendReport",
    "Source",
    "State",
    "collect",
    "deliver",
    "enabled",
    "pending_count",
    "reconcile",
    "send_pending",
    "statements",
]


def deliver(*, now: datetime | None = None, max_batches: int | None = None) -> SendReport:
    """Collect new statements and send everything pending. Does nothing while no LRS is
    configured. Raises ``LRSUnavailable`` when the LRS cannot take them now."""
    if not enabled():
        return SendReport()
    collect(now=now)
    return send_pending(max_batches=max_batches)
