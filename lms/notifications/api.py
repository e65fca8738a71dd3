"""The public Python API of ``notifications``: the weekly digest, reminders and their
opt-out. Every function is keyword-only and safe to run again, or twice at once: nobody
gets the same email twice for the same period (see ``delivery``).

    send_weekly_digests(*, now) -> Summary    # Celery beat, Mondays
    send_reminders(*, now) -> Summary         # Celery beat, daily
    weekly_digests(*, now) / learners_to_remind(*, now)   # who would get what (no email)
    opt_out_token(*, user_id) / opt_out_url(*, user_id) / user_for_opt_out_token(*, token)
    opt_out(*, user)
"""

from lms.notifications.delivery import Summary
from lms.notifications.digest import Digest, SedeWeek, send_weekly_digests, weekly_digests
from lms.notifications.models import NotificationKind
from lms.notifications.reminders import (
    Reminder,
    learners_to_remind,
    opt_out,
    opt_out_token,
    opt_out_url,
    send_reminders,
    user_for_opt_out_token,
)

__all__ = [
    "Digest",
    "NotificationKind",
    "Reminder",
    "SedeWeek",
    "Summary",
    "learners_to_remind",
    "opt_out",
    "opt_out_token",
    "opt_out_url",
    "send_reminders",
    "send_weekly_digests",
    "user_for_opt_out_token",
    "weekly_digests",
]
