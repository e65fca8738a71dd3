"""Celery entry points of ``xapi`` (autodiscovered): one idempotent api call each.

``xapi.deliver`` runs from beat every minute. When the LRS is down it is retried a few
times with exponential backoff (5 s doubling, at most ``XAPI_RETRY_BACKOFF_MAX``), for
short blips; during a longer outage the statements simply wait, pending, for the next
beat run. Nothing is lost either way: only a 2xx from the LRS marks a statement sent.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from lms.xapi import api

logger = logging.getLogger(__name__)

__all__ = ["deliver", "reconcile"]


@shared_task(bind=True, name="xapi.deliver", acks_late=True, max_retries=4)
def deliver(self: Any) -> dict[str, Any]:
    try:
        return api.deliver().as_dict()
    except api.LRSUnavailable as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("xAPI: el LRS no responde; se reintentará en la próxima ronda: %s", exc)
            return {"sent": 0, "unavailable": str(exc)}
        countdown = get_exponential_backoff_interval(
            factor=5,
            retries=self.request.retries,
            maximum=settings.XAPI_RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="xapi.reconcile", acks_late=True)
def reconcile() -> int:
    """Nightly: statements for any source row the minute runs missed."""
    if not api.enabled():
        return 0
    return api.reconcile()
