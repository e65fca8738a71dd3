"""The item analysis in the Wagtail admin: its address, and a button in the header of an
assessment's pages (edit, listing) for those who may edit it."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem

from courses import read_models as courses_models
from lms.assessments import admin_views


@hooks.register("register_admin_urls")
def item_analysis_urls():
    return [
        path(
            "evaluaciones/<int:page_id>/analisis/",
            admin_views.assessment_item_analysis,
            name="assessments_item_analysis",
        )
    ]


class ItemAnalysisButton(PageMenuItem):
    label = _("Análisis de preguntas")
    icon_name = "table"
    priority = 66

    @property
    def url(self):
        return reverse("assessments_item_analysis", args=[self.page.pk])

    def is_shown(self, user):
        return self.page.permissions_for_user(user).can_edit()


@hooks.register("register_page_header_buttons")
def item_analysis_button(page, user, view_name=None, next_url=None):
    if page.specific_class is courses_models.AssessmentPage:
        yield ItemAnalysisButton(page=page)
