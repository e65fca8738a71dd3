from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Verb(models.TextChoices):
    STARTED = "started", _("empezó")
    PROGRESSED = "progressed", _("estudió")  # a heartbeat: result.duration seconds of study
    COMPLETED = "completed", _("terminó")
    PASSED = "passed", _("aprobó")
    FAILED = "failed", _("no aprobó")


class LearningEvent(models.Model):
    """One learner action, xAPI-shaped: actor (``user``), ``verb``, object (a lesson or
    assessment page, ``object_id``), ``result``, a client-generated ``uuid`` and the
    client's timestamp.

    Append-only: the source of truth for progress. Never updated or deleted except with
    the learner's account. Derived tables (``LessonProgress``, ``CourseProgress``) can be
    rebuilt from these rows at any time.

    ``uuid`` is unique per learner: the same id sent by two learners is two events, and
    neither learns anything about the other's. ``client_timestamp`` is on the server's
    clock: the phone's time plus ``clock_correction`` (how far the phone's clock was off
    when it sent the batch).
    """

    SCHEMA_VERSION = 1

    uuid = models.UUIDField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_events"
    )
    verb = models.CharField(max_length=16, choices=Verb.choices)
    # Page ids, not foreign keys: the log outlives pages that editors delete.
    object_id = models.PositiveIntegerField()
    course_id = models.PositiveIntegerField()
    result = models.JSONField(default=dict, blank=True)
    client_timestamp = models.DateTimeField()
    clock_correction = models.DurationField(default=timedelta(0))
    received_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=8, default="api")
    schema_version = models.PositiveSmallIntegerField(default=SCHEMA_VERSION)

    class Meta:
        verbose_name = _("evento de aprendizaje")
        verbose_name_plural = _("eventos de aprendizaje")
        indexes = [models.Index(fields=["user", "object_id"], name="event_user_object")]
        constraints = [
            models.UniqueConstraint(fields=["user", "uuid"], name="learningevent_user_uuid")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.verb} {self.object_id}"


class ProgressStatus(models.TextChoices):
    STARTED = "started", _("Empezada")
    COMPLETED = "completed", _("Terminada")


class LessonProgress(models.Model):
    """Derived from the events of one learner on one lesson or assessment page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    page_id = models.PositiveIntegerField()
    course_id = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=ProgressStatus.choices)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    time_spent_seconds = models.PositiveIntegerField(default=0)
    # Time on task is the length of the union of the lesson's heartbeat intervals
    # (``derived``). These keep where that union stands, so a heartbeat that comes after
    # the ones counted adds its own interval without re-reading the log: the exact length
    # in microseconds (NULL on rows from before it was kept: the next event recomputes
    # them from the log), the latest start and the end of the intervals counted.
    study_microseconds = models.BigIntegerField(null=True, editable=False)
    study_last_start = models.DateTimeField(null=True, editable=False)
    study_end = models.DateTimeField(null=True, editable=False)

    class Meta:
        verbose_name = _("avance por lección")
        verbose_name_plural = _("avance por lección")
        constraints = [
            models.UniqueConstraint(fields=["user", "page_id"], name="lessonprogress_unique"),
            models.CheckConstraint(
                condition=models.Q(status="started", completed_at__isnull=True)
                | models.Q(status="completed", completed_at__isnull=False),
                name="lessonprogress_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["course_id", "status"], name="lessonprogress_course")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.page_id}: {self.status}"


class CourseProgress(models.Model):
    """Derived: how far one learner is in one course."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_progress"
    )
    course_id = models.PositiveIntegerField()
    required_total = models.PositiveSmallIntegerField(default=0)
    required_done = models.PositiveSmallIntegerField(default=0)
    percent = models.PositiveSmallIntegerField(default=0)
    last_page_id = models.PositiveIntegerField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("avance por curso")
        verbose_name_plural = _("avance por curso")
        constraints = [
            models.UniqueConstraint(fields=["user", "course_id"], name="courseprogress_unique"),
            models.CheckConstraint(
                condition=models.Q(percent__lte=100), name="courseprogress_percent_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.course_id}: {self.percent} %"


class DailyActivity(models.Model):
    """Derived: the days a learner studied a course (local date of the event's client
    timestamp). Weekly activity charts and "active in the last N days" read this small
    table instead of the event log. Rebuilt from the log like the other derived tables."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_activity"
    )
    course_id = models.PositiveIntegerField()
    day = models.DateField()

    class Meta:
        verbose_name = _("día de estudio")
        verbose_name_plural = _("días de estudio")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course_id", "day"], name="dailyactivity_unique"
            ),
        ]
        # Weekly charts: the days of a period for the learners in scope, read from the
        # index alone (PostgreSQL covers course_id too).
        indexes = [
            models.Index(
                fields=["day", "user"], include=["course_id"], name="dailyactivity_day_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.course_id}: {self.day}"
