"""Admin customisation for courses: the curriculum ("Currículo") menu, and the warnings
of the assessment checks after an assessment or a course is saved."""

from django.contrib import messages
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from courses.assessment_review import assessment_warnings, course_warnings
from courses.models import (
    AssessmentPage,
    CoursePage,
    CredentialRequirement,
    CredentialRule,
    Eje,
    Framework,
    Level,
    Module,
)


class FrameworkViewSet(SnippetViewSet):
    model = Framework
    icon = "site"
    menu_label = _("Marcos curriculares")
    list_display = ["name", "key"]


class LevelViewSet(SnippetViewSet):
    model = Level
    icon = "order"
    menu_label = _("Niveles")
    list_display = ["name", "key", "framework", "school_equivalent"]
    list_filter = ["framework"]


class EjeViewSet(SnippetViewSet):
    model = Eje
    icon = "tag"
    menu_label = _("Ejes")
    list_display = ["name", "key", "framework"]
    list_filter = ["framework"]


class ModuleViewSet(SnippetViewSet):
    model = Module
    icon = "doc-full"
    menu_label = _("Módulos")
    list_display = ["name", "code", "kind", "level", "eje"]
    list_filter = ["framework", "kind", "level", "eje"]
    search_fields = ["name", "code", "key"]


class CredentialRuleViewSet(SnippetViewSet):
    model = CredentialRule
    icon = "success"
    menu_label = _("Reglas de certificado")
    list_display = ["name", "framework", "is_confirmed"]


class CredentialRequirementViewSet(SnippetViewSet):
    model = CredentialRequirement
    icon = "list-ul"
    menu_label = _("Requisitos de certificado")
    list_display = ["rule", "kind", "count"]
    list_filter = ["rule"]


class CurriculumGroup(SnippetViewSetGroup):
    menu_label = _("Currículo")
    menu_icon = "folder-open-inverse"
    menu_order = 250
    items = (
        FrameworkViewSet,
        LevelViewSet,
        EjeViewSet,
        ModuleViewSet,
        CredentialRuleViewSet,
        CredentialRequirementViewSet,
    )


register_snippet(CurriculumGroup)


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_assessment_checks(request, page):
    """After saving or publishing an assessment (or a course, for its final), each warning
    of the checks as a message on the next page: they never stop the save."""
    page = page.specific
    if isinstance(page, AssessmentPage):
        warnings = assessment_warnings(page)
    elif isinstance(page, CoursePage):
        warnings = course_warnings(page)
    else:
        return
    for warning in warnings:
        messages.warning(request, warning.message)
