"""The public Python API of ``progress``: record learning events, read derived progress.

Every progress-changing action arrives as a learning event (``events``); the rows of
lessons, courses and study days are derived from the whole event log (``derived``), so
duplicates and reordering change nothing; reads are in ``selectors``. Other apps read this
app's models through ``lms.progress.read_models``.
"""

from __future__ import annotations

from lms.progress.derived import HEARTBEAT_MAX_SECONDS, lock_learner, rebuild_progress
from lms.progress.events import (
    CLIENT_VERBS,
    MAX_BATCH,
    MAX_RESULT_BYTES,
    BatchResult,
    ItemResult,
    queue_key,
    record_events,
    record_parsed,
    record_server_event,
)
from lms.progress.models import Verb
from lms.progress.selectors import (
    course_progress_for,
    export_personal_data,
    lesson_status_for,
    resume_step,
)
from lms.progress.signals import lesson_completed

__all__ = [
    "CLIENT_VERBS",
    "HEARTBEAT_MAX_SECONDS",
    "MAX_BATCH",
    "MAX_RESULT_BYTES",
    "BatchResult",
    "ItemResult",
    "Verb",
    "course_progress_for",
    "export_personal_data",
    "lesson_completed",
    "lesson_status_for",
    "lock_learner",
    "queue_key",
    "rebuild_progress",
    "record_events",
    "record_parsed",
    "record_server_event",
    "resume_step",
]
