"""Coordinator pages and the enrollments export, on the data set of bench/generate.py.

Pages: median and 95th-percentile server time (Django test client, no network; warm-up
requests first), SQL queries per request and gzip size, as the coordinator of the largest
sede and as the administrator (all sedes). A page that answers 404 is not there yet and is
skipped with a note; add pages to ``PAGES``.

Export: every enrollment as the administrator, as CSV: ``exports.write_csv`` (seconds,
rows/s, resident-memory growth, and in a second run the tracemalloc peak), then the view
``POST /coordinacion/exportar/`` streamed and consumed chunk by chunk (never joined).

    .venv/bin/python bench/generate.py            # once (PostgreSQL aula_bench by default)
    .venv/bin/python bench/coordination.py
    .venv/bin/python bench/coordination.py --requests 10 --only home --no-export
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other .venv/bin/python bench/coordination.py

Targets (issue 5): each dashboard under 300 ms with a constant number of queries; 100,000
exported rows in under 15 s with bounded memory.
"""

import argparse
import gzip
import os
import statistics
import time
import tracemalloc

from common import (
    BENCH_DATABASE_URL,
    configure,
    machine,
    percentile,
    prepare_site,
    reset_peak_rss,
    rss_mb,
)

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
configure(ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS", "testserver"))

DASHBOARD_TARGET_MS = 300
EXPORT_TARGET_S = 15

# (name, who: "coordinator" | "admin", path with {placeholders} from ``context``). Each
# page is measured for each person listed; a 404 means "not built yet" and is skipped.
PAGES = [
    ("home", "coordinator", "/coordinacion/"),
    ("home", "admin", "/coordinacion/"),
    ("sede", "coordinator", "/coordinacion/sede/{sede_key}/"),
    ("sede", "admin", "/coordinacion/sede/{sede_key}/"),
    ("grupo", "coordinator", "/coordinacion/grupo/{grupo_id}/"),
    ("curso", "coordinator", "/coordinacion/curso/{course_id}/"),
    ("curso", "admin", "/coordinacion/curso/{course_id}/"),
    ("en riesgo", "coordinator", "/coordinacion/en-riesgo/"),
    ("en riesgo", "admin", "/coordinacion/en-riesgo/"),
    ("educando", "coordinator", "/coordinacion/educando/{learner_id}/"),
    ("exportar (form)", "admin", "/coordinacion/exportar/"),
    ("api inscripciones", "admin", "/api/v1/coordinacion/inscripciones/"),
]


def context_for_dataset() -> dict:
    """Who and what to ask for: the largest sede, its largest grupo and its coordinator,
    the course with most enrollments there, and the learner of that sede with the most
    enrollments (and an attempt at a final exam, if any has one)."""
    from django.db.models import Count

    from lms.accounts import read_models as accounts_models
    from lms.assessments import read_models as assessments_models
    from lms.enrollment import read_models as enrollment_models

    sede = (
        enrollment_models.Sede.objects.filter(key__in=_dataset_sede_keys())
        .annotate(size=Count("grupos__memberships"))
        .order_by("-size", "key")
        .first()
    )
    if sede is None:
        raise SystemExit("No data set here: run bench/generate.py first (same DATABASE_URL).")
    grupo = (
        enrollment_models.Grupo.objects.filter(sede=sede)
        .annotate(size=Count("memberships"))
        .order_by("-size", "pk")
        .first()
    )
    in_sede = enrollment_models.Membership.objects.filter(grupo__sede=sede).values("user_id")
    course_id = (
        enrollment_models.Enrollment.objects.filter(user_id__in=in_sede)
        .values("course_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "course_id")
        .values_list("course_id", flat=True)
        .first()
    )
    tested = assessments_models.Attempt.objects.filter(user_id__in=in_sede).values("user_id")
    learner_id = (
        enrollment_models.Enrollment.objects.filter(user_id__in=tested)
        .values("user_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "user_id")
        .values_list("user_id", flat=True)
        .first()
    )
    users = accounts_models.User.objects
    return {
        "sede": sede,
        "sede_key": sede.key,
        "grupo_id": grupo.pk,
        "course_id": course_id,
        "learner_id": learner_id,
        "coordinator": users.get(username=f"coordina-{sede.key}"),
        "admin": users.get(username="admin-bench"),
    }


def _dataset_sede_keys() -> list[str]:
    from generate import SEDES

    return [s[0] for s in SEDES]


def dataset_line(connection) -> str:
    from generate import DATASET, marker_read

    marker = marker_read(connection)
    if marker is None:
        raise SystemExit("No data set here: run bench/generate.py first (same DATABASE_URL).")
    p, s = marker["params"], marker["summary"]
    return (
        f"data set {DATASET!r} (seed {p['seed']}, scale {p['scale']}): {s['sedes']} sedes, "
        f"{s['grupos']} grupos, {s['learners']:,} learners, {s['courses']} courses, "
        f"{s['enrollments']:,} enrollments ({s['completion_rate']} completed), "
        f"{s['learning_events']:,} events, {s['certificates']:,} certificates"
    )


def measure_pages(args, ctx) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for who in ("coordinator", "admin"):
        clients[who] = Client()
        clients[who].force_login(ctx[who])
        _second_step(clients[who], ctx[who])
    print(
        f"{'page':<19}{'as':<13}{'status':>6}{'median ms':>10}{'p95 ms':>9}"
        f"{'queries':>9}{'HTML gz KB':>11}  target"
    )
    skipped = []
    for name, who, template in PAGES:
        if args.only and not any(o in name for o in args.only):
            continue
        url = template.format(**ctx)
        client = clients[who]
        response = client.get(url)
        if response.status_code == 404:
            skipped.append(f"{name} ({url})")
            continue
        if response.status_code != 200:
            print(f"{name:<19}{who:<13}{response.status_code:>6}  {url} — not measured")
            continue
        for _ in range(args.warmup - 1):
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        # Read now: the next request clears the connection's query log.
        query_count = len(queries.captured_queries)
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
        slowest = slowest[: args.slow]
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        median, p95 = statistics.median(timings), percentile(timings, 0.95)
        size = len(gzip.compress(response.content)) / 1024
        verdict = "ok" if p95 < DASHBOARD_TARGET_MS else f"OVER {DASHBOARD_TARGET_MS} ms"
        print(
            f"{name:<19}{who:<13}{response.status_code:>6}{median:>10.1f}{p95:>9.1f}"
            f"{query_count:>9}{size:>11.1f}  {verdict}"
        )
        for query in slowest:
            sql = " ".join(query["sql"].split())
            print(f"    {float(query['time']) * 1000:8.1f} ms  {sql[: args.sql_chars]}")
    if skipped:
        print("not there yet (404), skipped: " + ", ".join(skipped))
    print(
        f"as coordinator = {ctx['coordinator'].username} (sede {ctx['sede_key']}); as admin = "
        f"admin-bench (Administrador, all sedes); {args.requests} requests each after "
        f"{args.warmup} warm-up"
    )


def _second_step(client, user) -> None:
    """Staff pass the second sign-in step as tests/helpers.log_in does (coordinators and
    administrators are sent to set it up otherwise, and every page answers 302)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lms.accounts import two_factor

    if two_factor.requires_second_factor(user):
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


class CountingSink:
    """A binary file that only counts what is written to it."""

    def __init__(self):
        self.bytes = 0
        self.lines = 0

    def write(self, data) -> int:
        if isinstance(data, str):
            data = data.encode()
        self.bytes += len(data)
        self.lines += data.count(b"\n")
        return len(data)

    def flush(self) -> None:
        pass


def _memory_line(rss_before: float, peak: float | None, traced: int | None) -> str:
    parts = []
    if peak is not None:
        parts.append(f"peak RSS +{peak - rss_before:.0f} MB")
    if traced is not None:
        parts.append(f"tracemalloc peak {traced / 1024 / 1024:.1f} MB")
    return ", ".join(parts)


def measure_export(args, ctx) -> None:
    try:
        from lms.exports import api as exports
        from lms.exports.api import ExportFormat, ExportKind
    except ImportError:
        print("export not available yet")
        return
    admin = ctx["admin"]
    kind = ExportKind.ENROLLMENTS
    print(f"export of all enrollments as CSV, as the administrator (kind {kind.value!r}):")

    count_rows = getattr(exports, "count_rows", None)
    rows_expected = None
    if count_rows is not None:
        start = time.perf_counter()
        rows_expected = count_rows(kind=kind, user=admin)
        print(f"  count_rows: {rows_expected:,} rows in {time.perf_counter() - start:.2f} s")

    write_csv = getattr(exports, "write_csv", None)
    if write_csv is None:
        print("  write_csv: not available yet")
    else:
        for traced in (False, True):
            sink = CountingSink()
            before = rss_mb()
            can_peak = reset_peak_rss()
            if traced:
                tracemalloc.start()
            start = time.perf_counter()
            rows = write_csv(kind=kind, user=admin, filters=None, out=sink)
            elapsed = time.perf_counter() - start
            traced_peak = None
            if traced:
                _current, traced_peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            peak = rss_mb("VmHWM") if can_peak else None
            label = "write_csv (tracemalloc on)" if traced else "write_csv"
            figures = f"{rows:,} rows in {elapsed:.2f} s"
            if not traced:
                verdict = "ok" if elapsed < EXPORT_TARGET_S else f"OVER {EXPORT_TARGET_S} s"
                figures += f" ({rows / elapsed:,.0f} rows/s; target < {EXPORT_TARGET_S} s: "
                figures += f"{verdict})"
            print(
                f"  {label}: {figures}, {sink.bytes / 1024 / 1024:.1f} MB of CSV; "
                + _memory_line(before, peak, traced_peak)
            )

    if args.xlsx and getattr(exports, "write_xlsx", None):
        import tempfile

        with tempfile.TemporaryFile() as out:
            before = rss_mb()
            can_peak = reset_peak_rss()
            start = time.perf_counter()
            rows = exports.write_xlsx(kind=kind, user=admin, filters=None, out=out)
            elapsed = time.perf_counter() - start
            size = out.tell() / 1024 / 1024
        peak = rss_mb("VmHWM") if can_peak else None
        print(
            f"  write_xlsx: {rows:,} rows in {elapsed:.2f} s, {size:.1f} MB; "
            + _memory_line(before, peak, None)
        )

    measure_export_view(ctx, rows_expected, ExportFormat.CSV.value, kind.value)


def measure_export_view(ctx, rows_expected, fmt: str, kind: str) -> None:
    """POST /coordinacion/exportar/ as the administrator, with the streaming limit raised
    above the row count (the default sends this many rows to a Celery job instead)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(ctx["admin"])
    _second_step(client, ctx["admin"])
    url = "/coordinacion/exportar/"
    if client.get(url).status_code == 404:
        print(f"  POST {url}: not there yet (404)")
        return
    limit = max(settings.AULA_EXPORT_STREAM_MAX_ROWS, (rows_expected or 0) + 1)
    data = {"tipo": kind, "formato": fmt}
    with override_settings(AULA_EXPORT_STREAM_MAX_ROWS=limit):
        before = rss_mb()
        can_peak = reset_peak_rss()
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.post(url, data)
            if not getattr(response, "streaming", False):
                print(
                    f"  POST {url} {data}: status {response.status_code}, not streamed — "
                    "not measured"
                )
                return
            first_byte = None
            sink = CountingSink()
            chunks = 0
            for chunk in response.streaming_content:
                if first_byte is None:
                    first_byte = time.perf_counter() - start
                sink.write(chunk)
                chunks += 1
            response.close()
            elapsed = time.perf_counter() - start
        query_count = len(queries.captured_queries)
    peak = rss_mb("VmHWM") if can_peak else None
    rows = sink.lines - 1  # minus the header (no field of this export has a line break)
    verdict = "ok" if elapsed < EXPORT_TARGET_S else f"OVER {EXPORT_TARGET_S} s"
    print(
        f"  POST {url} (streamed, AULA_EXPORT_STREAM_MAX_ROWS raised to {limit:,}): "
        f"{rows:,} rows, {sink.bytes / 1024 / 1024:.1f} MB in {chunks:,} chunks; first byte "
        f"{(first_byte or 0) * 1000:.0f} ms, all {elapsed:.2f} s "
        f"(target < {EXPORT_TARGET_S} s: {verdict}); {query_count} queries; "
        + _memory_line(before, peak, None)
    )
    default = settings.AULA_EXPORT_STREAM_MAX_ROWS
    if rows_expected is not None and rows_expected > default:
        print(
            f"  (with the default AULA_EXPORT_STREAM_MAX_ROWS={default:,} these "
            f"{rows_expected:,} rows go to a Celery export job instead of streaming)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="requests before timing")
    parser.add_argument("--only", nargs="*", help="measure only pages whose name has this")
    parser.add_argument("--no-export", action="store_true", help="skip the export")
    parser.add_argument("--xlsx", action="store_true", help="also time write_xlsx")
    parser.add_argument(
        "--slow", type=int, default=0, metavar="N", help="print each page's N slowest queries"
    )
    parser.add_argument("--sql-chars", type=int, default=400, help="SQL shown per slow query")
    args = parser.parse_args()
    args.warmup = max(args.warmup, 1)

    prepare_site(static=True)  # migrations of pages built since the data set, static files
    import logging

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection

    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per force_login otherwise

    # One connection, as a production process with persistent connections keeps.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    print(dataset_line(connection))
    ctx = context_for_dataset()
    measure_pages(args, ctx)
    if not args.no_export:
        measure_export(args, ctx)
    print(machine())


if __name__ == "__main__":
    main()
