"""How long the de-identified research export (``lms/exports/research.py``) takes on the
benchmark data set (bench/generate.py: 10,000 learners, ~100,000 enrollments), and what
it published: the generalisation chosen, the rows removed, the smallest group.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench .venv/bin/python bench/generate.py
    .venv/bin/python bench/research_export.py [--runs 3] [--k 5]

Prints the time of each run (reading, anonymising, writing the ZIP), the ZIP's size and
the peak memory of the process.
"""

import argparse
import csv
import io
import os
import statistics
import tempfile
import time
import zipfile
from collections import Counter

from common import BENCH_DATABASE_URL, configure, machine, prepare_site, reset_peak_rss, rss_mb

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
configure()


def smallest_group(archive: zipfile.ZipFile) -> tuple[int, int]:
    """The fewest distinct learners sharing the full combination of quasi-identifiers, in
    educandos.csv and in inscripciones.csv joined with educandos.csv."""
    learners = list(csv.DictReader(io.StringIO(archive.read("educandos.csv").decode())))
    qi = ["region", "tipo_de_sede"]
    by_pseudonym = {row["seudonimo"]: tuple(row[c] for c in qi) for row in learners}
    learner_groups = Counter(by_pseudonym.values())
    joined: dict[tuple, set] = {}
    for row in csv.DictReader(io.StringIO(archive.read("inscripciones.csv").decode())):
        key = by_pseudonym[row["seudonimo"]] + (
            row["curso"],
            row["periodo_inscripcion"],
            row["periodo_conclusion"],
        )
        joined.setdefault(key, set()).add(row["seudonimo"])
    return (
        min(learner_groups.values(), default=0),
        min((len(v) for v in joined.values()), default=0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--out", help="also keep the last ZIP at this path")
    args = parser.parse_args()
    prepare_site()
    from lms.exports import research

    times = []
    reset_peak_rss()
    for _run in range(args.runs):
        with tempfile.TemporaryFile() as out:
            started = time.perf_counter()
            published = research.write_zip(k=args.k, out=out)
            times.append(time.perf_counter() - started)
            size = out.tell()
            out.seek(0)
            with zipfile.ZipFile(out) as archive:
                package = archive.read("datapackage.json").decode()
                smallest = smallest_group(archive)
            if args.out:
                out.seek(0)
                with open(args.out, "wb") as kept:
                    kept.write(out.read())
    import json

    anonymisation = json.loads(package)["anonymisation"]
    print(f"research export, k = {args.k}, {args.runs} runs")
    print(f"  time: median {statistics.median(times):.2f} s (runs: "
          + ", ".join(f"{t:.2f}" for t in times) + ")")  # fmt: skip
    print(f"  learners published: {published:,} of {anonymisation['learners_total']:,}")
    print(f"  zip: {size / 1024:.0f} KiB; peak memory {rss_mb('VmHWM'):.0f} MB")
    for key, value in anonymisation.items():
        print(f"  {key}: {value}")
    print(f"  smallest group: {smallest[0]} learners (educandos), {smallest[1]} (joined)")
    print(machine())
    if args.out:
        print(f"kept: {args.out}")


if __name__ == "__main__":
    main()
