"""Wagtail page types: home → catalog (/cursos/) → course → [unit →] lesson / assessment.

Page models are declarative: fields, panels, search fields and parent/child rules. The
rules make the only sensible tree: one home, one catalog under it, courses only in the
catalog, units only in a course, lessons and assessments only in a course or a unit.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PagePermissionTester
from wagtail.search import index

from content.api import RICH_TEXT_FEATURES, LessonStreamBlock, QuestionStreamBlock, normalize_text


class CoursePermissionTester(PagePermissionTester):
    """Page permissions for the catalog and everything below it.

    The role's page permissions (granted on the catalog) still apply, but a user without
    ``courses.edit_any_course`` (an asesor) keeps them only inside the courses they are
    assigned to. Everywhere else in the catalog they can look, not change.
    """

    def __init__(self, user, page):
        super().__init__(user, page)
        if (
            user.is_active
            and not user.is_superuser
            and self.permissions
            and not user.has_perm("courses.edit_any_course")
        ):
            course = CoursePage.objects.ancestor_of(page, inclusive=True).first()
            if course is None or not course.asesores.filter(pk=user.pk).exists():
                self.permissions = self.permissions & {"view"}


class CourseTreeMixin:
    def permissions_for_user(self, user):
        return CoursePermissionTester(user, self)


class HomePage(Page):
    intro = RichTextField(_("presentación"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CatalogPage"]
    max_count = 1

    class Meta:
        verbose_name = _("página de inicio")
        verbose_name_plural = _("páginas de inicio")


class CatalogPage(CourseTreeMixin, Page):
    intro = RichTextField(_("presentación"), blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["courses.HomePage"]
    subpage_types = ["courses.CoursePage", "courses.AssessmentPage"]
    max_count = 1

    class Meta:
        verbose_name = _("catálogo de cursos")
        verbose_name_plural = _("catálogos de cursos")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import catalog_courses, catalog_filters

        context = super().get_context(request, *args, **kwargs)
        filters = catalog_filters(request.GET)
        context["filters"] = filters
        context["courses"] = catalog_courses(catalog=self, filters=filters)
        return context


class CoursePage(CourseTreeMixin, Page):
    summary = models.TextField(
        _("resumen"), max_length=300, help_text=_("Una o dos frases para el catálogo.")
    )
    description = RichTextField(_("descripción"), blank=True, features=RICH_TEXT_FEATURES)
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imagen de portada"),
        help_text=_("Escriba la descripción de la imagen (texto alternativo) al subirla."),
    )
    module = models.ForeignKey(
        "courses.Module",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        verbose_name=_("módulo del currículo"),
        help_text=_("El módulo del MEVyT (u otro marco) que cubre este curso."),
    )
    level = models.ForeignKey(
        "courses.Level",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("nivel"),
    )
    estimated_hours = models.PositiveSmallIntegerField(
        _("horas estimadas"), default=1, validators=[MinValueValidator(1)]
    )
    outcomes = StreamField(
        [("outcome", blocks.CharBlock(label=_("Aprendizaje"), max_length=300))],
        blank=True,
        verbose_name=_("aprendizajes esperados"),
    )
    asesores = ParentalManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="assigned_courses",
        verbose_name=_("asesores asignados"),
        help_text=_("Solo estas personas (y coordinación) pueden editar el curso."),
    )
    enrollment_policy = models.CharField(
        _("inscripción"),
        max_length=20,
        choices=[
            ("open", _("Abierta: cada educando se inscribe")),
            ("coordinator", _("Solo coordinación inscribe")),
        ],
        default="open",
    )
    enrollment_opens_at = models.DateTimeField(_("inscripción abre"), null=True, blank=True)
    enrollment_closes_at = models.DateTimeField(_("inscripción cierra"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("cupo"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Número máximo de educandos inscritos a la vez. Vacío: sin límite."),
    )
    final_assessment = models.ForeignKey(
        "courses.AssessmentPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("examen final"),
        help_text=_("Una evaluación de este curso. Aprobarla es parte de concluir el curso."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldPanel("cover_image"),
        MultiFieldPanel(
            [FieldPanel("module"), FieldPanel("level"), FieldPanel("estimated_hours")],
            heading=_("Currículo"),
        ),
        FieldPanel("outcomes"),
        MultiFieldPanel(
            [PageChooserPanel("final_assessment", "courses.AssessmentPage")],
            heading=_("Regla para concluir"),
            help_text=_(
                "El curso se concluye al terminar todas las lecciones obligatorias y aprobar "
                "el examen final. Cada lección dice si es obligatoria."
            ),
        ),
        FieldPanel("asesores", permission="courses.assign_asesores"),
    ]
    settings_panels = [
        *Page.settings_panels,
        MultiFieldPanel(
            [
                FieldPanel("enrollment_policy"),
                FieldPanel("enrollment_opens_at"),
                FieldPanel("enrollment_closes_at"),
                FieldPanel("capacity"),
            ],
            heading=_("Inscripción"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
        index.SearchField("search_text"),
        index.AutocompleteField("search_text"),
        index.FilterField("module_id"),
        index.FilterField("level_id"),
    ]
    parent_page_types = ["courses.CatalogPage"]
    subpage_types = ["courses.UnitPage", "courses.LessonPage", "courses.AssessmentPage"]

    class Meta:
        verbose_name = _("curso")
        verbose_name_plural = _("cursos")
        permissions = [
            ("edit_any_course", _("Puede editar cualquier curso")),
            ("assign_asesores", _("Puede asignar asesores a un curso")),
        ]

    def search_text(self) -> str:
        """Title, summary and curriculum alignment without accents, so "matematicas"
        finds "Matemáticas" on every database backend."""
        parts = [self.title, self.summary]
        if self.level_id:
            parts.append(self.level.name)
        if self.module_id:
            parts.extend([self.module.name, self.module.code])
            if self.module.eje_id:
                parts.append(self.module.eje.name)
        return normalize_text(" ".join(parts))

    def clean(self):
        super().clean()
        errors = {}
        if self.module_id and self.level_id and self.module.level_id not in (None, self.level_id):
            errors["level"] = _("El nivel no coincide con el nivel del módulo elegido.")
        if (
            self.enrollment_opens_at
            and self.enrollment_closes_at
            and self.enrollment_closes_at <= self.enrollment_opens_at
        ):
            errors["enrollment_closes_at"] = _("La inscripción debe cerrar después de abrir.")
        if self.final_assessment_id and self.pk:
            assessment = self.final_assessment
            if not assessment.is_descendant_of(self):
                errors["final_assessment"] = _(
                    "El examen final debe ser una evaluación de este curso."
                )
        if errors:
            raise ValidationError(errors)

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import course_outline

        context = super().get_context(request, *args, **kwargs)
        context["outline"] = course_outline(course=self)
        return context


class UnitPage(CourseTreeMixin, Page):
    summary = models.TextField(_("resumen"), blank=True, max_length=300)

    content_panels = [*Page.content_panels, FieldPanel("summary")]
    parent_page_types = ["courses.CoursePage"]
    subpage_types = ["courses.LessonPage", "courses.AssessmentPage"]

    class Meta:
        verbose_name = _("unidad")
        verbose_name_plural = _("unidades")


class LessonPage(CourseTreeMixin, Page):
    summary = models.TextField(_("resumen"), blank=True, max_length=300)
    estimated_minutes = models.PositiveSmallIntegerField(
        _("minutos estimados"), default=15, validators=[MinValueValidator(1)]
    )
    required = models.BooleanField(
        _("obligatoria"),
        default=True,
        help_text=_("Las lecciones obligatorias cuentan para concluir el curso."),
    )
    body = StreamField(LessonStreamBlock(), verbose_name=_("contenido"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    settings_panels = [
        *Page.settings_panels,
        FieldPanel("estimated_minutes"),
        FieldPanel("required"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["courses.CoursePage", "courses.UnitPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("lección")
        verbose_name_plural = _("lecciones")

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import lesson_navigation

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_navigation(page=self))
        return context


class AssessmentKind(models.TextChoices):
    PRACTICE = "practice", _("Práctica")
    FINAL = "final", _("Evaluación final")
    DIAGNOSTIC = "diagnostic", _("Diagnóstico")


class AssessmentPage(CourseTreeMixin, Page):
    kind = models.CharField(
        _("tipo"), max_length=20, choices=AssessmentKind.choices, default=AssessmentKind.PRACTICE
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("calificación para aprobar (%)"),
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("intentos permitidos"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Déjelo vacío para permitir intentos sin límite."),
    )
    questions_per_attempt = models.PositiveSmallIntegerField(
        _("preguntas por intento"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Para usar las preguntas como banco: en cada intento, cada persona recibe esta "
            "cantidad de preguntas elegidas al azar entre todas, otras en el siguiente "
            "intento. Déjelo vacío para mostrar siempre todas las preguntas."
        ),
    )
    intro = RichTextField(_("instrucciones"), blank=True, features=RICH_TEXT_FEATURES)
    questions = StreamField(QuestionStreamBlock(), verbose_name=_("preguntas"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("questions"),
    ]
    settings_panels = [
        *Page.settings_panels,
        MultiFieldPanel(
            [
                FieldPanel("kind"),
                FieldPanel("pass_mark"),
                FieldPanel("max_attempts"),
                FieldPanel("questions_per_attempt"),
            ],
            heading=_("Evaluación"),
        ),
    ]
    parent_page_types = ["courses.CoursePage", "courses.UnitPage", "courses.CatalogPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("evaluación")
        verbose_name_plural = _("evaluaciones")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark__lte=100), name="assessment_pass_mark_max_100"
            ),
        ]

    def get_context(self, request, *args, **kwargs):
        from courses.selectors import lesson_navigation

        context = super().get_context(request, *args, **kwargs)
        context.update(lesson_navigation(page=self))
        return context

    def clean(self):
        super().clean()
        parent = self.get_parent() if self.pk else None
        in_catalog = parent is not None and isinstance(parent.specific, CatalogPage)
        if in_catalog and self.kind != AssessmentKind.DIAGNOSTIC:
            raise ValidationError(
                {"kind": _("En el catálogo solo puede haber evaluaciones diagnósticas.")}
            )
        drawn, pool = self.questions_per_attempt, len(self.questions)
        if drawn is not None and drawn < 1:
            raise ValidationError(
                {
                    "questions_per_attempt": _(
                        "Debe ser al menos 1. Déjelo vacío para mostrar todas las preguntas."
                    )
                }
            )
        if drawn is not None and drawn > pool:
            raise ValidationError(
                {
                    "questions_per_attempt": _(
                        "No puede ser mayor que el número de preguntas de la evaluación (%(n)d)."
                    )
                    % {"n": pool}
                }
            )
