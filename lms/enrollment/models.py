import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Enrollment(models.Model):
    """A learner's enrollment in a course.

    One row per (learner, course), reused if they withdraw and come back. Active while
    ``withdrawn_at`` is empty. ``completed_at`` is set once, when the course's completion
    rule first holds, and never changes after (see ``api.mark_completed``).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrollments",
        verbose_name=_("educando"),
    )
    course = models.ForeignKey(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("curso"),
    )
    enrolled_at = models.DateTimeField(_("inscrito el"))
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inscrito por"),
    )
    withdrawn_at = models.DateTimeField(_("dado de baja el"), null=True, blank=True)
    completed_at = models.DateTimeField(_("concluido el"), null=True, blank=True)

    class Meta:
        verbose_name = _("inscripción")
        verbose_name_plural = _("inscripciones")
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_once_per_course"),
        ]
        indexes = [
            models.Index(
                fields=["course"],
                condition=Q(withdrawn_at__isnull=True),
                name="enrollment_active_by_course",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.course_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None
