"""Celery entry points of ``reports`` (Celery autodiscovers this module): exports, the
weekly digest and learner reminders. Each lives with the code it drives."""

from lms.reports.export_tasks import *  # noqa: F403
from lms.reports.notification_tasks import *  # noqa: F403
