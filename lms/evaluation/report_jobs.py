"""The life of a quarterly report: who may see which (``reports_in_scope``), asking for
one (``request_report``), building its files (``build_report``, run by Celery), marking
it failed (``fail_report``) and the reports of the quarter just ended (Celery beat:
``request_quarter_reports``).

A report's scope is a sede, or the whole program (``sede`` None) which only program
administrators (``enrollment.view_all_sedes`` or superuser) see. Coordinators see the
reports of the sedes they coordinate, whoever asked for them: the figures are aggregates
with small groups hidden, the same for everyone who may see the sede.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import date
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.enrollment import api as enrollment_api
from lms.enrollment.read_models import Sede
from lms.evaluation import report
from lms.evaluation.figures import Period
from lms.evaluation.models import EvaluationReport, ReportLanguage, ReportStatus, quarter_bounds

logger = logging.getLogger(__name__)

# What a storage outage looks like (local disk, S3): the build task retries on these.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
LANGUAGE_CODES: dict[str, str] = {ReportLanguage.SPANISH: "es-mx", ReportLanguage.ENGLISH: "en"}


def sees_program(user: Any) -> bool:
    """Whether ``user`` may see (and ask for) the whole program's reports."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("enrollment.view_all_sedes"))
    )


def reports_in_scope(*, user: Any) -> QuerySet[EvaluationReport]:
    """The reports ``user`` may see: those of the sedes in their scope, and the program's
    for program administrators."""
    scope = Q(sede__in=enrollment_api.sedes_in_scope(user=user))
    if sees_program(user):
        scope |= Q(sede__isnull=True)
    return EvaluationReport.objects.filter(scope).select_related("sede")


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def previous_quarter(day: date) -> tuple[int, int]:
    """The last quarter that ended before ``day``."""
    year, quarter = quarter_of(day)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def request_report(
    *,
    sede: Sede | None,
    year: int,
    quarter: int,
    language: str,
    user: Any = None,
    rebuild: bool = True,
) -> tuple[EvaluationReport, bool]:
    """The report of ``sede`` (None: the program) for the quarter in ``language``, made
    pending if it is new, or (``rebuild``) if it was ready or failed: its files are rebuilt
    with today's figures and the old ones replaced once the new are stored. Returns the
    report and whether its build must be queued; the caller queues it on commit
    (``transaction.on_commit(partial(tasks.queue_report, report.pk))``). Scope is the
    caller's to check (the request form does)."""
    lookup = {"sede": sede, "year": year, "quarter": quarter, "language": language}
    try:
        with transaction.atomic():
            made, created = EvaluationReport.objects.get_or_create(
                **lookup, defaults={"requested_by": user}
            )
    except IntegrityError:  # asked twice at once: the other request made it
        made, created = EvaluationReport.objects.get(**lookup), False
    if created:
        return made, True
    if not rebuild or made.status == ReportStatus.PENDING:
        return made, False
    updated = (
        EvaluationReport.objects.filter(pk=made.pk)
        .exclude(status=ReportStatus.PENDING)
        .update(status=ReportStatus.PENDING, error="", requested_by=user)
    )
    made.refresh_from_db()
    return made, bool(updated)


def scope_label(sede: Sede | None) -> str:
    return sede.name if sede is not None else _("Todo el programa")


def figures_for(made: EvaluationReport) -> report.ReportFigures:
    """The report's figures, computed now (under the report's language)."""
    start, end = quarter_bounds(made.year, made.quarter)
    sedes = [made.sede] if made.sede is not None else list(Sede.objects.order_by("name"))
    return report.collect(
        sedes=sedes,
        scope_label=scope_label(made.sede),
        is_program=made.sede is None,
        period=Period(start=start, end=end),
        year=made.year,
        quarter=made.quarter,
    )


def render_files(made: EvaluationReport) -> tuple[bytes, bytes]:
    """The PDF and the CSV annex of a report, in its language."""
    with translation.override(LANGUAGE_CODES.get(made.language, settings.LANGUAGE_CODE)):
        figures = figures_for(made)
        pdf, annex = io.BytesIO(), io.BytesIO()
        report.write_pdf(figures, pdf)
        report.write_csv(figures, annex)
    return pdf.getvalue(), annex.getvalue()


def build_report(*, report_id: int) -> bool | None:
    """Build report ``report_id``'s PDF and CSV and store them under ``evaluacion/``.
    Idempotent: a report that is ready (or gone) is left alone and None returned.

    Both files are made in memory first, then stored; the row names them, and says
    ``listo``, only once both are stored. If the second cannot be stored the first is
    deleted, so a failure never leaves half a report. Storage errors propagate (the task
    retries); if two runs race, the first to finish wins and the other deletes its
    files. A rebuilt report's previous files are deleted once the new ones are in place.
    """
    made = EvaluationReport.objects.select_related("sede").filter(pk=report_id).first()
    if made is None or made.status == ReportStatus.DONE:
        return None
    started = time.monotonic()
    pdf_bytes, csv_bytes = render_files(made)
    old = (made.pdf.name, made.csv.name)
    stem = f"{made.uuid}-{int(time.time())}"
    made.pdf.save(f"{stem}.pdf", ContentFile(pdf_bytes), save=False)
    try:
        made.csv.save(f"{stem}.csv", ContentFile(csv_bytes), save=False)
    except BaseException:
        _delete_quietly(made, made.pdf.name)
        raise
    seconds = time.monotonic() - started
    won = EvaluationReport.objects.filter(pk=made.pk, status=ReportStatus.PENDING).update(
        status=ReportStatus.DONE,
        pdf=made.pdf.name,
        csv=made.csv.name,
        error="",
        finished_at=timezone.now(),
        seconds=seconds,
    )
    if not won:
        for name in (made.pdf.name, made.csv.name):
            _delete_quietly(made, name)
        return None
    for name in old:
        if name and name not in (made.pdf.name, made.csv.name):
            _delete_quietly(made, name)
    return True


def _delete_quietly(made: EvaluationReport, name: str) -> None:
    try:
        made.pdf.storage.delete(name)
    except STORAGE_ERRORS:
        logger.exception("No se pudo borrar el archivo %s del informe %s", name, made.uuid)


def fail_report(*, report_id: int, message: str | None = None) -> None:
    """Mark a pending report failed with a Spanish message for the reports page. A ready
    report stays ready, a failed one keeps its first message; files of an earlier build
    stay as they were (the page offers nothing to download until it is ready again)."""
    with translation.override(settings.LANGUAGE_CODE):
        message = message or _(
            "No se pudo preparar el informe. Pídalo de nuevo; si vuelve a pasar, avise a la "
            "administración de Aula."
        )
    EvaluationReport.objects.filter(pk=report_id, status=ReportStatus.PENDING).update(
        status=ReportStatus.FAILED, error=message, finished_at=timezone.now()
    )


def request_quarter_reports(*, today: date | None = None) -> list[int]:
    """The Spanish reports of the quarter that ended last, for the program and each active
    sede: made pending and queued (on commit) unless they exist already. Returns the ids
    queued. Safe to run twice."""
    from lms.evaluation import tasks

    year, quarter = previous_quarter(today or timezone.localdate())
    queued = []
    scopes: list[Sede | None] = [None, *Sede.objects.filter(active=True).order_by("name")]
    for sede in scopes:
        made, needs_build = request_report(
            sede=sede, year=year, quarter=quarter, language=ReportLanguage.SPANISH, rebuild=False
        )
        if needs_build:
            transaction.on_commit(partial(tasks.queue_report, made.pk))
            queued.append(made.pk)
    return queued
