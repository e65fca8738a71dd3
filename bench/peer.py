"""Aula's lesson page against the closest Wagtail peer (wagtail-lms), in one run.

Both servers run the same way: gunicorn with 2 sync workers, DEBUG off, SQLite in WAL
mode (or Aula on PostgreSQL with DATABASE_URL), on 127.0.0.1. Each runs as it is
deployed: the peer with its own settings, Aula with its production settings (the cache
and sessions in Redis, ``AULA_PEER_REDIS_URL``, database 12; only the redirect to HTTPS
is off, as there is no proxy in front). Each serves a lesson of
about the same text size to an enrolled learner, and the peer kit's own ``bench.py``
measures both, one after the other: single-client median and p95, requests per second
with 8 concurrent clients, HTML size. The peer kit's ``queries.py`` counts the SQL of a
warm request on each side. Prints the ratio first, then each side's figures.

    ../shared/tools/peer-wagtail-lms/setup.sh          # once: the peer's venv and data
    .venv/bin/python bench/peer.py                     # Aula on SQLite (bench/out/)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench .venv/bin/python bench/peer.py

The machine is shared: compare within one run, never across runs.
"""

import argparse
import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import ROOT, configure, ensure_database, machine, prepare_site

KIT = Path(os.environ.get("PEER_KIT", ROOT.parent / "shared/tools/peer-wagtail-lms"))
PEER_DIR = Path(os.environ.get("PEER_DIR", "/tmp/peer-wagtail-lms"))  # noqa: S108 (the kit's own default)
LESSON_SLUG = "enviar-dinero-a-casa"  # about 2,500 characters of text, like the peer's

REDIS_URL = os.environ.get("AULA_PEER_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")

# The production settings with every variable they require (this process's and the
# server's: the session made here is read there, signed with the same secret).
configure(
    DJANGO_SETTINGS_MODULE="lms.settings.production",
    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    AULA_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode(),
    ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    AULA_PUBLIC_URL="https://aula.example.org",  # only printed on constancias
    EMAIL_URL="smtp+tls://aula:secreto@smtp.example.org:587",
    CACHE_URL=f"{REDIS_URL}/12",
    CELERY_BROKER_URL=f"{REDIS_URL}/11",
    SECURE_SSL_REDIRECT="false",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen) -> None:
    for _ in range(240):
        if process.poll() is not None:
            raise SystemExit(f"the server stopped: {url}")
        try:
            urllib.request.urlopen(url, timeout=2)  # noqa: S310 (our own 127.0.0.1 URL)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"no answer from {url}")


