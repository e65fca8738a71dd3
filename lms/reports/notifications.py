"""The two emails Celery beat sends: the coordinators' weekly digest and reminders to
learners who stopped studying.

Both follow the same steps:

1. Select everyone who should get the email and compute what goes in it, in a fixed
   number of queries however many people there are (``weekly_digests``,
   ``learners_to_remind``).
2. For each person, *claim* the email: write its ``Notification`` row (unique per person,
   kind and ISO week) and commit it, then send. A second run in the same week, or a
   second worker running at the same moment, hits the row and skips the person.
3. If sending fails, delete the row again so the next run retries, and log it.

This is "at most once": a worker killed between the claim and the send leaves a row and
no email, so that person misses one email rather than getting two. All emails of a run go
through one connection to the mail server.

Reminders carry a one-click opt-out link (RFC 8058): a ``django.core.signing`` signature
of the person's id, so the link works without logging in and cannot be forged for someone
else. Rotating ``SECRET_KEY`` breaks the links in emails already sent unless the old key
stays in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses import api as courses_api
from lms.accounts import api as accounts_api
from lms.certificates import api as certificates_api
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api
from lms.reports import selectors
from lms.reports.models import Notification, NotificationKind

logger = logging.getLogger(__name__)

#: The salt of the opt-out tokens: a signature made for anything else never validates.
OPT_OUT_SALT = "aula.recordatorios"
#: The digest covers this much time before the run.
DIGEST_WINDOW = timedelta(days=7)
#: A learner never gets two reminders closer than this.
REMINDER_INTERVAL = timedelta(days=7)
#: Emails are written in this language, whoever (or whatever) runs the job.
EMAIL_LANGUAGE = "es-mx"


def iso_period(now: datetime) -> str:
    """The ISO week of ``now`` in the site's time zone, e.g. "2026-W48": the period of a
    ``Notification``. Local, so Monday's 8:00 digest belongs to the week it opens."""
    year, week, _weekday = timezone.localdate(now, timezone.get_default_timezone()).isocalendar()
    return f"{year}-W{week:02d}"


def reminder_after_days() -> int:
    """Days without studying before a learner gets a reminder (``AULA_REMINDER_AFTER_DAYS``);
    read on each call so tests and deployments can change it."""
    return int(getattr(settings, "AULA_REMINDER_AFTER_DAYS", 7))


def _absolute(path: str) -> str:
    """An address to put in an email: ``AULA_PUBLIC_URL``, else ``WAGTAILADMIN_BASE_URL``."""
    if path.startswith(("http://", "https://")):
        return path
    return certificates_api.public_url(path)


def _greeting_name(user) -> str:
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


