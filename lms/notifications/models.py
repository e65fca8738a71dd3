from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
        # The table, index and constraint names the model had in the ``reports`` app, kept
        # so that moving the model between apps never touched the data (see
        # migrations/0001_initial.py).
        db_table = "reports_notification"
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
