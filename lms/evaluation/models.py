"""The quarterly evaluation reports: a PDF and its CSV annex, for one sede or for the
whole program, built by Celery (``tasks.build_report``) and kept in private storage."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lms.enrollment.read_models import Sede


class ReportLanguage(models.TextChoices):
    SPANISH = "es", _("Español")
    ENGLISH = "en", _("Inglés")


class ReportStatus(models.TextChoices):
    PENDING = "pendiente", _("Preparándose")
    DONE = "listo", _("Listo")
    FAILED = "fallo", _("Falló")


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of quarter ``quarter`` (1–4) of ``year``."""
    first_month = 3 * (quarter - 1) + 1
    start = date(year, first_month, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


class EvaluationReport(models.Model):
    """One quarter's report for one scope (a sede; the whole program when ``sede`` is
    None) in one language. Its files are private: only the views that check scope hand
    them out (``report_views``); nothing under ``evaluacion/`` is served as media.

    A scope, quarter and language has at most one report; asking again rebuilds it. The
    row is ``listo`` only once both files are stored, and then names both.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sede = models.ForeignKey(
        Sede,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("sede"),
        help_text=_("Vacía: todo el programa."),
    )
    year = models.PositiveSmallIntegerField(_("año"))
    quarter = models.PositiveSmallIntegerField(_("trimestre"))
    language = models.CharField(
        _("idioma"), max_length=2, choices=ReportLanguage.choices, default=ReportLanguage.SPANISH
    )
    status = models.CharField(
        _("estado"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    pdf = models.FileField(_("PDF"), upload_to="evaluacion/", max_length=200, blank=True)
    csv = models.FileField(_("anexo CSV"), upload_to="evaluacion/", max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pedido por"),
    )
    created_at = models.DateTimeField(_("pedido el"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminado el"), null=True, blank=True)
    seconds = models.FloatField(_("segundos de preparación"), null=True, blank=True)

    class Meta:
        verbose_name = _("informe de evaluación")
        verbose_name_plural = _("informes de evaluación")
        # The program's report first in each quarter, on SQLite and PostgreSQL alike.
        ordering = [
            "-year",
            "-quarter",
            F("sede__name").asc(nulls_first=True),
            "language",
            "-id",
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="evaluation_report_quarter"
            ),
            models.UniqueConstraint(
                fields=["sede", "year", "quarter", "language"],
                condition=Q(sede__isnull=False),
                name="evaluation_report_one_per_sede",
            ),
            models.UniqueConstraint(
                fields=["year", "quarter", "language"],
                condition=Q(sede__isnull=True),
                name="evaluation_report_one_for_program",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-T{self.quarter} {self.sede_id or 'programa'} {self.language}"

    @property
    def first_day(self) -> date:
        return quarter_bounds(self.year, self.quarter)[0]

    @property
    def last_day(self) -> date:
        return quarter_bounds(self.year, self.quarter)[1]

    @property
    def quarter_label(self) -> str:
        """ "2026-T3" (language-neutral; the PDF writes the quarter in words)."""
        return f"{self.year}-T{self.quarter}"

    def file_stem(self) -> str:
        """``aula-evaluacion-2026-T3-plaza-norte-es`` (the downloads' name)."""
        scope = self.sede.key if self.sede_id and self.sede else "programa"
        return f"aula-evaluacion-{self.quarter_label}-{scope}-{self.language}"
