import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    ENROLLMENTS = "inscripciones", _("Inscripciones y avance por curso")
    PROGRESS = "avance", _("Avance por lección")
    CERTIFICATES = "constancias", _("Constancias")
    # Program administrators only (``research.may_export``): never on the coordinators' form.
    RESEARCH = "investigacion", _("Datos desidentificados para investigación")


# What coordinators may ask for on the export page and the JSON API.
COORDINATOR_KINDS = [ExportKind.ENROLLMENTS, ExportKind.PROGRESS, ExportKind.CERTIFICATES]


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")
    ZIP = "zip", _("ZIP (CSV y diccionario de datos)")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("En espera")
    RUNNING = "running", _("Preparándose")
    DONE = "done", _("Lista")
    FAILED = "failed", _("Falló")


class ExportJob(models.Model):
    """An export too large to stream in the request: a Celery task writes the file to
    storage (django-storages) and the coordinator downloads it from their exports page.

    The scope is the requesting coordinator's, decided again when the task runs: a
    coordinator who lost a sede in between does not get its learners.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("solicitada por"),
    )
    kind = models.CharField(_("tipo"), max_length=20, choices=ExportKind.choices)
    format = models.CharField(_("formato"), max_length=4, choices=ExportFormat.choices)
    filters = models.JSONField(_("filtros"), default=dict, blank=True)
    status = models.CharField(
        _("estado"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    rows = models.PositiveIntegerField(_("filas"), null=True, blank=True)
    file = models.FileField(_("archivo"), upload_to="exportaciones/", max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("solicitada el"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminada el"), null=True, blank=True)

    class Meta:
        # The table the model had in the ``reports`` app, kept so that moving the model
        # between apps never touched the data (see migrations/0001_initial.py).
        db_table = "reports_exportjob"
        verbose_name = _("exportación")
        verbose_name_plural = _("exportaciones")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} ({self.status})"
