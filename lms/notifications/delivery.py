"""How the emails of Celery beat go out: the coordinators' weekly digest (``digest``)
and reminders to learners who stopped studying (``reminders``).

Both follow the same steps:

1. Select everyone who should get the email and compute what goes in it, in a fixed
   number of queries however many people there are (``digest.weekly_digests``,
   ``reminders.learners_to_remind``).
2. For each person, *claim* the email: write its ``Notification`` row (unique per person,
   kind and ISO week) and commit it, then send. A second run in the same week, or a
   second worker running at the same moment, hits the row and skips the person.
3. If sending fails, delete the row again so the next run retries, and log it.

This is "at most once": a worker killed between the claim and the send leaves a row and
no email, so that person misses one email rather than getting two. All emails of a run go
through one connection to the mail server (``deliver``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.certificates import api as certificates_api
from lms.notifications.models import Notification

logger = logging.getLogger(__name__)

#: Emails are written in this language, whoever (or whatever) runs the job.
EMAIL_LANGUAGE = "es-mx"


def iso_period(now: datetime) -> str:
    """The ISO week of ``now`` in the site's time zone, e.g. "2026-W48": the period of a
    ``Notification``. Local, so Monday's 8:00 digest belongs to the week it opens."""
    year, week, _weekday = timezone.localdate(now, timezone.get_default_timezone()).isocalendar()
    return f"{year}-W{week:02d}"


def absolute_url(path: str) -> str:
    """An address to put in an email: ``AULA_PUBLIC_URL``, else ``WAGTAILADMIN_BASE_URL``."""
    if path.startswith(("http://", "https://")):
        return path
    return certificates_api.public_url(path)


def greeting_name(user) -> str:
    """The name to greet someone by, or "" (then the email says just "Hola:"). Never the
    username: many learners' usernames are a phone number."""
    return (user.first_name or user.display_name or "").strip()


@dataclass
class Summary:
    """What a run did, returned by the tasks (JSON) and logged."""

    sent: int = 0
    skipped: int = 0  # someone else already sent (or is sending) this person's email
    failed: int = 0  # not sent: the next run tries again

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


# --- Claiming and sending ------------------------------------------------------------------


def _claim(*, user_id: int, kind: str, now: datetime, since: datetime | None = None):
    """Write and commit the row saying ``user_id`` gets this email; None when they already
    have it: a row for this period exists (an earlier run, or another worker right now), or,
    with ``since``, they got an email of this kind after ``since``.

    The ``since`` check runs with the person's row locked, so two runs that disagree on the
    period (one just before Monday 0:00, one just after) still cannot both pass it. Must be
    called outside any transaction: the row has to be committed before the email leaves.
    """
    try:
        with transaction.atomic():
            if since is not None:
                list(
                    get_user_model()
                    .objects.select_for_update()
                    .filter(pk=user_id)
                    .values_list("pk", flat=True)
                )
                recent = Notification.objects.filter(user_id=user_id, kind=kind, sent_at__gt=since)
                if recent.exists():
                    return None
            return Notification.objects.create(
                user_id=user_id, kind=kind, period=iso_period(now), sent_at=now
            )
    except IntegrityError:
        return None


def _release(notification: Notification) -> None:
    """The email did not leave: forget the claim so the next run retries."""
    Notification.objects.filter(pk=notification.pk).delete()


class _NotSent(Exception):
    pass


class _Outbox:
    """One connection to the mail server for a whole run (``get_connection`` then
    ``send_messages``), one message at a time so a failure is pinned on its recipient.
    After a failure the connection may be broken, so it is opened afresh."""

    def __init__(self):
        self.connection = get_connection()

    def __enter__(self) -> _Outbox:
        self.connection.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        try:
            self.connection.close()
        except Exception:
            logger.warning("No se pudo cerrar la conexión con el servidor de correo", exc_info=True)

    def send(self, message: EmailMultiAlternatives) -> None:
        if self.connection.send_messages([message]) != 1:
            raise _NotSent

    def reopen(self) -> None:
        self._close()
        self.connection.open()


def deliver(
    recipients: Iterable[tuple[object, Callable[[], EmailMultiAlternatives]]],
    *,
    kind: str,
    now: datetime,
    since: datetime | None = None,
) -> Summary:
    """Claim, then send, each ``(user, build_message)``; see the module docstring."""
    summary = Summary()
    recipients = list(recipients)
    with _Outbox() as outbox:
        for position, (user, build) in enumerate(recipients):
            try:
                message = build()
            except Exception:
                logger.exception(
                    "No se pudo preparar el aviso «%s» para el usuario %s", kind, user.pk
                )
                summary.failed += 1
                continue
            notification = _claim(user_id=user.pk, kind=kind, now=now, since=since)
            if notification is None:
                summary.skipped += 1
                continue
            try:
                outbox.send(message)
            except Exception:
                logger.exception("No se pudo enviar el aviso «%s» al usuario %s", kind, user.pk)
                _release(notification)
                summary.failed += 1
                try:
                    outbox.reopen()
                except Exception:
                    # The mail server is gone: stop here, nobody else is claimed; the next
                    # run picks everyone up.
                    left = len(recipients) - position - 1
                    logger.exception(
                        "Sin servidor de correo: %s avisos «%s» quedan para la próxima vez",
                        left,
                        kind,
                    )
                    summary.failed += left
                    break
                continue
            summary.sent += 1
    if summary.failed:
        logger.error("Avisos «%s» sin enviar: %s de %s", kind, summary.failed, len(recipients))
    logger.info("Avisos «%s»: %s", kind, summary.as_dict())
    return summary
