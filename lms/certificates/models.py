import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="success")
class IssuerSettings(BaseGenericSetting):
    """Who issues the constancias: printed on each one and in its signed credential."""

    name = models.CharField(
        _("organización emisora"), max_length=200, default="Aula — Plazas Comunitarias"
    )
    url = models.URLField(_("sitio web"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logotipo"),
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
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("url"),
        FieldPanel("logo"),
        FieldPanel("signatory_name"),
        FieldPanel("signatory_title"),
        FieldPanel("signature"),
    ]

    class Meta:
        verbose_name = _("organización emisora de constancias")


class Certificate(models.Model):
    """A constancia de conclusión: proof of a completed course, never an official
    SEP/INEA certificate.

    Holds a snapshot of what it certifies (name, course, module, hours, date, issuer), so
    it stays verifiable after the learner deletes their account or the course changes.
    At most one *valid* certificate per enrollment (a partial unique constraint), so
    issuing can be retried or run twice at once. A row exists only once its PDF is stored.
    Referenced publicly by ``uuid`` and ``folio``, never by id.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    folio = models.CharField(_("folio"), max_length=12, unique=True)
    enrollment = models.ForeignKey(
        "enrollment.Enrollment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    # The sede whose name, logo and signer the constancia carries (the learner's grupo's
    # at issue time), and which is the issuer of its credential; None: the organisation.
    sede = models.ForeignKey(
        "enrollment.Sede",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sede"),
    )
    learner_name = models.CharField(_("nombre"), max_length=200)
    course_title = models.CharField(_("curso"), max_length=255)
    course_id = models.PositiveIntegerField(null=True, blank=True)
    module_code = models.CharField(_("módulo"), max_length=60, blank=True)
    module_name = models.CharField(_("nombre del módulo"), max_length=200, blank=True)
    hours = models.PositiveSmallIntegerField(_("horas"))
    completed_on = models.DateField(_("concluido el"))
    issuer_name = models.CharField(_("emitida por"), max_length=200)
    issued_at = models.DateTimeField(_("emitida el"))
    pdf = models.FileField(_("PDF"), upload_to="constancias/", max_length=200)
    credential = models.JSONField(_("credencial firmada"))
    # Its bit in the published revocation list (W3C Bitstring Status List): list
    # ``status_index // status_list.SIZE``, bit ``status_index % status_list.SIZE``. Chosen
    # at random among the free ones, so a bit's position says nothing of who or when.
    status_index = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    revoked_at = models.DateTimeField(_("anulada el"), null=True, blank=True)
    revoked_reason = models.TextField(_("motivo de anulación"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    replaced_by = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )

    class Meta:
        verbose_name = _("constancia")
        verbose_name_plural = _("constancias")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment"],
                condition=Q(revoked_at__isnull=True, enrollment__isnull=False),
                name="one_valid_certificate_per_enrollment",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="revocation_needs_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.folio} · {self.learner_name} · {self.course_title}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
