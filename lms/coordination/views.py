"""The coordinator's pages under /coordinacion/.

Every view starts from the viewer's scope (``enrollment_api.sedes_in_scope``): people with
no sede get 403 (``coordinator_required``), and a sede, grupo, learner or certificate
outside the scope is a 404, so a coordinator cannot even tell whether it exists.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from courses import read_models as courses_models
from lms.accounts import api as accounts_api
from lms.assessments import api as assessments_api
from lms.certificates import api as certificates_api
from lms.certificates import read_models as certificates_models
from lms.coordination.activity import lesson_drop_off, weekly_activity
from lms.coordination.at_risk import at_risk_days, at_risk_page, describe_at_risk
from lms.coordination.figures import (
    figures_by_course,
    figures_by_grupo,
    figures_by_sede,
    total_figures,
)
from lms.coordination.forms import AtRiskForm, MoveForm, ReasonForm, ReissueForm, ScopeFilterForm
from lms.coordination.learners import grupo_learners, learner_courses
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models
from lms.enrollment.api import coordinator_required

PAGE_SIZE = 50


def _sedes(request):
    return enrollment_api.sedes_in_scope(user=request.user).order_by("name")


def _grupo_in_scope(request, grupo_id):
    return get_object_or_404(enrollment_api.grupos_in_scope(user=request.user), pk=grupo_id)


@coordinator_required
def coordinator_home(request):
    """The coordinator's home: figures for each of their sedes and in total, the funnel,
    weekly activity and how many learners are at risk."""
    sedes = list(_sedes(request))
    rows, total = figures_by_sede(sedes=sedes)
    return TemplateResponse(
        request,
        "coordination/coordinator_home.html",
        {
            "rows": rows,
            "total": total,
            "weeks": weekly_activity(sedes=sedes),
            "at_risk": total.at_risk,
            "at_risk_days": at_risk_days(),
        },
    )


@coordinator_required
def sede_detail(request, key):
    sede = get_object_or_404(_sedes(request), key=key)
    grupos = list(sede.grupos.order_by("name"))
    total = total_figures(sedes=[sede], label=sede.name)
    return TemplateResponse(
        request,
        "coordination/sede.html",
        {
            "sede": sede,
            "course_query": f"?sede={sede.key}",
            "total": total,
            "grupos": figures_by_grupo(sedes=[sede], grupos=grupos),
            "courses": figures_by_course(sedes=[sede]),
            "weeks": weekly_activity(sedes=[sede]),
            "at_risk": total.at_risk,
            "at_risk_days": at_risk_days(),
        },
    )


@coordinator_required
def grupo_detail(request, grupo_id):
    grupo = _grupo_in_scope(request, grupo_id)
    sedes = [grupo.sede]
    learners = grupo_learners(grupo=grupo)
    page = Paginator(learners, PAGE_SIZE).get_page(request.GET.get("pagina"))
    total = total_figures(sedes=sedes, grupo=grupo, label=grupo.name)
    return TemplateResponse(
        request,
        "coordination/grupo.html",
        {
            "grupo": grupo,
            "join_code": enrollment_api.join_code_for(grupo=grupo),
            "course_query": f"?grupo={grupo.pk}",
            "total": total,
            "courses": figures_by_course(sedes=sedes, grupo=grupo),
            "weeks": weekly_activity(sedes=sedes, grupo=grupo),
            "learners": page,
            "at_risk": total.at_risk,
            "at_risk_days": at_risk_days(),
        },
    )


@require_POST
@coordinator_required
def grupo_new_code(request, grupo_id):
    """A new code to join the grupo: the old one stops working (it was shared too widely)."""
    grupo = _grupo_in_scope(request, grupo_id)
    code = enrollment_api.new_join_code(grupo=grupo)
    messages.success(
        request,
        _("El nuevo código del grupo es %(code)s; el anterior ya no sirve.") % {"code": code},
    )
    return redirect("coordination:grupo", grupo_id=grupo.pk)


def _scope_filter(request, extra=None):
    sedes = list(_sedes(request))
    grupos = list(enrollment_api.grupos_in_scope(user=request.user).order_by("sede__name", "name"))
    form_class = extra or ScopeFilterForm
    form = form_class(request.GET or None, sedes=sedes, grupos=grupos)
    scoped_sedes, grupo = form.scope(sedes)
    return form, scoped_sedes, grupo


@coordinator_required
def course_detail(request, course_id):
    """One course for the learners in scope: figures, weekly activity and where learners
    stop (per-lesson drop-off)."""
    course = get_object_or_404(courses_models.CoursePage.objects.live(), pk=course_id)
    form, sedes, grupo = _scope_filter(request)
    total = total_figures(sedes=sedes, grupo=grupo, course_id=course.pk, label=course.title)
    return TemplateResponse(
        request,
        "coordination/course.html",
        {
            "course": course,
            "form": form,
            "total": total,
            "total_rows": [total],
            "drop_off": lesson_drop_off(sedes=sedes, grupo=grupo, course_id=course.pk),
            "weeks": weekly_activity(sedes=sedes, grupo=grupo, course_id=course.pk),
        },
    )


@coordinator_required
def course_item_analysis(request, course_id, assessment_id):
    """Per question of one of the course's assessments, for the attempts made in the
    grupos in scope (narrowed by the sede/grupo filter like the course page): difficulty,
    discrimination, how often each option was chosen, and what deserves a look. An
    attempt counts for the grupo its learner was in when answering, even if moved since
    (the figures are about questions, not people). No learner is named. An assessment of
    another course (or none) is a 404."""
    course = get_object_or_404(courses_models.CoursePage.objects.live(), pk=course_id)
    assessment = get_object_or_404(
        courses_models.AssessmentPage.objects.live().descendant_of(course), pk=assessment_id
    )
    form, sedes, grupo = _scope_filter(request)
    grupos = (
        [grupo.pk]
        if grupo is not None
        else enrollment_models.Grupo.objects.filter(sede__in=sedes).values("pk")
    )
    analysis = assessments_api.item_analysis(assessment=assessment, grupo_ids=grupos)
    return TemplateResponse(
        request,
        "coordination/item_analysis.html",
        {"course": course, "assessment": assessment, "form": form, "analysis": analysis},
    )


@coordinator_required
def at_risk_list(request):
    """Learners who stopped studying (or keep failing an evaluation), longest first, with
    their contact if they gave one and the last thing they did."""
    form, sedes, grupo = _scope_filter(request, AtRiskForm)
    days = form.days() or at_risk_days()
    form.fields["dias"].widget.attrs["placeholder"] = days
    page = at_risk_page(
        sedes=sedes, grupo=grupo, days=days, number=request.GET.get("pagina"), per_page=PAGE_SIZE
    )
    describe_at_risk(page)
    query = request.GET.copy()
    query.pop("pagina", None)
    return TemplateResponse(
        request,
        "coordination/at_risk.html",
        {"form": form, "rows": page, "days": days, "query": query.urlencode()},
    )


# --- One learner ---------------------------------------------------------------------------


def _learner(request, learner_id):
    learner = enrollment_api.learner_in_scope(user=request.user, learner_id=learner_id)
    if learner is None:
        raise Http404
    return learner


@never_cache
@coordinator_required
def learner_detail(request, learner_id):
    learner = _learner(request, learner_id)
    accounts_api.record_access(
        request=request, action=accounts_api.AccessAction.VIEW_LEARNER, subject=learner
    )
    memberships = list(
        enrollment_models.Membership.objects.filter(
            user=learner, grupo__sede__in=_sedes(request)
        ).select_related("grupo__sede")
    )
    return TemplateResponse(
        request,
        "coordination/learner.html",
        {
            "learner": learner,
            "memberships": memberships,
            "lines": learner_courses(learner=learner),
            "move_form": MoveForm(
                user=request.user,
                initial={"grupo": memberships[0].grupo if memberships else None},
            ),
            "can_change_certificates": request.user.has_perm("certificates.change_certificate"),
        },
    )


@never_cache
@require_POST
@coordinator_required
def learner_reset_code(request, learner_id):
    """Hand the learner a one-time code to choose a new password (shown once)."""
    learner = _learner(request, learner_id)
    code = accounts_api.issue_reset_code(user=learner, issued_by=request.user)
    accounts_api.record_access(
        request=request, action=accounts_api.AccessAction.RESET_CODE, subject=learner
    )
    return TemplateResponse(
        request,
        "coordination/reset_code.html",
        {
            "learner": learner,
            "code": accounts_api.format_reset_code(code),
            "days": accounts_api.reset_code_days(),
        },
    )


@require_POST
@coordinator_required
def learner_withdraw(request, learner_id, course_id):
    learner = _learner(request, learner_id)
    course = get_object_or_404(courses_models.CoursePage, pk=course_id)
    if enrollment_api.withdraw(user=learner, course=course):
        messages.success(
            request,
            _("Se dio de baja a %(name)s de «%(course)s». Su avance se conserva.")
            % {"name": learner.public_name, "course": course.title},
        )
    else:
        messages.info(request, _("Esta persona ya no estaba inscrita en ese curso."))
    return redirect("coordination:learner", learner_id=learner.pk)


@require_POST
@coordinator_required
def learner_move(request, learner_id):
    learner = _learner(request, learner_id)
    form = MoveForm(request.POST, user=request.user)
    if form.is_valid():
        grupo = form.cleaned_data["grupo"]
        enrollment_api.move_to_grupo(user=learner, grupo=grupo, by=request.user)
        messages.success(
            request,
            _("%(name)s ahora está en el grupo «%(grupo)s».")
            % {"name": learner.public_name, "grupo": grupo.name},
        )
    else:
        messages.error(request, _("Elija uno de los grupos de sus sedes."))
    return redirect("coordination:learner", learner_id=learner.pk)


def _certificate(request, certificate_uuid):
    if not request.user.has_perm("certificates.change_certificate"):
        raise PermissionDenied
    certificate = get_object_or_404(certificates_models.Certificate, uuid=certificate_uuid)
    if certificate.user_id is None:
        raise Http404
    learner = _learner(request, certificate.user_id)
    return certificate, learner


@require_POST
@coordinator_required
def certificate_revoke(request, certificate_uuid):
    certificate, learner = _certificate(request, certificate_uuid)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise certificates_api.CertificateError(
                "reason_required", _("Escriba el motivo de la anulación.")
            )
        certificates_api.revoke(
            certificate=certificate, by=request.user, reason=form.cleaned_data["reason"]
        )
    except certificates_api.CertificateError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("La constancia %(folio)s quedó anulada.") % {"folio": certificate.folio}
        )
    return redirect("coordination:learner", learner_id=learner.pk)


@require_POST
@coordinator_required
def certificate_reissue(request, certificate_uuid):
    certificate, learner = _certificate(request, certificate_uuid)
    form = ReissueForm(request.POST)
    try:
        if not form.is_valid():
            raise certificates_api.CertificateError(
                "invalid", _("Escriba el nombre correcto y el motivo de la corrección.")
            )
        new = certificates_api.reissue(
            certificate=certificate,
            by=request.user,
            learner_name=form.cleaned_data["learner_name"],
            reason=form.cleaned_data["reason"],
        )
    except certificates_api.CertificateError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Se emitió la constancia %(new)s, que reemplaza a %(old)s.")
            % {"new": new.folio, "old": certificate.folio},
        )
    return redirect("coordination:learner", learner_id=learner.pk)