def _bench(url: str, path: str, cookie: str, expect: str, label: str, seconds: int) -> dict:
    out = subprocess.run(  # noqa: S603 (our own arguments)
        [sys.executable, str(KIT / "bench.py"), url, path, "--cookie", cookie,
         "--expect", expect, "--label", label, "-t", str(seconds)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _aula_session() -> tuple[str, str]:
    """A session cookie of an educanda enrolled in the lesson's course, and its path."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from courses.read_models import LessonPage
    from lms.enrollment import api as enrollment_api

    lesson = LessonPage.objects.get(slug=LESSON_SLUG)
    learner, _created = get_user_model().objects.get_or_create(username="bench-peer")
    course = lesson.get_parent().specific
    enrollment_api.enroll(user=learner, course=course)
    client = Client()
    client.force_login(learner)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}", (
        lesson.url
    )


def _aula_queries(path: str) -> int:
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-peer"))
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries.captured_queries)


def _peer_on_postgres(peer_python: Path) -> dict[str, str]:
    """The peer's environment for PostgreSQL (``peer_settings_postgres.py``: the kit's
    settings with only DATABASES changed), its database created, migrated and seeded by the
    kit's own ``seed.py`` (safe to run again), psycopg added to its venv when missing."""
    from urllib.parse import urlsplit, urlunsplit

    aula_url = urlsplit(os.environ["DATABASE_URL"])
    peer_url = urlunsplit(aula_url._replace(path="/aula_peer_wagtail_lms", query=""))
    ensure_database(peer_url)
    environment = {
        "DJANGO_SETTINGS_MODULE": "peer_settings_postgres",
        "PEER_DATABASE_URL": peer_url,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(KIT)]),
    }
    run = {"check": True, "capture_output": True, "env": {**os.environ, **environment}}
    run["env"].pop("DATABASE_URL", None)
    probe = [str(peer_python), "-c", "import psycopg"]
    found = subprocess.run(probe, check=False, capture_output=True)  # noqa: S603
    if found.returncode:
        subprocess.run(  # noqa: S603
            [str(peer_python), "-m", "pip", "install", "-q", "psycopg[binary]>=3.2,<4"], **run
        )
    migrate = [str(peer_python), "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, cwd=KIT, **run)  # noqa: S603
    subprocess.run([str(peer_python), "seed.py"], cwd=KIT, **run)  # noqa: S603
    return environment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-t", "--seconds", type=int, default=10, help="concurrent phase")
    parser.add_argument(
        "--peer-on-sqlite",
        action="store_true",
        help="with Aula on PostgreSQL, keep the peer on its kit's SQLite file",
    )
    args = parser.parse_args()
    peer_python = PEER_DIR / "venv/bin/python"
    if not peer_python.exists():
        raise SystemExit(f"run {KIT / 'setup.sh'} first (the peer's venv is not in {PEER_DIR})")

    ensure_database()  # on PostgreSQL: created when missing
    prepare_site(static=True)
    cookie, path = _aula_session()
    aula_queries = _aula_queries(path)

    from django.db import connection

    peer_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "peerproj.settings",
        "PYTHONPYCACHEPREFIX": str(PEER_DIR / "pycache"),
        "PEER_DIR": str(PEER_DIR),
    }
    peer_env.pop("DATABASE_URL", None)
    peer_database = "sqlite"
    if connection.vendor == "postgresql" and not args.peer_on_sqlite:
        peer_env.update(_peer_on_postgres(peer_python))
        peer_database = "postgresql"
    session = subprocess.run(  # noqa: S603
        [str(peer_python), str(KIT / "session.py")],
        check=True, capture_output=True, text=True, env=peer_env,
    ).stdout.split()  # fmt: skip
    peer_cookie, peer_path = session[0], session[1]
    peer_queries = json.loads(
        subprocess.run(  # noqa: S603
            [str(peer_python), str(KIT / "queries.py"), peer_path],
            check=True, capture_output=True, text=True, env=peer_env, cwd=KIT,
        ).stdout.strip().splitlines()[-1]
    )  # fmt: skip

    aula_port, peer_port = _free_port(), _free_port()
    aula = subprocess.Popen(  # noqa: S603
        [str(ROOT / ".venv/bin/gunicorn"), "lms.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{aula_port}", "--chdir", str(ROOT)],
        env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    peer = subprocess.Popen(  # noqa: S603
        [str(PEER_DIR / "venv/bin/gunicorn"), "peerproj.wsgi:application", "--chdir", str(KIT),
         "--workers", "2", "--bind", f"127.0.0.1:{peer_port}"],
        env=peer_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait(f"http://127.0.0.1:{aula_port}/", aula)
        _wait(f"http://127.0.0.1:{peer_port}/", peer)
        figures_peer = _bench(
            f"http://127.0.0.1:{peer_port}", peer_path, peer_cookie, "lms-lesson__body",
            "wagtail-lms-0.11.1", args.seconds,
        )  # fmt: skip
        figures_aula = _bench(
            f"http://127.0.0.1:{aula_port}", path, cookie, '<article class="lesson">', "aula",
            args.seconds,
        )  # fmt: skip
    finally:
        for process in (aula, peer):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    ratio = figures_aula["conc_rps"] / figures_peer["conc_rps"]
    print(f"requests/s, 8 clients: Aula / wagtail-lms = {ratio:.2f}×")
    print(
        f"single client median: Aula {figures_aula['seq_median_ms']:.1f} ms, "
        f"wagtail-lms {figures_peer['seq_median_ms']:.1f} ms"
    )
    print(f"queries (warm): Aula {aula_queries}, wagtail-lms {peer_queries.get('queries_warm')}")
    for figures in (figures_aula, figures_peer):
        print(json.dumps(figures))
    print(f"{machine()}; Aula's database: {connection.vendor}; the peer's: {peer_database}")


if __name__ == "__main__":
    main()
