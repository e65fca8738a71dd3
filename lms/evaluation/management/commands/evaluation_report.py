"""Build quarterly evaluation reports now, in this process (no worker needed):

    manage.py evaluation_report         # last quarter: the program and every active sede
    manage.py evaluation_report --year 2026 --quarter 3 --sede plaza-norte --idioma en
    manage.py evaluation_report --programa

An existing report is rebuilt with today's figures. Prints each report's state and
files.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lms.enrollment.read_models import Sede
from lms.evaluation import report_jobs
from lms.evaluation.models import EvaluationReport, ReportLanguage


class Command(BaseCommand):
    help = "Prepara informes trimestrales de evaluación (PDF y anexo CSV) en este proceso."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="año (por omisión, el del último trimestre)")
        parser.add_argument("--quarter", type=int, choices=[1, 2, 3, 4], help="trimestre")
        parser.add_argument("--sede", action="append", default=[], help="clave de una sede")
        parser.add_argument("--programa", action="store_true", help="el de todo el programa")
        parser.add_argument(
            "--idioma", default=ReportLanguage.SPANISH, choices=list(ReportLanguage.values)
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year, quarter = report_jobs.previous_quarter(timezone.localdate())
        if options["year"] or options["quarter"]:
            if not (options["year"] and options["quarter"]):
                raise CommandError("Indique --year y --quarter juntos.")
            year, quarter = options["year"], options["quarter"]
        scopes: list[Sede | None] = []
        if options["programa"]:
            scopes.append(None)
        for key in options["sede"]:
            sede = Sede.objects.filter(key=key).first()
            if sede is None:
                raise CommandError(f"No hay ninguna sede con la clave «{key}».")
            scopes.append(sede)
        if not scopes:
            scopes = [None, *Sede.objects.filter(active=True).order_by("name")]
        for sede in scopes:
            made, _queue = report_jobs.request_report(
                sede=sede, year=year, quarter=quarter, language=options["idioma"]
            )
            try:
                report_jobs.build_report(report_id=made.pk)
            except Exception as exc:
                report_jobs.fail_report(report_id=made.pk)
                self.stderr.write(f"{made.file_stem()}: falló ({exc})")
                continue
            made = EvaluationReport.objects.get(pk=made.pk)
            self.stdout.write(
                f"{made.file_stem()}: {made.get_status_display()} en {made.seconds or 0:.1f} s "
                f"({made.pdf.name}, {made.csv.name})"
            )
