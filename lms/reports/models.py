import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    ENROLLMENTS = "inscripciones", _("Inscripciones y avance por curso")
    PROGRESS = "avance", _("Avance por lección")
    CERTIFICATES = "constancias", _("Constancias")


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", _("Excel (XLSX)")


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
        verbose_name = _("exportación")
        verbose_name_plural = _("exportaciones")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}.{self.format} ({self.status})"


class NotificationKind(models.TextChoices):
    DIGEST = "digest", _("Resumen semanal para coordinación")
    REMINDER = "reminder", _("Recordatorio para educando")


class Notification(models.Model):
    """One email sent by the weekly jobs. The row is written before the email goes out,
    and (person, kind, period) is unique, so a job that runs twice, or two workers at
    once, never send the same person two emails for the same period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("tipo"), max_length=10, choices=NotificationKind.choices)
    period = models.CharField(_("periodo"), max_length=10)  # ISO week, e.g. "2026-W48"
    sent_at = models.DateTimeField(_("enviado el"))

    class Meta:
        verbose_name = _("aviso enviado")
        verbose_name_plural = _("avisos enviados")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "period"], name="notification_once_per_period"
            ),
        ]
        indexes = [models.Index(fields=["kind", "user", "-sent_at"], name="notification_last")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id} ({self.period})"
