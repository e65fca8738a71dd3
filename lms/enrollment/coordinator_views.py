"""Bulk enrollment pages for coordinators, under /coordinacion/inscripcion/.

An upload's page (``preview``) is its preview until it is confirmed, its progress while a
Celery task applies it (``bulk.background``), and its result once applied.

Every view is for people with at least one sede in their scope (``coordinator_required``:
anonymous → log in, others → 403); an upload of a grupo outside the person's sedes is a
404, so a coordinator cannot even tell whether it exists.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lms.accounts import api as accounts_api
from lms.enrollment import api, bulk, tasks
from lms.enrollment.models import BulkImport, Grupo
from lms.files import private_file_response

HISTORY_LENGTH = 20
# Seconds between the progress page's reloads (a Refresh header: no JavaScript).
PROGRESS_REFRESH = 3


class BulkUploadForm(forms.Form):
    grupo = forms.ModelChoiceField(
        label=gettext_lazy("Grupo"),
        queryset=Grupo.objects.none(),
        empty_label=gettext_lazy("Elija el grupo"),
        help_text=gettext_lazy("Todas las personas de la lista entrarán a este grupo."),
        error_messages={
            "invalid_choice": gettext_lazy("Elija uno de los grupos de su sede."),
            "required": gettext_lazy("Elija el grupo."),
        },
    )
    file = forms.FileField(
        label=gettext_lazy("Archivo con la lista"),
        help_text=gettext_lazy(
            "Un archivo .xlsx (Excel) o .csv de hasta 2 MB, con una fila por persona."
        ),
        error_messages={
            "required": gettext_lazy("Elija el archivo que va a subir."),
            "empty": bulk.EMPTY_FILE,
        },
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        grupos = api.grupos_in_scope(user=user).order_by("sede__name", "name")
        field = self.fields["grupo"]
        field.queryset = grupos
        field.label_from_instance = lambda grupo: f"{grupo.name} · {grupo.sede.name}"
        if not self.is_bound:
            only = list(grupos[:2])
            if len(only) == 1:
                self.initial["grupo"] = only[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > bulk.MAX_FILE_BYTES:
            raise forms.ValidationError(bulk.TOO_BIG)
        return upload


def _import_or_404(request: HttpRequest, pk) -> BulkImport:
    return get_object_or_404(bulk.imports_in_scope(user=request.user), uuid=pk)


def _base_url(request: HttpRequest) -> str:
    return (settings.AULA_PUBLIC_URL or request.build_absolute_uri("/")).rstrip("/")


@api.coordinator_required
@never_cache
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    form = BulkUploadForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    if posted and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            bulk_import = bulk.create_import(
                grupo=form.cleaned_data["grupo"],
                uploaded_by=request.user,
                filename=upload_file.name,
                content=upload_file.read(),
            )
        except bulk.BulkFileError as error:
            form.add_error("file", error.message)
        else:
            return redirect("bulk:preview", pk=bulk_import.uuid)
    history = list(bulk.imports_in_scope(user=request.user)[:HISTORY_LENGTH])
    return render(
        request,
        "enrollment/bulk_upload.html",
        {
            "form": form,
            "has_grupos": form.fields["grupo"].queryset.exists(),
            "history": history,
            "max_rows": settings.AULA_BULK_MAX_ROWS,
        },
    )


@api.coordinator_required
@require_GET
def template_csv(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        bulk.template_csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="plantilla-inscripcion.csv"'},
    )


@api.coordinator_required
@require_GET
def template_xlsx(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        bulk.template_xlsx(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="plantilla-inscripcion.xlsx"'},
    )


def _render_preview(request, bulk_import, check, *, stalled: bool = False) -> HttpResponse:
    return render(
        request,
        "enrollment/bulk_preview.html",
        {
            "bulk_import": bulk_import,
            "check": check,
            "totals": check.counts(),
            "earlier": bulk.earlier_application(bulk_import),
            "stalled": stalled,
        },
    )


def _render_progress(request, bulk_import) -> HttpResponse:
    response = render(
        request,
        "enrollment/bulk_progress.html",
        {
            "bulk_import": bulk_import,
            "progress": bulk.progress_of(bulk_import),
            "refresh": PROGRESS_REFRESH,
        },
    )
    # Browsers treat this header as <meta http-equiv="refresh">: the page reloads itself
    # until the list is applied or failed.
    response["Refresh"] = str(PROGRESS_REFRESH)
    return response


def _render_result(request, bulk_import) -> HttpResponse:
    summary = bulk_import.summary or {}
    expires = summary.get("codes_expire_on")
    return render(
        request,
        "enrollment/bulk_result.html",
        {
            "bulk_import": bulk_import,
            "summary": summary,
            "sheet_available": bool(bulk_import.code_sheet)
            and not bulk.code_sheet_expired(bulk_import),
            "codes_expire_on": date.fromisoformat(expires) if expires else None,
        },
    )


@api.coordinator_required
@never_cache
@require_GET
def preview(request: HttpRequest, pk) -> HttpResponse:
    """The upload's page: its result once applied, its progress while queued or being
    applied, else its preview (checked now; after a failed application, with why)."""
    bulk_import = _import_or_404(request, pk)
    if bulk_import.applied_at is not None:
        return _render_result(request, bulk_import)
    stalled = bulk.is_stalled(bulk_import)
    if bulk_import.status in bulk.ACTIVE and not stalled:
        return _render_progress(request, bulk_import)
    check = bulk.preview_check(bulk_import, by=request.user)
    return _render_preview(request, bulk_import, check, stalled=stalled)


def _already_applied(request, bulk_import) -> None:
    messages.info(
        request,
        _("Esta lista ya se había aplicado el %(date)s. No se cambió nada.")
        % {"date": formats.date_format(timezone.localtime(bulk_import.applied_at))},
    )


@api.coordinator_required
@never_cache
@require_POST
def apply(request: HttpRequest, pk) -> HttpResponse:
    """Confirm the preview: the list is applied by a Celery task (eagerly, before this
    returns) and its page shows the progress, then the result."""
    bulk_import = _import_or_404(request, pk)
    if bulk_import.applied_at is not None:
        _already_applied(request, bulk_import)
    elif not bulk.request_apply(
        bulk_import=bulk_import,
        by=request.user,
        base_url=_base_url(request),
        queue=tasks.queue_apply,
    ):
        bulk_import.refresh_from_db()
        if bulk_import.applied_at is not None:
            _already_applied(request, bulk_import)
        else:
            messages.info(
                request, _("Esta lista ya se está aplicando. No hace falta confirmarla otra vez.")
            )
    return redirect("bulk:preview", pk=bulk_import.uuid)


@api.coordinator_required
@never_cache
@require_GET
def code_sheet(request: HttpRequest, pk) -> HttpResponse:
    bulk_import = _import_or_404(request, pk)
    if not bulk_import.code_sheet or bulk.code_sheet_expired(bulk_import):
        raise Http404
    applied_on = timezone.localtime(bulk_import.applied_at).strftime("%Y-%m-%d")
    filename = f"codigos-{slugify(bulk_import.grupo.name) or 'grupo'}-{applied_on}.pdf"
    accounts_api.record_access(
        request=request,
        action=accounts_api.AccessAction.CODE_SHEET,
        detail=f"{filename}, grupo {bulk_import.grupo}",
    )
    return private_file_response(
        bulk_import.code_sheet, filename=filename, content_type="application/pdf"
    )
