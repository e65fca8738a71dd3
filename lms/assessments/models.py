import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Attempt(models.Model):
    """One submitted attempt at an assessment.

    Pinned to the page revision it was taken against (``revision_id``) and stores the
    answers by StreamField block id, so republishing the quiz never changes a past grade.
    The score is computed on the server; what the client claims is never trusted.
    """

    SCHEMA_VERSION = 1

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts"
    )
    assessment_id = models.PositiveIntegerField()  # the AssessmentPage id
    course_id = models.PositiveIntegerField(null=True, blank=True)  # None: a diagnostic
    revision_id = models.PositiveIntegerField()
    number = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()
    # The block ids of the questions drawn for this attempt from the assessment's pool, in
    # the order shown; empty: every question of the revision (no pool, or an older attempt).
    question_ids = models.JSONField(default=list, blank=True)
    answers = models.JSONField(default=dict)  # {block id: [given values]}
    results = models.JSONField(default=dict)  # {block id: {"correct": bool, ...}}
    score = models.DecimalField(max_digits=5, decimal_places=2)
    passed = models.BooleanField()
    schema_version = models.PositiveSmallIntegerField(default=SCHEMA_VERSION)

    class Meta:
        verbose_name = _("intento")
        verbose_name_plural = _("intentos")
        ordering = ["assessment_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "assessment_id", "number"], name="attempt_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="attempt_score_0_100"
            ),
        ]
        # Dashboards (best final score, repeated failures) read attempts by learner and
        # assessment without touching the rows, whose answers make them large.
        indexes = [
            models.Index(
                fields=["user", "assessment_id", "score"],
                include=["passed", "course_id"],
                name="attempt_user_scores",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.assessment_id} #{self.number}: {self.score}"
