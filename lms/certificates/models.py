import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from lms.certificates.storage import certificate_pdf_storage


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

    # ``load()`` reads the images with the settings: a constancia needs both.
    select_related = ["logo", "signature"]

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
    # How the course aligned with the module when issued ("corresponde", "parcial",
    # "relacionado"), and for "parcial" which part. Empty with a module: issued before the
    # kind existed, under the wording "Alineado con el módulo" (printed that way).
    alignment = models.CharField(_("alineación con el módulo"), max_length=20, blank=True)
    alignment_note = models.CharField(_("parte del módulo"), max_length=200, blank=True)
    # Study time computed from the content, to the half hour (``CoursePage.estimated_hours``).
    hours = models.DecimalField(_("horas"), max_digits=4, decimal_places=1)
    completed_on = models.DateField(_("concluido el"))
    issuer_name = models.CharField(_("emitida por"), max_length=200)
    issued_at = models.DateTimeField(_("emitida el"))
    pdf = models.FileField(
        _("PDF"), upload_to="constancias/", max_length=200, storage=certificate_pdf_storage
    )
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

    @property
    def module_label(self) -> str:
        """ "Cuentas útiles (B2MCU)", or "" without a module."""
        if not self.module_name:
            return ""
        return f"{self.module_name} ({self.module_code})" if self.module_code else self.module_name

    @property
    def alignment_statement(self) -> str:
        """What the constancia says of the module, as printed (in Spanish, like the
        document): the kind of alignment it was issued under, then that it does not replace
        the INEA exam. A certificate issued before kinds existed keeps its own wording."""
        module = self.module_label
        if not module:
            return ""
        if not self.alignment:
            return f"Alineado con el módulo del MEVyT: {module}"
        if self.alignment == "corresponde":
            claim = f"Corresponde al módulo {module} del MEVyT."
        elif self.alignment == "parcial":
            note = self.alignment_note.strip().rstrip(".")
            claim = f"Se alinea con parte del módulo {module} del MEVyT: {note}."
        else:
            claim = f"Se relaciona con el módulo {module} del MEVyT."
        return f"{claim} No sustituye el examen del INEA."

    @property
    def hours_text(self) -> str:
        """ "3.5 horas", "4 horas", "1 hora": the study time as printed."""
        hours = Decimal(str(self.hours))
        if hours == int(hours):
            return "1 hora" if hours == 1 else f"{int(hours)} horas"
        return f"{hours.normalize():f} horas"
