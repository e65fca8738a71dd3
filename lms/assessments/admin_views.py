"""The item analysis of an assessment in the Wagtail admin, for whoever may edit the page
(its asesores, coordinators, administrators), no names: administrators see every
learner's attempts; coordinators those of their sedes' learners and asesores those of
their grupos' (``enrollment_api.grupos_for_figures``), as on every coordinator page."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.defaults import permission_denied

from courses import read_models as courses_models
from lms.assessments.item_analysis import item_analysis
from lms.enrollment import api as enrollment_api


def assessment_item_analysis(request, page_id: int):
    """Per question: difficulty, discrimination, options chosen and flags. 403 for a user
    who cannot edit the page (an asesor of another course), 404 for no assessment."""
    page = get_object_or_404(courses_models.AssessmentPage, pk=page_id)
    if not page.permissions_for_user(request.user).can_edit():
        # A plain 403: the admin would turn PermissionDenied into a redirect to its home.
        return permission_denied(request, PermissionDenied())
    grupos = enrollment_api.grupos_for_figures(user=request.user)
    title = _("Análisis de preguntas: %(title)s") % {"title": page.title}
    return TemplateResponse(
        request,
        "assessments/admin_item_analysis.html",
        {
            "page": page,
            "analysis": item_analysis(
                assessment=page, grupo_ids=None if grupos is None else grupos.values("pk")
            ),
            "everyone": grupos is None,
            "header_title": title,
            "page_title": title,
            "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
        },
    )
