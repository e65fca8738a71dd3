"""Curriculum alignment as data: framework → level → eje → module → learning outcome,
and the credential rules that say which modules make a certificate.

Nothing here is hard-coded to MEVyT: the MEVyT facts are loaded from
``courses/data/mevyt.yaml`` and coordinators can edit them, or load another framework,
in the admin ("Currículo").
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable
from wagtail.search import index


class ModuleKind(models.TextChoices):
    BASICO = "basico", _("Básico")
    DIVERSIFICADO = "diversificado", _("Diversificado")


class AlignmentKind(models.TextChoices):
    """How much of its module a course covers: what the constancia prints, and whether
    the course counts toward a credential (only ``CORRESPONDE`` does)."""

    CORRESPONDE = "corresponde", _("Corresponde al módulo")
    PARCIAL = "parcial", _("Cubre parte del módulo")
    RELACIONADO = "relacionado", _("Se relaciona con el módulo")


class Framework(models.Model):
    """A curriculum framework, e.g. INEA's MEVyT."""

    key = models.SlugField(_("clave"), max_length=40, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    source_notes = models.TextField(
        _("fuentes y notas"),
        blank=True,
        help_text=_("De dónde vienen estos datos y qué valores no están confirmados."),
    )

    panels = [
        FieldPanel("key"),
        FieldPanel("name"),
        FieldPanel("description"),
        FieldPanel("source_notes"),
    ]

    class Meta:
        verbose_name = _("marco curricular")
        verbose_name_plural = _("marcos curriculares")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.Model):
    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="levels", verbose_name=_("marco")
    )
    key = models.SlugField(_("clave"), max_length=40)
    name = models.CharField(_("nombre"), max_length=100)
    school_equivalent = models.CharField(_("equivale a"), max_length=100, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("orden"), default=0)

    panels = [
        FieldPanel("framework"),
        FieldPanel("key"),
        FieldPanel("name"),
        FieldPanel("school_equivalent"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("nivel")
        verbose_name_plural = _("niveles")
        ordering = ["framework", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="level_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Eje(models.Model):
    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="ejes", verbose_name=_("marco")
    )
    key = models.SlugField(_("clave"), max_length=40)
    name = models.CharField(_("nombre"), max_length=100)
    sort_order = models.PositiveSmallIntegerField(_("orden"), default=0)

    panels = [
        FieldPanel("framework"),
        FieldPanel("key"),
        FieldPanel("name"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("eje")
        verbose_name_plural = _("ejes")
        ordering = ["framework", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="eje_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class Module(index.Indexed, ClusterableModel):
    """A curriculum module (e.g. "Fracciones y porcentajes", B3MFP)."""

    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="modules", verbose_name=_("marco")
    )
    key = models.CharField(
        _("clave"),
        max_length=60,
        help_text=_("Clave estable dentro del marco: el código oficial si se conoce."),
    )
    code = models.CharField(
        _("código oficial"), max_length=20, blank=True, help_text=_("Vacío si no se conoce.")
    )
    name = models.CharField(_("nombre"), max_length=200)
    kind = models.CharField(_("tipo"), max_length=20, choices=ModuleKind.choices)
    level = models.ForeignKey(
        Level,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="modules",
        verbose_name=_("nivel"),
    )
    eje = models.ForeignKey(
        Eje,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="modules",
        verbose_name=_("eje"),
    )
    description = models.TextField(_("descripción"), blank=True)
    notes = models.TextField(_("notas"), blank=True)

    panels = [
        FieldPanel("framework"),
        FieldPanel("key"),
        FieldPanel("code"),
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("level"),
        FieldPanel("eje"),
        FieldPanel("description"),
        InlinePanel("outcomes", label=_("Aprendizajes esperados")),
        FieldPanel("notes"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("code"),
        index.FilterField("framework"),
        index.FilterField("kind"),
    ]

    class Meta:
        verbose_name = _("módulo")
        verbose_name_plural = _("módulos")
        ordering = ["framework", "level__sort_order", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="module_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    def clean(self):
        errors = {}
        if self.level_id and self.framework_id and self.level.framework_id != self.framework_id:
            errors["level"] = _("El nivel pertenece a otro marco curricular.")
        if self.eje_id and self.framework_id and self.eje.framework_id != self.framework_id:
            errors["eje"] = _("El eje pertenece a otro marco curricular.")
        if errors:
            raise ValidationError(errors)


class LearningOutcome(Orderable):
    module = ParentalKey(Module, on_delete=models.CASCADE, related_name="outcomes")
    text = models.CharField(_("aprendizaje esperado"), max_length=300)

    panels = [FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("aprendizaje esperado")
        verbose_name_plural = _("aprendizajes esperados")

    def __str__(self) -> str:
        return self.text


class CredentialRule(models.Model):
    """What a credential needs, e.g. primaria = 10 básicos (inicial + intermedio) + 2
    diversificados. The requirements are rows of ``CredentialRequirement``."""

    framework = models.ForeignKey(
        Framework,
        on_delete=models.CASCADE,
        related_name="credential_rules",
        verbose_name=_("marco"),
    )
    key = models.SlugField(_("clave"), max_length=40)
    name = models.CharField(_("nombre"), max_length=200)
    is_confirmed = models.BooleanField(
        _("confirmada"),
        default=False,
        help_text=_("Desmarque si la regla es un valor de trabajo aún no confirmado."),
    )
    notes = models.TextField(_("notas"), blank=True)

    panels = [
        FieldPanel("framework"),
        FieldPanel("key"),
        FieldPanel("name"),
        FieldPanel("is_confirmed"),
        FieldPanel("notes"),
    ]

    class Meta:
        verbose_name = _("regla de certificado")
        verbose_name_plural = _("reglas de certificado")
        ordering = ["framework", "name"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="credentialrule_unique_key"),
        ]

    def __str__(self) -> str:
        return self.name


class CredentialRequirement(models.Model):
    """``count`` modules of ``kind`` from any of ``levels`` (no levels: any level)."""

    rule = models.ForeignKey(
        CredentialRule,
        on_delete=models.CASCADE,
        related_name="requirements",
        verbose_name=_("regla"),
    )
    kind = models.CharField(_("tipo de módulo"), max_length=20, choices=ModuleKind.choices)
    levels = models.ManyToManyField(
        Level,
        blank=True,
        verbose_name=_("niveles"),
        help_text=_("Déjelo vacío para aceptar módulos de cualquier nivel."),
    )
    count = models.PositiveSmallIntegerField(_("cantidad"))
    sort_order = models.PositiveSmallIntegerField(_("orden"), default=0)

    panels = [
        FieldPanel("rule"),
        FieldPanel("kind"),
        FieldPanel("levels"),
        FieldPanel("count"),
        FieldPanel("sort_order"),
    ]

    class Meta:
        verbose_name = _("requisito de certificado")
        verbose_name_plural = _("requisitos de certificado")
        ordering = ["rule", "sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(count__gt=0), name="credentialrequirement_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} × {self.get_kind_display()}"
