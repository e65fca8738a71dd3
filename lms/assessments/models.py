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
    # Seconds from the quiz page being shown to the submission (the form carries the time
    # it was shown, signed); None when unknown or implausible.
    seconds = models.PositiveIntegerField(null=True, blank=True)
    # The grupo the learner was in when answering (``tallies.grupo_at_attempt``), 0 for
    # none: which coordinators' item analysis counts this attempt. Not a foreign key: a
    # grupo deleted later leaves its past attempts counted for the admin only.
    grupo_id = models.PositiveIntegerField(default=0)
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
            ),
            # The learning gains read every learner's first attempt at a final with its
            # grupo and score (``lms.evaluation.gains``), from this index alone.
            models.Index(
                fields=["user", "assessment_id"],
                include=["score", "grupo_id"],
                condition=models.Q(number=1),
                name="attempt_first",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.assessment_id} #{self.number}: {self.score}"


class ItemResponse(models.Model):
    """What one attempt answered to one question, for item analysis: one row per chosen
    option (several for a multiple-choice answer), or one row without an option (nothing
    chosen, or a typed answer). Exactly one row of each response has ``first`` set: the
    per-question figures count those, the per-option figures count every row, so both come
    from one GROUP BY (question, option). Written when the attempt is graded; the attempt's
    score is copied so the aggregates never join the attempts (whose answers are large).
    """

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="responses")
    user_id = models.PositiveIntegerField()  # the attempt's learner (scoping, no join)
    assessment_id = models.PositiveIntegerField()
    block_id = models.CharField(max_length=64)  # the question's StreamField block id
    option_id = models.CharField(max_length=64, blank=True)  # "" = no option
    first = models.BooleanField()
    answered = models.BooleanField()
    correct = models.BooleanField()
    score = models.FloatField()  # the attempt's score, 0-100

    class Meta:
        verbose_name = _("respuesta a una pregunta")
        verbose_name_plural = _("respuestas a preguntas")
        # Recounting the tallies (``tallies.rebuild_tallies``) reads one assessment's
        # rows grouped by these columns, with their attempt (for its grupo and score).
        indexes = [
            models.Index(
                fields=[
                    "assessment_id",
                    "block_id",
                    "option_id",
                    "first",
                    "answered",
                    "correct",
                    "score",
                ],
                include=["attempt_id"],
                name="itemresponse_analysis",
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} · {self.block_id}: {self.option_id or '—'}"


# --- Running tallies of the item analysis (see ``lms.assessments.tallies``) ------------
# Counts only, keyed by what the analysis groups on and the grupo of the attempt: no
# learner, no attempt. Kept when an account is deleted (anonymous counts).


class ResponseTally(models.Model):
    """How many item responses there are of each (assessment, grupo, question, option,
    first, answered, correct, attempt score): ``ItemResponse`` rows counted."""

    assessment_id = models.PositiveIntegerField()
    grupo_id = models.PositiveIntegerField()  # 0: no grupo
    block_id = models.CharField(max_length=64)
    option_id = models.CharField(max_length=64, blank=True)
    first = models.BooleanField()
    answered = models.BooleanField()
    correct = models.BooleanField()
    score = models.DecimalField(max_digits=5, decimal_places=2)
    n = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = _("recuento de respuestas")
        verbose_name_plural = _("recuentos de respuestas")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "assessment_id",
                    "grupo_id",
                    "block_id",
                    "option_id",
                    "first",
                    "answered",
                    "correct",
                    "score",
                ],
                name="responsetally_key",
            )
        ]

    def __str__(self) -> str:
        option = self.option_id or "—"
        return f"{self.assessment_id}/{self.grupo_id} · {self.block_id}: {option} × {self.n}"


class ScoreTally(models.Model):
    """How many attempts at an assessment of a grupo scored ``score``, and how many of
    them have a recorded time."""

    assessment_id = models.PositiveIntegerField()
    grupo_id = models.PositiveIntegerField()
    score = models.DecimalField(max_digits=5, decimal_places=2)
    n = models.PositiveBigIntegerField()
    timed = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = _("recuento de calificaciones")
        verbose_name_plural = _("recuentos de calificaciones")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment_id", "grupo_id", "score"], name="scoretally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.grupo_id} · {self.score}: {self.n}"


class TimeTally(models.Model):
    """How many attempts at an assessment of a grupo took ``tens`` × 10 seconds, rounded
    to the nearest 10 s (only attempts with a recorded time)."""

    assessment_id = models.PositiveIntegerField()
    grupo_id = models.PositiveIntegerField()
    tens = models.PositiveIntegerField()
    n = models.PositiveBigIntegerField()

    class Meta:
        verbose_name = _("recuento de tiempos")
        verbose_name_plural = _("recuentos de tiempos")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment_id", "grupo_id", "tens"], name="timetally_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}/{self.grupo_id} · {self.tens}0 s: {self.n}"


class EntryCheck(models.Model):
    """A learner's entry check in one course: a few questions from the pool of the
    course's final, answered before the first lesson, that count for nothing but measure
    what the course teaches (the learning gain: this score against the first final
    attempt). At most one per learner and course. Its questions are left out of every
    draw of that learner's final (``entry_check.excluded_from_final``). Pinned like an
    attempt: the final's revision and the answers by block id."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="entry_checks"
    )
    course_id = models.PositiveIntegerField()
    assessment_id = models.PositiveIntegerField()  # the final the questions came from
    revision_id = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    question_ids = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    results = models.JSONField(default=dict)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    # The learner's grupo when answering (``tallies.grupo_at_attempt``), 0 for none.
    grupo_id = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("prueba de entrada")
        verbose_name_plural = _("pruebas de entrada")
        constraints = [
            models.UniqueConstraint(fields=["user", "course_id"], name="entrycheck_once"),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="entrycheck_score_0_100"
            ),
        ]
        # The gains join the entry checks to the first final attempts by learner and final.
        indexes = [
            models.Index(
                fields=["assessment_id", "user"], include=["score"], name="entrycheck_final"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.course_id} (entrada): {self.score}"
