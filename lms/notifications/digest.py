"""The coordinators' weekly digest (Celery beat, Mondays): for each of their sedes, what
happened in the last 7 days and how many learners are at risk now (the dashboard's count,
from ``coordination.api``). Claimed and sent by ``delivery.deliver``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.certificates import read_models as certificates_models
from lms.coordination import api as coordination_api
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models
from lms.notifications.delivery import (
    EMAIL_LANGUAGE,
    Summary,
    absolute_url,
    deliver,
    greeting_name,
    iso_period,
)
from lms.notifications.models import Notification, NotificationKind

#: The digest covers this much time before the run.
DIGEST_WINDOW = timedelta(days=7)


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
        certificates_models.Certificate.objects.filter(
            enrollment_id=OuterRef("pk"),
            revoked_at__isnull=True,
            issued_at__gt=start,
            issued_at__lte=now,
        )
    )
    rows = (
        enrollment_models.Enrollment.objects.filter(
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
    active_sedes = enrollment_models.Sede.objects.filter(active=True).order_by("name", "pk")
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
    at_risk = coordination_api.at_risk_count_by_sede(sedes=list(sedes.values()), now=now)
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
            "name": greeting_name(digest.user),
            "sedes": digest.sedes,
            "until": timezone.localdate(now, timezone.get_default_timezone()),
            "at_risk_days": coordination_api.at_risk_days(),
            "link": absolute_url(reverse("coordination:home")),
        }
        subject = _("Aula: resumen de la semana")
        text = render_to_string("notifications/email/digest.txt", context)
        html = render_to_string("notifications/email/digest.html", {**context, "subject": subject})
    message = EmailMultiAlternatives(
        subject, text, to=[digest.user.email], headers={"Auto-Submitted": "auto-generated"}
    )
    message.attach_alternative(html, "text/html")
    return message


def send_weekly_digests(*, now: datetime) -> Summary:
    """Send this week's digest to every coordinator who has not had it (Celery beat,
    Mondays). Safe to run again, or twice at once: each coordinator gets one per ISO week.
    """
    return deliver(
        (
            (digest.user, lambda digest=digest: _digest_message(digest, now=now))
            for digest in weekly_digests(now=now)
        ),
        kind=NotificationKind.DIGEST,
        now=now,
    )
