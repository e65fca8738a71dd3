import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class SedeKind(models.TextChoices):
    PLAZA = "plaza", _("Plaza Comunitaria")
    CONSULADO = "consulado", _("Consulado")
    ORGANIZACION = "organizacion", _("Organización aliada")


class Sede(models.Model):
    """A site where people study together: a Plaza Comunitaria, a consulate or a partner
    organisation. Coordinators see and act only on the learners of their own sedes."""

    key = models.SlugField(_("clave"), max_length=60, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=20, choices=SedeKind.choices)
    city = models.CharField(_("ciudad"), max_length=100, blank=True)
    state = models.CharField(_("estado"), max_length=100, blank=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="coordinated_sedes",
        verbose_name=_("coordinadores"),
    )
    active = models.BooleanField(_("activa"), default=True)
    # How the sede appears on the constancias of its learners (and as the issuer of their
    # signed credentials). Empty fields fall back to the organisation's own ("Organización
    # emisora de constancias").
    certificate_name = models.CharField(
        _("nombre en las constancias"),
        max_length=200,
        blank=True,
        help_text=_(
            "Como debe aparecer la sede en las constancias, p. ej. «Plaza Comunitaria San "
            "José». Si lo deja vacío, las constancias de esta sede las emite la organización."
        ),
    )
    certificate_logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logotipo en las constancias"),
    )
    signatory_name = models.CharField(_("nombre de quien firma"), max_length=200, blank=True)
    signatory_title = models.CharField(_("cargo de quien firma"), max_length=200, blank=True)
    signature = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("imagen de la firma"),
        help_text=_("Una imagen de la firma sobre fondo blanco o transparente (PNG o JPG)."),
    )

    class Meta:
        verbose_name = _("sede")
        verbose_name_plural = _("sedes")
        ordering = ["name"]
        permissions = [("view_all_sedes", _("Puede ver todas las sedes"))]

    def __str__(self) -> str:
        return self.name


# No I, O, 0 or 1: easy to read aloud and to copy from a board or a piece of paper.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def random_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _i in range(JOIN_CODE_LENGTH))


class Grupo(models.Model):
    """A study group (círculo de estudio) of one sede, with its asesores and learners."""

    sede = models.ForeignKey(
        Sede, on_delete=models.CASCADE, related_name="grupos", verbose_name=_("sede")
    )
    name = models.CharField(_("nombre"), max_length=200)
    asesores = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="advised_grupos",
        verbose_name=_("asesores"),
    )
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        through="Membership",
        related_name="grupos",
        verbose_name=_("educandos"),
    )
    # What a learner who signed up on their own types to join this grupo: the learner
    # decides to share their progress with the sede, a coordinator never claims an account.
    join_code = models.CharField(
        _("código para unirse"), max_length=8, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("grupo")
        verbose_name_plural = _("grupos")
        ordering = ["sede", "name"]
        constraints = [
            models.UniqueConstraint(fields=["sede", "name"], name="grupo_unique_name_per_sede"),
            models.UniqueConstraint(
                fields=["join_code"], condition=~Q(join_code=""), name="grupo_join_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sede})"

    def save(self, *args, **kwargs):
        if not self.join_code:
            self.join_code = random_join_code()
        super().save(*args, **kwargs)


class Membership(models.Model):
    """A learner in a grupo (círculo de estudio)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    grupo = models.ForeignKey(Grupo, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(_("se unió el"), auto_now_add=True)

    class Meta:
        verbose_name = _("integrante de grupo")
        verbose_name_plural = _("integrantes de grupo")
        constraints = [
            models.UniqueConstraint(fields=["user", "grupo"], name="membership_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ∈ {self.grupo_id}"


class BulkImportStatus(models.TextChoices):
    """Where an upload is on its way: ``pending`` (previewed, not applied) → ``queued``
    (the coordinator confirmed; a Celery task will apply it) → ``applying`` (a task is
    writing it) → ``applied``, or ``failed`` (nothing written; it may be applied again)."""

    PENDING = "pending", _("Sin aplicar")
    QUEUED = "queued", _("En espera")
    APPLYING = "applying", _("Aplicándose")
    APPLIED = "applied", _("Aplicada")
    FAILED = "failed", _("No se aplicó")


class BulkImportFailure(models.TextChoices):
    """Why the last attempt to apply an upload wrote nothing."""

    CHANGED = "changed", _("Algo cambió desde la vista previa")
    ERROR = "error", _("Error al aplicar")


class BulkImport(models.Model):
    """A spreadsheet of learners a coordinator uploaded to create accounts, put them in a
    grupo and enroll them in courses.

    Uploading stores the parsed rows and shows a preview; applying (a Celery task, see
    ``bulk.background``) re-validates them and writes everything in one transaction, or nothing.
    ``status`` follows the way (``BulkImportStatus``); ``applied_at`` is set in the same
    transaction as ``status = applied`` and is what every reader checks. After applying,
    the rows (personal data) are cleared and only the counts are kept. ``code_sheet`` is
    the printable PDF of the one-time access codes of learners without email; it is
    private (downloaded through a view that checks scope) and removed when the codes
    expire.
    """

    Status = BulkImportStatus
    Failure = BulkImportFailure

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grupo = models.ForeignKey(
        Grupo, on_delete=models.CASCADE, related_name="bulk_imports", verbose_name=_("grupo")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("subido por"),
    )
    filename = models.CharField(_("archivo"), max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("subido el"), auto_now_add=True)
    applied_at = models.DateTimeField(_("aplicado el"), null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    code_sheet = models.FileField(
        _("hoja de códigos"), upload_to="codigos/", max_length=200, blank=True
    )
    status = models.CharField(
        # "estado" is also a sede's state (geography): a context keeps the translations apart.
        pgettext_lazy("inscripción masiva", "estado"),
        max_length=10,
        choices=BulkImportStatus.choices,
        default=BulkImportStatus.PENDING,
    )
    # When ``status`` last changed. An upload queued or applying for much longer than an
    # application takes (a lost message, a worker that died) may be queued again.
    status_at = models.DateTimeField(_("estado desde"), null=True, blank=True)
    failure = models.CharField(
        _("motivo de la falla"), max_length=10, choices=BulkImportFailure.choices, blank=True
    )
    # Errors found while writing (not by validating): [[row number, message], …].
    failed_rows = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("inscripción masiva")
        verbose_name_plural = _("inscripciones masivas")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.grupo}"


# Audit-log entries of sedes, grupos and constancias, seen only within their sede.
from lms.enrollment.audit import SedeScopedLogEntry  # noqa: E402, F401
