"""Wagtail page types: home → catalog (/cursos/) → course → [unit →] lesson / assessment.

Page models are declarative: fields, panels, search fields and parent/child rules. The
rules make the only sensible tree: one home, one catalog under it, courses only in the
catalog, units only in a course, lessons and assessments only in a course or a unit.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modelcluster.fields import ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.blocks import StreamBlockValidationError, StructBlockValidationError
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PagePermissionTester
from wagtail.search import index

from content.api import RICH_TEXT_FEATURES, LessonStreamBlock, QuestionStreamBlock, normalize_text
from courses.assessment_review import outcome_groups, outcome_tag_errors
from courses.models.curriculum import AlignmentKind
from courses.models.routing import RestrictionsSkippedMixin
from courses.models.study_time import assessment_minutes, hours_for, hours_text
from courses.panels import CourseReviewPanel, ReadabilityPanel, ReviewPanel


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


class CourseTreeMixin(RestrictionsSkippedMixin):
    def permissions_for_user(self, user):
        return CoursePermissionTester(user, self)


class HomePage(RestrictionsSkippedMixin, Page):
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


def alignment_errors(module_id: int | None, alignment: str, note: str) -> dict[str, str]:
    """What is wrong with a course's alignment with its module (by field): a module needs
    a kind, a partial alignment says which part, no module means no alignment. The
    library import reports the same rules."""
    errors: dict[str, str] = {}
    if not module_id:
        if alignment:
            errors["alignment"] = _("Sin módulo no hay alineación: deje este campo vacío.")
        if note.strip():
            errors["alignment_note"] = _("Sin módulo no hay alineación: borre esta nota.")
        return errors
    if alignment not in AlignmentKind.values:
        errors["alignment"] = _(
            "Diga cómo se alinea el curso con el módulo: corresponde, parcial o relacionado."
        )
    elif alignment == AlignmentKind.PARCIAL and not note.strip():
        errors["alignment_note"] = _(
            "Una alineación parcial dice qué parte del módulo cubre el curso."
        )
    elif alignment != AlignmentKind.PARCIAL and note.strip():
        errors["alignment_note"] = _(
            "Esta nota es solo para una alineación parcial: bórrela o elija «parcial»."
        )
    return errors


class StudyTimePanel(FieldPanel):
    """The computed study time, read only: "3.5 horas (205 minutos)"."""

    def format_value_for_display(self, value):
        return _("%(hours)s horas (%(minutes)d minutos), calculado del contenido") % {
            "hours": hours_text(hours_for(value or 0)),
            "minutes": value or 0,
        }


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
    alignment = models.CharField(
        _("alineación con el módulo"),
        max_length=20,
        choices=AlignmentKind.choices,
        blank=True,
        help_text=_(
            "Corresponde: el curso cubre el módulo completo (solo así cuenta para el "
            "certificado de primaria o secundaria). Parcial: cubre una parte; diga cuál. "
            "Relacionado: trata temas del módulo sin cubrirlo."
        ),
    )
    alignment_note = models.CharField(
        _("parte del módulo que cubre"),
        max_length=200,
        blank=True,
        help_text=_(
            "Solo para una alineación parcial: qué parte del módulo cubre el curso. Se "
            "imprime en la constancia."
        ),
    )
    review_notes = models.TextField(
        _("notas para revisión"),
        blank=True,
        help_text=_(
            "Para asesores y revisores, nunca se muestra a educandos: las fuentes primarias "
            "(con su dirección) que respaldan los datos del curso y la razón de su "
            "alineación con el módulo."
        ),
    )
    # Computed from the content (``study_time``), never typed: lessons' minutes plus one
    # attempt at each assessment.
    study_minutes = models.PositiveIntegerField(
        _("tiempo de estudio (minutos)"),
        default=0,
        help_text=_(
            "Se calcula solo: los minutos de las lecciones más el tiempo de las prácticas y "
            "del examen final según sus preguntas."
        ),
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
    final_requires_lessons = models.BooleanField(
        _("el examen final se abre al terminar las lecciones"),
        default=True,
        help_text=_(
            "Si está marcado, el educando presenta el examen final solo después de terminar "
            "todas las lecciones obligatorias; mientras tanto, la página del examen le dice "
            "cuáles le faltan."
        ),
    )

    entry_check_questions = models.PositiveSmallIntegerField(
        _("preguntas de la prueba de entrada"),
        default=6,
        validators=[MaxValueValidator(20)],
        help_text=_(
            "Antes de la primera lección, el educando puede contestar estas preguntas del "
            "banco del examen final; no cuentan para nada y miden lo que aprende en el curso. "
            "Nunca le vuelven a salir en el examen final. Se usan solo si el banco del examen "
            "tiene preguntas de sobra (más que las que se eligen por intento). 0: sin prueba "
            "de entrada."
        ),
    )

    content_panels = [
        CourseReviewPanel(),
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldPanel("cover_image"),
        MultiFieldPanel(
            [
                FieldPanel("module"),
                FieldPanel("alignment"),
                FieldPanel("alignment_note"),
                FieldPanel("level"),
                StudyTimePanel("study_minutes", read_only=True),
            ],
            heading=_("Currículo"),
        ),
        FieldPanel("outcomes"),
        MultiFieldPanel(
            [
                PageChooserPanel("final_assessment", "courses.AssessmentPage"),
                FieldPanel("final_requires_lessons"),
                FieldPanel("entry_check_questions"),
            ],
            heading=_("Regla para concluir"),
            help_text=_(
                "El curso se concluye al terminar todas las lecciones obligatorias y aprobar "
                "el examen final. Cada lección dice si es obligatoria."
            ),
        ),
        FieldPanel("asesores", permission="courses.assign_asesores"),
        FieldPanel("review_notes"),
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

    @property
    def estimated_hours(self) -> Decimal:
        """The study time in hours, to the nearest half hour (``study_time.hours_for``)."""
        return hours_for(self.study_minutes)

    @property
    def study_time_text(self) -> str:
        """ "3.5 horas", "4 horas", "1 hora", translated (for templates: a count of
        ``blocktranslate`` must be a whole number)."""
        hours = self.estimated_hours
        if hours == int(hours):
            return ngettext("%(hours)d hora", "%(hours)d horas", int(hours)) % {"hours": int(hours)}
        return _("%(hours)s horas") % {"hours": hours_text(hours)}

    @property
    def counts_for_credentials(self) -> bool:
        """Only a course that corresponds to its module counts toward a credential."""
        return bool(self.module_id) and self.alignment == AlignmentKind.CORRESPONDE

    def clean(self):
        super().clean()
        errors = {}
        errors.update(alignment_errors(self.module_id, self.alignment, self.alignment_note))
        if self.module_id and self.level_id and self.module.level_id not in (None, self.level_id):
            errors["level"] = _("El nivel no coincide con el nivel del módulo elegido.")
        elif self.module_id and self.level_id and self.module.level_id is None:
            errors["level"] = _(
                "Los datos del currículo no dicen a qué nivel pertenece este módulo: deje el "
                "nivel vacío hasta que se confirme."
            )
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
    review_notes = models.TextField(
        _("notas para revisión"),
        blank=True,
        help_text=_(
            "Para asesores y revisores, nunca se muestra a educandos: las fuentes primarias "
            "(con su dirección) que respaldan los datos de esta lección."
        ),
    )

    content_panels = [
        ReadabilityPanel(),
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        FieldPanel("review_notes"),
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


# The course the library importer is importing (its tree path) and its outcomes, which the
# course page receives only after its assessments: their validation reads them from here.
_importing_outcomes: ContextVar[tuple[str, list[str]] | None] = ContextVar(
    "importing_outcomes", default=None
)


@contextmanager
def outcomes_being_imported(course: "CoursePage", outcomes: list[str]) -> Iterator[None]:
    """Inside the block, the assessments of ``course`` validate their questions' outcome
    numbers against ``outcomes`` (the course's new list) instead of the saved ones."""
    token = _importing_outcomes.set((course.path, outcomes))
    try:
        yield
    finally:
        _importing_outcomes.reset(token)


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
    draw_by_outcome = models.BooleanField(
        _("Repartir las preguntas entre los aprendizajes"),
        default=False,
        help_text=_(
            "Con preguntas por intento: cada intento toma preguntas de cada aprendizaje "
            "esperado (según el aprendizaje que evalúa cada pregunta), en partes iguales "
            "hasta donde alcancen, para que ningún intento deje un aprendizaje sin evaluar. "
            "Las preguntas sin aprendizaje forman un grupo más."
        ),
    )
    intro = RichTextField(_("instrucciones"), blank=True, features=RICH_TEXT_FEATURES)
    questions = StreamField(QuestionStreamBlock(), verbose_name=_("preguntas"))

    content_panels = [
        ReviewPanel(),
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
                FieldPanel("draw_by_outcome"),
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
        errors: dict[str, Any] = {}
        if self.draw_by_outcome:
            groups = outcome_groups(self.questions)
            if drawn is None:
                errors["draw_by_outcome"] = _(
                    "Para repartir las preguntas entre los aprendizajes, escriba también "
                    "cuántas preguntas hay por intento."
                )
            elif drawn < len(groups):
                errors["draw_by_outcome"] = _(
                    "Las preguntas forman %(groups)d grupos por aprendizaje (las que no "
                    "tienen aprendizaje son un grupo más): cada intento necesita al menos "
                    "%(groups)d preguntas, una de cada grupo. Ahora tiene %(n)d."
                ) % {"groups": len(groups), "n": drawn}
        outcomes = self.course_outcomes()
        if outcomes is not None:
            tag_errors = outcome_tag_errors(self.questions, len(outcomes))
            if tag_errors:
                errors["questions"] = StreamBlockValidationError(
                    block_errors={
                        index: StructBlockValidationError(
                            block_errors={"outcome": ValidationError(message)}
                        )
                        for index, message in tag_errors.items()
                    },
                    non_block_errors=ErrorList(list(tag_errors.values())),
                )
        if errors:
            raise ValidationError(errors)

    @property
    def estimated_minutes(self) -> int:
        """Minutes for one attempt, from its questions (``study_time``)."""
        return assessment_minutes(
            [block.block_type for block in self.questions], self.questions_per_attempt
        )

    def course_outcomes(self) -> list[str] | None:
        """The texts of the learning outcomes of the course this assessment is in, in
        order (None outside a course, or for a page not saved yet)."""
        importing = _importing_outcomes.get()
        if importing is not None and self.path.startswith(importing[0]):
            return importing[1]
        if not self.pk:
            return None
        course = CoursePage.objects.ancestor_of(self).first()
        return None if course is None else [str(block.value) for block in course.outcomes]
