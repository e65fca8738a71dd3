"""The program evaluation pages (/coordinacion/evaluacion/), on the data set of
bench/generate.py: median and 95th-percentile server time of each page (Django test
client, no network; warm-up requests first), SQL queries per request and gzip size, as
the administrator (all sedes) and as the coordinator of the largest sede. The data set,
the people and the sign-in are bench/coordination.py's.

    .venv/bin/python bench/generate.py            # once (PostgreSQL aula_bench by default)
    .venv/bin/python bench/evaluation.py
    .venv/bin/python bench/evaluation.py --requests 10 --only sede --slow 3

Target (issue 16): every evaluation page under 300 ms with a constant number of queries.
Each page is timed "cold" (the cache emptied before each request, so its figures are
computed from the database) and "warm" (the figures the page keeps for twenty minutes;
beat computes the whole program's ahead, ``evaluation.warm_figures``).
"""

import argparse
import gzip
import os
import statistics
import time

from common import BENCH_DATABASE_URL, configure, machine, percentile, prepare_site

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
configure(ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS", "testserver"))

import coordination  # noqa: E402 - after configure(), which it would otherwise do itself

TARGET_MS = 300

PAGES = [
    ("evaluación", "admin", "/coordinacion/evaluacion/"),
    ("evaluación", "coordinator", "/coordinacion/evaluacion/"),
    ("evaluación sede", "admin", "/coordinacion/evaluacion/sede/{sede_key}/"),
    ("evaluación sede", "coordinator", "/coordinacion/evaluacion/sede/{sede_key}/"),
    ("evaluación grupo", "admin", "/coordinacion/evaluacion/grupo/{grupo_id}/"),
    ("evaluación grupo", "coordinator", "/coordinacion/evaluacion/grupo/{grupo_id}/"),
]


def measure_pages(args, ctx) -> None:
    """Each page twice over: "cold", the cache emptied before every timed request (the
    figures computed from the database), and "warm" (the figures kept by the page for
    twenty minutes, as a coordinator who reloads or follows a link gets them)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {}
    for who in ("coordinator", "admin"):
        clients[who] = Client()
        clients[who].force_login(ctx[who])
        coordination._second_step(clients[who], ctx[who])
    print(
        f"{'page':<18}{'as':<13}{'cold median':>12}{'cold p95':>9}{'warm median':>12}"
        f"{'warm p95':>9}{'queries':>8}{'gz KB':>7}  target (cold p95)"
    )
    for name, who, template in PAGES:
        if args.only and not any(o in name for o in args.only):
            continue
        url = template.format(**ctx)
        client = clients[who]
        response = client.get(url)
        if response.status_code != 200:
            print(f"{name:<18}{who:<13} status {response.status_code}  {url} — not measured")
            continue
        for _ in range(args.warmup):
            cache.clear()
            client.get(url)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries.captured_queries)
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[: args.slow]
        timings = {"cold": [], "warm": []}
        for kind in ("cold", "warm"):
            for _ in range(args.requests):
                if kind == "cold":
                    cache.clear()
                start = time.perf_counter()
                client.get(url)
                timings[kind].append((time.perf_counter() - start) * 1000)
            timings[kind].sort()
        cold, warm = timings["cold"], timings["warm"]
        size = len(gzip.compress(response.content)) / 1024
        p95 = percentile(cold, 0.95)
        verdict = "ok" if p95 < TARGET_MS else f"OVER {TARGET_MS} ms"
        print(
            f"{name:<18}{who:<13}{statistics.median(cold):>12.1f}{p95:>9.1f}"
            f"{statistics.median(warm):>12.1f}{percentile(warm, 0.95):>9.1f}"
            f"{query_count:>8}{size:>7.1f}  {verdict}"
        )
        for query in slowest:
            sql = " ".join(query["sql"].split())
            print(f"    {float(query['time']) * 1000:8.1f} ms  {sql[: args.sql_chars]}")
    print(
        f"as coordinator = {ctx['coordinator'].username} (sede {ctx['sede_key']}); as admin = "
        f"admin-bench (Administrador, all sedes); {args.requests} requests each, cold and "
        f"warm, after {args.warmup} warm-up; queries: of a cold request"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="requests before timing")
    parser.add_argument("--only", nargs="*", help="measure only pages whose name has this")
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

    logging.getLogger("axes").setLevel(logging.WARNING)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    print(coordination.dataset_line(connection))
    ctx = coordination.context_for_dataset()
    measure_pages(args, ctx)
    print(machine())


if __name__ == "__main__":
    main()