def _deliver(
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


# --- Weekly digest for coordinators --------------------------------------------------------


@dataclass
class SedeWeek:
    """One sede's lines in a digest: what happened in the last 7 days, and now."""

    sede: object
    new_enrollments: int = 0
    completions: int = 0
    certificates: int = 0
    at_risk: int = 0
    learners: int = 0  # active accounts with at least one enrollment not withdrawn

    def lines(self) -> list[tuple[str, int]]:
        """(label, number) in the order the email shows them; the same labels in the text
        and the HTML part. Call while the email's language is active."""
        return [
            (_("Inscripciones nuevas"), self.new_enrollments),
            (_("Cursos concluidos"), self.completions),
            (_("Constancias emitidas"), self.certificates),
            (_("Educandos en riesgo ahora"), self.at_risk),
            (_("Educandos inscritos en total"), self.learners),
        ]


@dataclass
class Digest:
    user: object
    sedes: list[SedeWeek] = field(default_factory=list)


def _weekly_figures(*, sede_ids: list[int], now: datetime) -> dict[int, dict]:
    """Per sede id: enrollments, completions and certificates in the 7 days up to ``now``
    and learners enrolled, counting the learners in grupos of each sede and enrollments
    that are not withdrawn (as the dashboard does). One query."""
    start = now - DIGEST_WINDOW
    certified = Exists(
        certificates_api.Certificate.objects.filter(
            enrollment_id=OuterRef("pk"),
            revoked_at__isnull=True,
            issued_at__gt=start,
            issued_at__lte=now,
        )
    )
    rows = (
        enrollment_api.Enrollment.objects.filter(
            withdrawn_at__isnull=True, user__in=enrollment_api.plain_learners()
        )
        .annotate(sede=F("user__memberships__grupo__sede_id"))
        .filter(sede__in=sede_ids)
        .values("sede")
        .annotate(
            new_enrollments=Count(
                "pk", filter=Q(enrolled_at__gt=start, enrolled_at__lte=now), distinct=True
            ),
            completions=Count(
                "pk", filter=Q(completed_at__gt=start, completed_at__lte=now), distinct=True
            ),
            certificates=Count("pk", filter=certified, distinct=True),
            learners=Count("user_id", filter=Q(user__is_active=True), distinct=True),
        )
        .order_by()
    )
    return {row.pop("sede"): row for row in rows}


def weekly_digests(*, now: datetime) -> list[Digest]:
    """The digests to send this ISO week: one per active coordinator with an email and at
    least one active sede, who has not had this week's yet, with a ``SedeWeek`` for each of
    *their* active sedes and no other.

    Four queries whatever the number of coordinators and sedes: the coordinators, their
    sedes, the figures grouped by sede and the at-risk counts grouped by sede."""
    already = Notification.objects.filter(
        user_id=OuterRef("pk"), kind=NotificationKind.DIGEST, period=iso_period(now)
    )
    active_sedes = enrollment_api.Sede.objects.filter(active=True).order_by("name", "pk")
    coordinators = list(
        get_user_model()
        .objects.filter(is_active=True, coordinated_sedes__active=True)
        .exclude(email="")
        .exclude(Exists(already))
        .distinct()
        .order_by("pk")
        .prefetch_related(Prefetch("coordinated_sedes", queryset=active_sedes, to_attr="sedes"))
    )
    if not coordinators:
        return []
    sedes = {sede.pk: sede for user in coordinators for sede in user.sedes}
    figures = _weekly_figures(sede_ids=list(sedes), now=now)
    at_risk = selectors.at_risk_count_by_sede(sedes=list(sedes.values()), now=now)
    return [
        Digest(
            user,
            [
                SedeWeek(sede, **figures.get(sede.pk, {}), at_risk=at_risk.get(sede.pk, 0))
                for sede in user.sedes
            ],
        )
        for user in coordinators
    ]


def _digest_message(digest: Digest, *, now: datetime) -> EmailMultiAlternatives:
    with translation.override(EMAIL_LANGUAGE):
        context = {
            "name": _greeting_name(digest.user),
            "sedes": digest.sedes,
            "until": timezone.localdate(now, timezone.get_default_timezone()),
            "at_risk_days": selectors.at_risk_days(),
            "link": _absolute(reverse("reports:home")),
        }
        subject = _("Aula: resumen de la semana")
        text = render_to_string("reports/email/digest.txt", context)
        html = render_to_string("reports/email/digest.html", {**context, "subject": subject})
    message = EmailMultiAlternatives(
        subject, text, to=[digest.user.email], headers={"Auto-Submitted": "auto-generated"}
    )
    message.attach_alternative(html, "text/html")
    return message


def send_weekly_digests(*, now: datetime) -> Summary:
    """Send this week's digest to every coordinator who has not had it (Celery beat,
    Mondays). Safe to run again, or twice at once: each coordinator gets one per ISO week.
    """
    return _deliver(
        (
            (digest.user, lambda digest=digest: _digest_message(digest, now=now))
            for digest in weekly_digests(now=now)
        ),
        kind=NotificationKind.DIGEST,
        now=now,
    )


# --- Reminders for learners ----------------------------------------------------------------


@dataclass
class CourseLink:
    title: str
    url: str


@dataclass
class Reminder:
    user: object
    courses: list[CourseLink] = field(default_factory=list)


def learners_to_remind(*, now: datetime) -> list[Reminder]:
    """Learners to remind now, each with the courses they left unfinished.

    A learner is reminded when all of this holds:

    - their account is active, they gave an email and did not opt out;
    - they have at least one open enrollment: not withdrawn, not completed, in a published
      course (the only ones they can go back to);
    - nothing shows they studied for ``AULA_REMINDER_AFTER_DAYS`` days: none of their
      courses (open or not: someone who finished a course yesterday is studying) has
      activity since then, and no open course they never started was enrolled in since
      then. This is the dashboard's at-risk rule (last activity, else the enrollment
      date), read from ``CourseProgress``: its ``last_activity_at`` is the exact time of
      the last event per course, where ``DailyActivity`` has only local dates and many
      rows per course;
    - they have had no reminder in the last 7 days.

    Grupos play no part: reminders are about the learner, not their sede. Two queries
    whatever the number of learners and courses: the open enrollments of everyone to
    remind (with the learner) and the courses' addresses.
    """
    cutoff = now - timedelta(days=reminder_after_days())
    open_enrollments = enrollment_api.Enrollment.objects.filter(
        withdrawn_at__isnull=True, completed_at__isnull=True, course__live=True
    )
    studied_since = progress_api.CourseProgress.objects.filter(
        user_id=OuterRef("user_id"), last_activity_at__gte=cutoff
    )
    started = progress_api.CourseProgress.objects.filter(
        user_id=OuterRef("user_id"),
        course_id=OuterRef("course_id"),
        last_activity_at__isnull=False,
    )
    enrolled_since = open_enrollments.filter(
        user_id=OuterRef("user_id"), enrolled_at__gte=cutoff
    ).exclude(Exists(started))
    reminded = Notification.objects.filter(
        user_id=OuterRef("user_id"),
        kind=NotificationKind.REMINDER,
        sent_at__gt=now - REMINDER_INTERVAL,
    )
    enrollments = list(
        open_enrollments.filter(user__is_active=True, user__reminders_opt_out=False)
        .exclude(user__email="")
        .exclude(Exists(studied_since))
        .exclude(Exists(enrolled_since))
        .exclude(Exists(reminded))
        .select_related("user")
        .annotate(course_title=F("course__title"))
        .order_by("user_id", "enrolled_at", "pk")
    )
    urls = courses_api.page_urls(page_ids={e.course_id for e in enrollments})
    reminders: list[Reminder] = []
    for enrollment in enrollments:
        if not reminders or reminders[-1].user.pk != enrollment.user_id:
            reminders.append(Reminder(enrollment.user))
        url = urls.get(enrollment.course_id) or reverse("progress:my_courses")
        reminders[-1].courses.append(CourseLink(enrollment.course_title, _absolute(url)))
    return reminders


def opt_out_token(*, user_id: int) -> str:
    """The token of someone's opt-out link: their id, signed. It does not expire (a link
    in an old email must still work) and only ever allows turning reminders off."""
    return signing.Signer(salt=OPT_OUT_SALT).sign(str(user_id))


def user_for_opt_out_token(*, token: str):
    """The person an opt-out token was made for, or None if it was altered, made with
    another key or salt, or their account is gone."""
    try:
        user_id = int(signing.Signer(salt=OPT_OUT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return get_user_model().objects.filter(pk=user_id).first()


def opt_out_url(*, user_id: int) -> str:
    return _absolute(reverse("reminders:opt_out", args=[opt_out_token(user_id=user_id)]))


def opt_out(*, user) -> None:
    """Stop reminders for ``user`` (the opt-out link). Idempotent."""
    accounts_api.set_reminders_opt_out(user=user, opt_out=True)


def _reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    user = reminder.user
    unsubscribe = opt_out_url(user_id=user.pk)
    with translation.override(EMAIL_LANGUAGE):
        context = {
            "name": _greeting_name(user),
            "courses": reminder.courses,
            "opt_out_url": unsubscribe,
            "profile_url": _absolute(reverse("accounts:profile")),
        }
        subject = ngettext(
            "Siga con su curso en Aula", "Siga con sus cursos en Aula", len(reminder.courses)
        )
        text = render_to_string("reports/email/reminder.txt", context)
        html = render_to_string("reports/email/reminder.html", {**context, "subject": subject})
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[user.email],
        headers={
            # RFC 8058: mail apps show their own "unsubscribe" button, which POSTs here.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def send_reminders(*, now: datetime) -> Summary:
    """Remind every learner ``learners_to_remind`` finds, one email each however many
    courses they left (Celery beat, daily). Safe to run again, or twice at once: nobody
    gets two reminders within 7 days."""
    return _deliver(
        (
            (reminder.user, lambda reminder=reminder: _reminder_message(reminder))
            for reminder in learners_to_remind(now=now)
        ),
        kind=NotificationKind.REMINDER,
        now=now,
        since=now - REMINDER_INTERVAL,
    )
