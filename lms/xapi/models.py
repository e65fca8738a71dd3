from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    EVENT = "event", _("evento de aprendizaje")
    ATTEMPT = "attempt", _("intento")
    COMPLETION = "completion", _("curso concluido")
    CERTIFICATE = "certificate", _("constancia emitida")
    REVOCATION = "revocation", _("constancia anulada")


class State(models.TextChoices):
    PENDING = "pending", _("pendiente")
    SENT = "sent", _("enviada")
    # The LRS refused it on its own (invalid, or another statement already has its id):
    # kept with the LRS's answer, never tried again by itself.
    REJECTED = "rejected", _("rechazada")


class Statement(models.Model):
    """One xAPI statement for the Learning Record Store: the outbox.

    Made once from its source row (``source``, ``source_id``) by ``collect`` and never
    rebuilt: what is resent is byte for byte what was sent, so the LRS sees an identical
    duplicate (harmless) and never a differing one. ``statement_id`` is derived from the
    source's UUID (``statements.statement_id``). Leaves ``pending`` only when the LRS
    answered 2xx (``sent``) or refused this statement on its own (``rejected``).

    Deleted with the learner's account (``user``): what was not yet sent stays unsent.
    """

    statement_id = models.UUIDField(unique=True)
    source = models.CharField(max_length=12, choices=Source.choices)
    source_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    tries = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("declaración xAPI")
        verbose_name_plural = _("declaraciones xAPI")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="xapi_statement_source"),
        ]
        # The sender reads the pending ones in order.
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(state="pending"), name="xapi_statement_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.source_id}: {self.state}"


class Cursor(models.Model):
    """How far ``collect`` has safely read an append-only source (``position``: every row
    with an id up to it has its statement), and the sender's lease (``locked_until``: one
    send loop at a time)."""

    name = models.CharField(max_length=32, unique=True)
    position = models.PositiveBigIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("cursor xAPI")
        verbose_name_plural = _("cursores xAPI")

    def __str__(self) -> str:
        return f"{self.name}: {self.position}"
