"""Export jobs: large exports, built by Celery (``tasks.build_export``) into a file in
storage that the requester downloads later from their exports page."""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses import read_models as courses_models
from lms.certificates import api as certificates_api
from lms.enrollment import read_models as enrollment_models
from lms.exports import research
from lms.exports.files import WRITERS
from lms.exports.filters import ExportFilters
from lms.exports.models import ExportFormat, ExportJob, ExportKind, ExportStatus

logger = logging.getLogger(__name__)

# What a storage outage looks like (local disk, S3): the build task retries on these.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


def create_job(*, user, kind: str, fmt: str, filters: ExportFilters) -> ExportJob:
    """A pending job for ``user``. The caller queues its build once the row is committed
    (``transaction.on_commit(partial(tasks.queue_export, job.pk))``)."""
    return ExportJob.objects.create(
        requested_by=user, kind=kind, format=fmt, filters=filters.as_json()
    )


def create_research_job(*, user, k: int) -> ExportJob:
    """A pending research export (``research``) for a program administrator; queued like
    any other job. ``k`` is kept in the job's filters."""
    return ExportJob.objects.create(
        requested_by=user, kind=ExportKind.RESEARCH, format=ExportFormat.ZIP, filters={"k": k}
    )


def research_k(job: ExportJob) -> int:
    try:
        return int(job.filters.get("k", research.DEFAULT_K))
    except (TypeError, ValueError):
        return research.DEFAULT_K


def jobs_for(*, user, limit: int) -> list[ExportJob]:
    """The person's own jobs (never anyone else's, administrators included), newest first,
    each with ``summary``: its filters in words (``describe_filters``)."""
    jobs = list(ExportJob.objects.filter(requested_by=user)[:limit])
    summaries = describe_filters(jobs=jobs)
    for job in jobs:
        job.summary = summaries[job.pk]
    return jobs


def describe_filters(*, jobs: list[ExportJob]) -> dict[int, str]:
    """A short description of each job's filters. Names are looked up once for all
    jobs (at most three queries), and only within the person's scope."""
    parsed = {job.pk: ExportFilters.from_json(job.filters) for job in jobs}
    sede_ids = {f.sede_id for f in parsed.values() if f.sede_id}
    grupo_ids = {f.grupo_id for f in parsed.values() if f.grupo_id}
    curso_ids = {f.curso_id for f in parsed.values() if f.curso_id}
    sedes = grupos = cursos = {}
    if sede_ids:
        sedes = dict(
            enrollment_models.Sede.objects.filter(pk__in=sede_ids).values_list("pk", "name")
        )
    if grupo_ids:
        grupos = dict(
            enrollment_models.Grupo.objects.filter(pk__in=grupo_ids).values_list("pk", "name")
        )
    if curso_ids:
        cursos = dict(
            courses_models.CoursePage.objects.filter(pk__in=curso_ids).values_list("pk", "title")
        )
    summaries = {}
    for job in jobs:
        pk, f = job.pk, parsed[job.pk]
        if job.kind == ExportKind.RESEARCH:
            summaries[pk] = _("todo el programa, k = %(k)s") % {"k": research_k(job)}
            continue
        parts = []
        if f.desde:
            parts.append(_("desde %(date)s") % {"date": f.desde.isoformat()})
        if f.hasta:
            parts.append(_("hasta %(date)s") % {"date": f.hasta.isoformat()})
        if f.sede_id:
            parts.append(sedes.get(f.sede_id, "—"))
        if f.grupo_id:
            parts.append(grupos.get(f.grupo_id, "—"))
        if f.curso_id:
            parts.append(cursos.get(f.curso_id, "—"))
        summaries[pk] = ", ".join(parts) or _("sin filtros")
    return summaries


def _notify(job: ExportJob) -> None:
    """Tell the requester their file is ready (or could not be made), with a link to their
    exports page. Never raises: the job's outcome is already saved."""
    user = job.requested_by
    if not user.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "job": job,
            "name": user.public_name,
            "failed": job.status == ExportStatus.FAILED,
            "link": certificates_api.public_url(reverse("exports:jobs")),
            "keep_days": settings.AULA_EXPORT_KEEP_DAYS,
        }
        subject = " ".join(
            render_to_string("exports/email/export_ready_subject.txt", context).split()
        )
        body = render_to_string("exports/email/export_ready.txt", context)
        send_mail(subject, body, None, [user.email], fail_silently=True)


