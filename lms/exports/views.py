"""The exports page of coordinators: ask for a file, download it now or later.

Small exports are answered in the request (CSV streamed, XLSX from a temporary file);
larger ones become an ``ExportJob`` built by Celery, and the coordinator downloads the
file from their list of files. Only the person who asked may download a job's file.
"""

from __future__ import annotations

import tempfile
from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.exports import files, jobs, queries, research, tasks
from lms.exports.filters import ExportFilters, ExportForm, ResearchForm
from lms.exports.models import ExportFormat, ExportJob, ExportKind, ExportStatus
from lms.files import private_file_response

JOBS_SHOWN = 50


def _attachment(response, name: str):
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _respond_now(*, kind: str, fmt: str, user, filters: ExportFilters):
    name = files.filename(kind=kind, fmt=fmt)
    if fmt == ExportFormat.CSV:
        response = StreamingHttpResponse(
            files.stream_csv(kind=kind, user=user, filters=filters),
            content_type=files.CONTENT_TYPES[ExportFormat.CSV],
        )
        return _attachment(response, name)
    # Written to a temporary file first (an XLSX is a zip: it cannot be streamed as it
    # is built); openpyxl's write-only mode keeps memory bounded. The file is removed
    # when the response closes it.
    temporary = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    try:
        files.write_xlsx(kind=kind, user=user, filters=filters, out=temporary)
    except BaseException:
        temporary.close()
        raise
    temporary.seek(0)
    return FileResponse(
        temporary,
        as_attachment=True,
        filename=name,
        content_type=files.CONTENT_TYPES[ExportFormat.XLSX],
    )


def _stream_max(fmt: str) -> int:
    # An XLSX cannot be streamed (a zip written at the end) and takes about four times as
    # long as a CSV to build: its in-request limit is lower.
    if fmt == ExportFormat.XLSX:
        return min(settings.AULA_EXPORT_STREAM_MAX_ROWS, settings.AULA_EXPORT_XLSX_MAX_ROWS)
    return settings.AULA_EXPORT_STREAM_MAX_ROWS


@never_cache
@require_http_methods(["GET", "POST"])
@enrollment_api.coordinator_required
def export_form(request):
    """Choose what to export. Up to ``AULA_EXPORT_STREAM_MAX_ROWS`` rows (CSV, streamed)
    or ``AULA_EXPORT_XLSX_MAX_ROWS`` (XLSX, built in a temporary file) the file comes back
    at once; more, and it is prepared in the background."""
    if request.method == "POST":
        form = ExportForm(request.POST, user=request.user)
        if form.is_valid():
            kind, fmt = form.cleaned_data["tipo"], form.cleaned_data["formato"]
            filters = form.filters()
            rows = queries.count_rows(kind=kind, user=request.user, filters=filters)
            accounts_api.record_access(
                request=request,
                action=accounts_api.AccessAction.EXPORT,
                detail=f"{kind}, {fmt}, {rows} filas, filtros {filters.as_json()}",
            )
            if rows <= _stream_max(fmt):
                return _respond_now(kind=kind, fmt=fmt, user=request.user, filters=filters)
            job = jobs.create_job(user=request.user, kind=kind, fmt=fmt, filters=filters)
            transaction.on_commit(partial(tasks.queue_export, job.pk))
            messages.success(request, _preparing_message(request.user))
            return redirect("exports:jobs")
    else:
        form = ExportForm(user=request.user)
    return TemplateResponse(
        request,
        "exports/export_form.html",
        {
            "form": form,
            "stream_max": settings.AULA_EXPORT_STREAM_MAX_ROWS,
            "xlsx_max": _stream_max(ExportFormat.XLSX),
            "may_research": research.may_export(request.user),
        },
    )


@never_cache
@require_GET
@enrollment_api.coordinator_required
def job_list(request):
    """The person's own files (never anyone else's, administrators included)."""
    own = jobs.jobs_for(user=request.user, limit=JOBS_SHOWN)
    return TemplateResponse(
        request,
        "exports/export_jobs.html",
        {
            "jobs": own,
            "keep_days": settings.AULA_EXPORT_KEEP_DAYS,
            "waiting": any(
                job.status in (ExportStatus.PENDING, ExportStatus.RUNNING) for job in own
            ),
        },
    )


@never_cache
@require_GET
@enrollment_api.coordinator_required
def job_download(request, job_uuid):
    """The file of one of the person's jobs: 404 for anyone else."""
    job = get_object_or_404(ExportJob, uuid=job_uuid, requested_by=request.user)
    if job.kind == ExportKind.RESEARCH and not research.may_export(request.user):
        raise PermissionDenied  # no longer a program administrator
    if job.status != ExportStatus.DONE or not job.file:
        messages.info(request, _("Ese archivo todavía no está listo."))
        return redirect("exports:jobs")
    name = files.filename(kind=job.kind, fmt=job.format, day=timezone.localdate(job.created_at))
    accounts_api.record_access(
        request=request,
        action=accounts_api.AccessAction.EXPORT_DOWNLOAD,
        detail=f"{name}, {job.rows} filas",
    )
    try:
        return private_file_response(
            job.file, filename=name, content_type=files.CONTENT_TYPES[ExportFormat(job.format)]
        )
    except FileNotFoundError:
        messages.error(request, _("Ese archivo ya no está disponible. Pídalo de nuevo, por favor."))
        return redirect("exports:jobs")


def _preparing_message(user) -> str:
    if user.email:
        return _(
            "Su archivo se está preparando; le avisaremos a %(email)s cuando esté "
            "listo. También aparecerá en esta lista."
        ) % {"email": user.email}
    return _(
        "Su archivo se está preparando; le avisaremos en esta lista cuando esté "
        "listo. Vuelva en unos minutos."
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def research_form(request):
    """The de-identified research export (``research``), for program administrators only
    (coordinators of some sedes get 403: the file holds the whole program). Always
    prepared in the background, as a ZIP with a data dictionary."""
    if not research.may_export(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = ResearchForm(request.POST)
        if form.is_valid():
            k = form.cleaned_data["k"]
            accounts_api.record_access(
                request=request,
                action=accounts_api.AccessAction.EXPORT,
                detail=f"{ExportKind.RESEARCH}, k={k}",
            )
            job = jobs.create_research_job(user=request.user, k=k)
            transaction.on_commit(partial(tasks.queue_export, job.pk))
            messages.success(request, _preparing_message(request.user))
            return redirect("exports:jobs")
    else:
        form = ResearchForm()
    return TemplateResponse(
        request,
        "exports/research_form.html",
        {"form": form, "files": [research.LEARNERS_FILE, research.ENROLLMENTS_FILE]},
    )
