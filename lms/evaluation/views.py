"""The program evaluation pages, under /coordinacion/evaluacion/: learning gains,
retention, time to completion and the credential funnel, for the whole program (every
sede of the viewer), one sede or one grupo.

Like every coordinator page they start from the viewer's scope: people with no sede get
403 (``coordinator_required``), a sede or grupo outside it is a 404. Figures about fewer
learners than ``AULA_EVALUATION_MIN_GROUP`` are never sent to the page ("muy pocos
datos"). A fixed number of queries whatever the number of learners.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from lms.enrollment import api as enrollment_api
from lms.enrollment.api import coordinator_required
from lms.enrollment.read_models import Sede
from lms.evaluation import summary


def _sedes(request: HttpRequest) -> QuerySet[Sede]:
    return enrollment_api.sedes_in_scope(user=request.user).order_by("name")


@coordinator_required
def program(request: HttpRequest) -> TemplateResponse:
    """Every sede of the viewer: gains by course and by sede, retention by cohort, time
    to completion and the credential funnel, with links to each sede."""
    sedes = list(_sedes(request))
    context = summary.figures(sedes=sedes, grupo=None, label=summary.program_label(), by="sede")
    context.update({"sedes": sedes, "title": _("Evaluación del programa")})
    return TemplateResponse(request, "evaluation/program.html", context)


@coordinator_required
def sede_detail(request: HttpRequest, key: str) -> TemplateResponse:
    """One sede of the viewer's: the same figures, and gains by grupo."""
    sede = get_object_or_404(_sedes(request), key=key)
    context = summary.figures(sedes=[sede], grupo=None, label=sede.name, by="grupo")
    context.update(
        {
            "sede": sede,
            "grupos": list(sede.grupos.order_by("name")),
            "title": _("Evaluación: %(name)s") % {"name": sede.name},
        }
    )
    return TemplateResponse(request, "evaluation/sede.html", context)


@coordinator_required
def grupo_detail(request: HttpRequest, grupo_id: int) -> TemplateResponse:
    """One grupo of the viewer's sedes: the same figures for its learners."""
    grupo = get_object_or_404(enrollment_api.grupos_in_scope(user=request.user), pk=grupo_id)
    context = summary.figures(sedes=[grupo.sede], grupo=grupo, label=grupo.name, by=None)
    context.update({"grupo": grupo, "title": _("Evaluación: %(name)s") % {"name": grupo.name}})
    return TemplateResponse(request, "evaluation/grupo.html", context)
