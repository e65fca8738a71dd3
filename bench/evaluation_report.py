"""Quarterly evaluation report generation time on the data set of bench/generate.py.

Builds the report's PDF and CSV annex (``lms.evaluation.report_jobs.render_files``: the
figures, then both files, in memory; nothing is stored and no row is written) for the
whole program and for the largest sede, for a quarter of the data set, and prints the
seconds (figures and files apart), SQL queries and file sizes.

    .venv/bin/python bench/generate.py            # once (PostgreSQL aula_bench by default)
    .venv/bin/python bench/evaluation_report.py
    .venv/bin/python bench/evaluation_report.py --year 2026 --quarter 3 --repeat 3 --all
"""

import argparse
import io
import os
import statistics
import time

from common import BENCH_DATABASE_URL, configure, machine

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
configure()


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, Max
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone, translation

    from lms.enrollment.models import Enrollment, Sede
    from lms.evaluation import report, report_jobs
    from lms.evaluation.models import EvaluationReport

    parser = argparse.ArgumentParser()
    parser.add_argument("--year", type=int)
    parser.add_argument("--quarter", type=int)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="also every sede's, in a row")
    args = parser.parse_args()
    if args.year and args.quarter:
        year, quarter = args.year, args.quarter
    else:
        latest = Enrollment.objects.aggregate(last=Max("enrolled_at"))["last"] or timezone.now()
        year, quarter = report_jobs.previous_quarter(timezone.localtime(latest).date())
    largest = Sede.objects.annotate(n=Count("grupos__memberships")).order_by("-n").first()
    print(
        f"learners: {Enrollment.objects.values('user').distinct().count()}, "
        f"enrollments: {Enrollment.objects.count()}, sedes: {Sede.objects.count()}; "
        f"quarter {year}-T{quarter}"
    )
    cases = [
        ("programa", None, "es"),
        (f"sede {largest.name}", largest, "es"),
        ("programa", None, "en"),
    ]
    for name, sede, language in cases:
        made = EvaluationReport(sede=sede, year=year, quarter=quarter, language=language)
        figures_s, files_s, totals = [], [], []
        for _ in range(args.repeat):
            with translation.override(report_jobs.LANGUAGE_CODES[language]):
                start = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    figures = report_jobs.figures_for(made)
                middle = time.perf_counter()
                pdf, annex = io.BytesIO(), io.BytesIO()
                report.write_pdf(figures, pdf)
                rows = report.write_csv(figures, annex)
                end = time.perf_counter()
            figures_s.append(middle - start)
            files_s.append(end - middle)
            totals.append(end - start)
        print(
            f"{name} ({language}): total median {statistics.median(totals):.2f} s "
            f"(figures {statistics.median(figures_s):.2f} s, {len(queries)} queries; "
            f"PDF + CSV {statistics.median(files_s):.2f} s); "
            f"PDF {len(pdf.getvalue()) / 1024:.0f} KB, CSV {rows} rows"
        )
    if args.all:
        # What the beat does at the end of a quarter: the program and every active sede.
        start = time.perf_counter()
        scopes = [None, *Sede.objects.filter(active=True)]
        for sede in scopes:
            made = EvaluationReport(sede=sede, year=year, quarter=quarter, language="es")
            report_jobs.render_files(made)
        print(
            f"all {len(scopes)} reports of the quarter, one after another: "
            f"{time.perf_counter() - start:.1f} s"
        )
    print(machine())


if __name__ == "__main__":
    main()
