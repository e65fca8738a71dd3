"""The quarterly evaluation reports' pages, under /coordinacion/evaluacion/informes/: the
list of reports in the person's scope, the form to ask for one, and the downloads.

Coordinators see and ask for their sedes' reports; program administrators also the
whole program's. A report outside the person's scope is a 404; learners and asesores get
403 (``coordinator_required``); anonymous visitors go to log in.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lms.enrollment import api as enrollment_api
from lms.evaluation import report_jobs, tasks
from lms.evaluation.models import ReportLanguage, ReportStatus, quarter_bounds
from lms.evaluation.report import CONTENT_TYPES
from lms.files import private_file_response

PROGRAM = "programa"
REPORTS_SHOWN = 100
FIRST_YEAR = 2020

QUARTERS = [
    (1, gettext_lazy("Primero (enero a marzo)")),
    (2, gettext_lazy("Segundo (abril a junio)")),
    (3, gettext_lazy("Tercero (julio a septiembre)")),
    (4, gettext_lazy("Cuarto (octubre a diciembre)")),
]


class ReportForm(forms.Form):
    """Which report: a quarter that has begun, a sede in the person's scope (or the program,
    for program administrators) and a language."""

    year = forms.IntegerField(
        label=gettext_lazy("Año"),
        min_value=FIRST_YEAR,
        error_messages={
            "invalid": gettext_lazy("Escriba el año con cuatro cifras, por ejemplo 2026."),
            "min_value": gettext_lazy("Aula no tiene datos de antes de %(limit_value)s."),
            "required": gettext_lazy("Escriba el año."),
        },
    )
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Trimestre"),
        choices=QUARTERS,
        coerce=int,
        error_messages={"required": gettext_lazy("Elija el trimestre.")},
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("¿De qué sede?"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Esa sede no está entre las que usted puede ver. Elija una de la lista."
            ),
            "required": gettext_lazy("Elija una sede."),
        },
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Idioma del informe"),
        choices=ReportLanguage.choices,
        initial=ReportLanguage.SPANISH,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Elija el idioma.")},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sedes = {
            str(sede.pk): sede for sede in enrollment_api.sedes_in_scope(user=user).order_by("name")
        }
        choices = [(key, sede.name) for key, sede in self.sedes.items()]
        if report_jobs.sees_program(user):
            choices.insert(0, (PROGRAM, _("Todo el programa")))
        scope_field = self.fields["scope"]
        assert isinstance(scope_field, forms.ChoiceField)
        scope_field.choices = choices
        year, quarter = report_jobs.previous_quarter(timezone.localdate())
        self.fields["year"].initial = year
        self.fields["quarter"].initial = quarter

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        year, quarter = data.get("year"), data.get("quarter")
        if year and quarter and quarter_bounds(year, quarter)[0] > timezone.localdate():
            self.add_error(
                "quarter",
                _(
                    "Ese trimestre todavía no empieza: no hay cifras que mostrar. Elija uno "
                    "que ya haya terminado."
                ),
            )
        return data

    @property
    def sede(self) -> Any:
        scope = self.cleaned_data["scope"]
        return None if scope == PROGRAM else self.sedes[scope]


@never_cache
@require_GET
@enrollment_api.coordinator_required
def report_list(request: HttpRequest) -> HttpResponse:
    """The reports of the person's sedes (and the program's, for program administrators),
    newest quarter first."""
    reports = list(report_jobs.reports_in_scope(user=request.user)[:REPORTS_SHOWN])
    return TemplateResponse(
        request,
        "evaluation/report_list.html",
        {
            "reports": reports,
            "waiting": any(made.status == ReportStatus.PENDING for made in reports),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@enrollment_api.coordinator_required
def report_request(request: HttpRequest) -> HttpResponse:
    """Ask for a report; it is prepared in the background. Asking again for one that
    exists rebuilds it with today's figures."""
    if request.method == "POST":
        form = ReportForm(request.POST, user=request.user)
        if form.is_valid():
            made, queue = report_jobs.request_report(
                sede=form.sede,
                year=form.cleaned_data["year"],
                quarter=form.cleaned_data["quarter"],
                language=form.cleaned_data["language"],
                user=request.user,
            )
            if queue:
                transaction.on_commit(partial(tasks.queue_report, made.pk))
                messages.success(
                    request,
                    _("El informe se está preparando. En unos minutos aparecerá listo aquí."),
                )
            else:
                messages.info(request, _("Ese informe ya se está preparando."))
            return redirect("evaluation:reports")
    else:
        form = ReportForm(user=request.user)
    return TemplateResponse(request, "evaluation/report_form.html", {"form": form})


def _download(request: HttpRequest, report_uuid: Any, kind: str) -> HttpResponse:
    made = (
        report_jobs.reports_in_scope(user=request.user)
        .filter(uuid=report_uuid, status=ReportStatus.DONE)
        .first()
    )
    if made is None:
        raise Http404
    field = made.pdf if kind == "pdf" else made.csv
    if not field:
        raise Http404
    try:
        response: HttpResponse = private_file_response(
            field, filename=f"{made.file_stem()}.{kind}", content_type=CONTENT_TYPES[kind]
        )
        return response
    except FileNotFoundError:
        messages.error(request, _("Ese archivo ya no está disponible. Pida el informe de nuevo."))
        return redirect("evaluation:reports")


@never_cache
@require_GET
@enrollment_api.coordinator_required
def report_pdf(request: HttpRequest, report_uuid: Any) -> HttpResponse:
    return _download(request, report_uuid, "pdf")


@never_cache
@require_GET
@enrollment_api.coordinator_required
def report_csv(request: HttpRequest, report_uuid: Any) -> HttpResponse:
    return _download(request, report_uuid, "csv")
