"""Reminders to learners who stopped studying (Celery beat, daily), at most one a week,
and the one-click way out of them. Claimed and sent by ``delivery.deliver``.

Reminders carry a one-click opt-out link (RFC 8058): a ``django.core.signing`` signature
of the person's id, so the link works without logging in and cannot be forged for someone
else. Rotating ``SECRET_KEY`` breaks the links in emails already sent unless the old key
stays in ``SECRET_KEY_FALLBACKS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from courses import api as courses_api
from lms.accounts import api as accounts_api
from lms.enrollment import read_models as enrollment_models
from lms.notifications.delivery import (
    EMAIL_LANGUAGE,
    Summary,
    absolute_url,
    deliver,
    greeting_name,
)
from lms.notifications.models import Notification, NotificationKind
from lms.progress import read_models as progress_models

#: The salt of the opt-out tokens: a signature made for anything else never validates.
OPT_OUT_SALT = "aula.recordatorios"
#: A learner never gets two reminders closer than this.
REMINDER_INTERVAL = timedelta(days=7)


def reminder_after_days() -> int:
    """Days without studying before a learner gets a reminder (``AULA_REMINDER_AFTER_DAYS``);
    read on each call so tests and deployments can change it."""
    return int(getattr(settings, "AULA_REMINDER_AFTER_DAYS", 7))


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
    open_enrollments = enrollment_models.Enrollment.objects.filter(
        withdrawn_at__isnull=True, completed_at__isnull=True, course__live=True
    )
    studied_since = progress_models.CourseProgress.objects.filter(
        user_id=OuterRef("user_id"), last_activity_at__gte=cutoff
    )
    started = progress_models.CourseProgress.objects.filter(
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
        reminders[-1].courses.append(CourseLink(enrollment.course_title, absolute_url(url)))
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
    return absolute_url(reverse("reminders:opt_out", args=[opt_out_token(user_id=user_id)]))


def opt_out(*, user) -> None:
    """Stop reminders for ``user`` (the opt-out link). Idempotent."""
    accounts_api.set_reminders_opt_out(user=user, opt_out=True)


def _reminder_message(reminder: Reminder) -> EmailMultiAlternatives:
    user = reminder.user
    unsubscribe = opt_out_url(user_id=user.pk)
    with translation.override(EMAIL_LANGUAGE):
        context = {
            "name": greeting_name(user),
            "courses": reminder.courses,
            "opt_out_url": unsubscribe,
            "profile_url": absolute_url(reverse("accounts:profile")),
        }
        subject = ngettext(
            "Siga con su curso en Aula", "Siga con sus cursos en Aula", len(reminder.courses)
        )
        text = render_to_string("notifications/email/reminder.txt", context)
        html = render_to_string(
            "notifications/email/reminder.html", {**context, "subject": subject}
        )
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
    return deliver(
        (
            (reminder.user, lambda reminder=reminder: _reminder_message(reminder))
            for reminder in learners_to_remind(now=now)
        ),
        kind=NotificationKind.REMINDER,
        now=now,
        since=now - REMINDER_INTERVAL,
    )