def build_job(*, job_id: int) -> int | None:
    """Build the file of export job ``job_id`` and store it under
    ``exportaciones/<uuid>.<ext>``. Idempotent: a job already done (or deleted) is left
    alone and returns None; otherwise returns the number of rows.

    The scope is the requester's *now*, not when they asked. Storage errors propagate
    (the task retries); the row is only marked done once its file is stored. If two
    runs race, the first to mark the job done wins and the other deletes its file.
    """
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status == ExportStatus.DONE:
        return None
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    )
    user = job.requested_by
    if not user.is_active:
        fail_job(
            job_id=job.pk,
            message=_("La cuenta que pidió este archivo está desactivada."),
            notify=False,
        )
        return None
    if job.kind == ExportKind.RESEARCH and not research.may_export(user):
        fail_job(
            job_id=job.pk,
            message=_("La cuenta que pidió este archivo ya no administra el programa."),
            notify=False,
        )
        return None
    filters = ExportFilters.from_json(job.filters)
    with tempfile.TemporaryFile() as temporary, translation.override(settings.LANGUAGE_CODE):
        if job.kind == ExportKind.RESEARCH:
            rows = research.write_zip(k=research_k(job), out=temporary)
        else:
            rows = WRITERS[ExportFormat(job.format)](
                kind=job.kind, user=user, filters=filters, out=temporary
            )
        temporary.seek(0)
        job.file.save(f"{job.uuid}.{job.format}", File(temporary), save=False)
    now = timezone.now()
    with transaction.atomic():
        won = (
            ExportJob.objects.filter(pk=job.pk)
            .exclude(status=ExportStatus.DONE)
            .update(
                status=ExportStatus.DONE, rows=rows, file=job.file.name, finished_at=now, error=""
            )
        )
    if not won:
        winner = ExportJob.objects.filter(pk=job.pk).values_list("file", flat=True).first()
        if winner != job.file.name:
            job.file.delete(save=False)
        return None
    job.status, job.rows, job.finished_at, job.error = ExportStatus.DONE, rows, now, ""
    _notify(job)
    return rows


def fail_job(*, job_id: int, message: str | None = None, notify: bool = True) -> None:
    """Mark a job failed with a Spanish message for the exports page (and tell the
    requester). A job already done stays done."""
    with translation.override(settings.LANGUAGE_CODE):
        message = message or _(
            "No se pudo preparar el archivo. Pídalo de nuevo; si vuelve a pasar, avise a la "
            "administración de Aula."
        )
    updated = (
        ExportJob.objects.filter(pk=job_id)
        .exclude(status=ExportStatus.DONE)
        .update(status=ExportStatus.FAILED, error=message, finished_at=timezone.now())
    )
    if updated and notify:
        job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
        _notify(job)


def delete_old_jobs(*, now: datetime | None = None) -> int:
    """Delete export jobs older than ``settings.AULA_EXPORT_KEEP_DAYS`` with their files,
    and files under ``exportaciones/`` that no job points to (left by a run that died
    after storing its file). Returns the number of jobs deleted. A file that cannot be
    deleted now (storage down) keeps its job for the next run."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AULA_EXPORT_KEEP_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).iterator():
        if job.file:
            try:
                job.file.delete(save=False)
            except STORAGE_ERRORS:
                logger.exception("No se pudo borrar el archivo de la exportación %s", job.uuid)
                continue
        job.delete()
        deleted += 1
    _delete_orphan_files(cutoff)
    return deleted


def _delete_orphan_files(cutoff: datetime) -> None:
    storage = ExportJob._meta.get_field("file").storage
    try:
        _folders, names = storage.listdir("exportaciones")
    except FileNotFoundError:  # no export was ever stored here
        return
    except (*STORAGE_ERRORS, NotImplementedError):
        logger.exception("No se pudo revisar la carpeta de exportaciones")
        return
    known = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    for name in names:
        path = f"exportaciones/{name}"
        if path in known:
            continue
        try:
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
        except (*STORAGE_ERRORS, NotImplementedError):
            logger.exception("No se pudo borrar el archivo huérfano %s", path)
