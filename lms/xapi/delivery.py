"""Send the outbox to the Learning Record Store: ``POST <LRS>/xAPI/statements``, in batches,
oldest first, one send loop at a time (a lease on a ``Cursor`` row).

A statement is marked sent only when the LRS answered 2xx for its batch. When the LRS
cannot be reached, times out, or answers anything else that is not about the statements
(5xx, 401, 403, 429…), the loop stops with ``LRSUnavailable`` and everything not yet sent
stays pending for the next run (the task retries with backoff, and beat runs it every
minute). When the LRS refuses a batch because of its statements (400, 409, 413, 422), each
is sent on its own with ``PUT ?statementId=``: one the LRS still refuses is marked
``rejected`` with its answer, so a single bad statement never holds back the rest.

An identical duplicate (same id, same content) is accepted by an LRS without storing it
twice (xAPI 1.0.3; Ralph answers 200/204), which is what makes resending harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from lms.xapi.collect import cursor_row
from lms.xapi.models import Cursor, State, Statement

XAPI_VERSION = "1.0.3"
LEASE = "sender"
LEASE_SECONDS = 300
# Answers about the statements themselves (invalid: 400, or 422 from FastAPI-based LRSs
# such as Ralph; a differing statement with the same id: 409; too large: 413): try them
# one by one.
STATEMENT_ERRORS = {400, 409, 413, 422}


class LRSUnavailable(Exception):
    """The LRS could not take statements now; nothing was marked sent."""


@dataclass
class SendReport:
    sent: int = 0
    rejected: int = 0
    requests: int = 0
    busy: bool = False  # another send loop held the lease

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "rejected": self.rejected,
            "requests": self.requests,
            "busy": self.busy,
        }


def enabled() -> bool:
    return bool(settings.XAPI_LRS_URL)


def _endpoint() -> str:
    return str(settings.XAPI_LRS_URL).rstrip("/") + "/xAPI/statements"


def _session() -> requests.Session:
    session = requests.Session()
    session.headers.update(
        {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}
    )
    if settings.XAPI_LRS_USERNAME:
        session.auth = (settings.XAPI_LRS_USERNAME, settings.XAPI_LRS_PASSWORD)
    return session


def _take_lease() -> bool:
    cursor_row(LEASE)
    now = timezone.now()
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    until = now + timedelta(seconds=LEASE_SECONDS)
    return Cursor.objects.filter(free, name=LEASE).update(locked_until=until) == 1


def _renew_lease() -> None:
    until = timezone.now() + timedelta(seconds=LEASE_SECONDS)
    Cursor.objects.filter(name=LEASE).update(locked_until=until)


def _release_lease() -> None:
    Cursor.objects.filter(name=LEASE).update(locked_until=None)


def _answer(response: requests.Response) -> str:
    return f"{response.status_code}: {response.text[:500]}"


def _request(
    session: requests.Session, method: str, body: Any, params: dict[str, str] | None = None
) -> requests.Response:
    try:
        return session.request(
            method,
            _endpoint(),
            json=body,
            params=params,
            timeout=settings.XAPI_LRS_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise LRSUnavailable(f"{type(exc).__name__}: {exc}") from exc


def _mark(ids: list[int], state: str, error: str = "") -> None:
    Statement.objects.filter(id__in=ids).update(
        state=state,
        sent_at=timezone.now() if state == State.SENT else None,
        tries=F("tries") + 1,
        last_error=error,
    )


def _one_by_one(session: requests.Session, rows: list[tuple[int, Any]], report: SendReport) -> None:
    for row_id, payload in rows:
        response = _request(session, "PUT", payload, {"statementId": str(payload["id"])})
        report.requests += 1
        if response.ok:
            _mark([row_id], State.SENT)
            report.sent += 1
        elif response.status_code in STATEMENT_ERRORS:
            _mark([row_id], State.REJECTED, _answer(response))
            report.rejected += 1
        else:
            raise LRSUnavailable(_answer(response))
        _renew_lease()


def send_pending(*, batch_size: int | None = None, max_batches: int | None = None) -> SendReport:
    """Send pending statements, ``batch_size`` per request, until none is left (or after
    ``max_batches``). Raises ``LRSUnavailable`` when the LRS cannot take them now; what
    was sent before that stays sent."""
    report = SendReport()
    if not enabled():
        return report
    if not _take_lease():
        report.busy = True
        return report
    size = batch_size or settings.XAPI_BATCH_SIZE
    batches = 0
    try:
        with _session() as session:
            while max_batches is None or batches < max_batches:
                rows = list(
                    Statement.objects.filter(state=State.PENDING)
                    .order_by("id")
                    .values_list("id", "payload")[:size]
                )
                if not rows:
                    break
                batches += 1
                ids = [row_id for row_id, _payload in rows]
                try:
                    response = _request(session, "POST", [payload for _id, payload in rows])
                except LRSUnavailable as exc:
                    Statement.objects.filter(id__in=ids).update(
                        tries=F("tries") + 1, last_error=str(exc)[:1000]
                    )
                    raise
                report.requests += 1
                if response.ok:
                    _mark(ids, State.SENT)
                    report.sent += len(ids)
                elif response.status_code in STATEMENT_ERRORS:
                    _one_by_one(session, rows, report)
                else:
                    Statement.objects.filter(id__in=ids).update(
                        tries=F("tries") + 1, last_error=_answer(response)
                    )
                    raise LRSUnavailable(_answer(response))
                _renew_lease()
    finally:
        _release_lease()
    return report


def pending_count() -> int:
    return Statement.objects.filter(state=State.PENDING).count()
