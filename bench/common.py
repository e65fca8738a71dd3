"""What every benchmark shares: its own database and folders under bench/out/, and a
site prepared the way `make run` prepares one."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def configure(**environment: str) -> None:
    """Set the process up for Django: production-like settings (DEBUG off), its own
    SQLite file unless DATABASE_URL says otherwise. Call before importing Django."""
    sys.path.insert(0, str(ROOT))
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.base")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{OUT / 'bench.sqlite3'}")
    os.environ.setdefault("MEDIA_ROOT", str(OUT / "media"))
    os.environ.setdefault("STATIC_ROOT", str(OUT / "static"))
    os.environ.update(environment)
    os.environ["DJANGO_DEBUG"] = "false"


def prepare_site(*, static: bool = False) -> None:
    """django.setup(), migrate, bootstrap and the course library (only what is missing)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if static:
        call_command("collectstatic", "--noinput", verbosity=0)
    call_command("bootstrap", verbosity=0)
    call_command("library", "import", "--only-new", verbosity=0)


# --- PostgreSQL data sets and machine figures (bench/generate.py, bench/coordination.py) ---

BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/aula_bench"


def ensure_database(database_url: str | None = None) -> None:
    """Create the PostgreSQL database named by ``database_url`` (DATABASE_URL by default)
    if it does not exist yet (``createdb`` without the client tools). Call after
    ``configure``, before Django connects. Does nothing for SQLite."""
    from urllib.parse import unquote, urlsplit

    url = urlsplit(database_url or os.environ["DATABASE_URL"])
    if not url.scheme.startswith("postgres"):
        return
    import psycopg
    from psycopg import sql

    name = unquote(url.path.lstrip("/"))
    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=unquote(url.username or "postgres"),
        password=unquote(url.password or "") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def machine() -> str:
    """CPU count and model, RAM and the database engine, for the figures' footer."""
    cpus = os.cpu_count() or 0
    model = "?"
    ram_gb = 0.0
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(
                (line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")),
                "?",
            )
        with open("/proc/meminfo") as handle:
            kb = next(int(line.split()[1]) for line in handle if line.startswith("MemTotal"))
            ram_gb = kb / 1024 / 1024
    except OSError:
        pass
    from django.db import connection

    engine = connection.vendor
    if engine == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            engine = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    return f"machine: {cpus} CPU ({model}), {ram_gb:.1f} GB RAM; database: {engine}"


def reset_peak_rss() -> bool:
    """Reset the kernel's peak resident set size of this process (Linux), so
    ``peak_rss_mb`` then reports the peak since now. False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the sorted values fall (nearest rank), as
    bench/pages.py computes its p95."""
    return sorted_values[max(int(len(sorted_values) * fraction) - 1, 0)]
