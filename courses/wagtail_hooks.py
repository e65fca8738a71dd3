"""Admin customisation for courses: the curriculum ("Currículo") menu."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from courses.models import CredentialRequirement, CredentialRule, Eje, Framework, Level, Module


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
