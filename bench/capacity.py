"""How many learners studying at once one machine holds: a load benchmark of a mixed
learner workload against gunicorn + PostgreSQL + Redis started the production way.

Each simulated learner, on average: opens a lesson every 90 s, sends a heartbeat batch
(two 30-second "progressed" events, as the lesson page's script does) every 60 s, submits
a practice quiz every 15 min (the browser then follows the redirect to the result page,
counted as "quiz result") and opens "Mis cursos" every 10 min. N learners make an
OPEN-loop load: requests arrive as a Poisson process at N × (1/90 + 1/60 + 1/900 + 1/600)
per second, in those proportions, whether or not the server keeps up; each latency is
measured from the request's scheduled time, so time spent queueing counts (no coordinated
omission). N steps up (``--start``, ``--step``) until a step has p95 ≥ 300 ms or any
error (a status other than the expected one, a heartbeat not accepted, a timeout or a
connection error); then ``--refine`` bisection steps narrow it. The figure is the largest
N that held.

The server runs as production runs it (README, "Production"): ``lms.settings.production``
with every required variable, gunicorn (``--workers``, cores + 1 sync workers unless told,
as the README's production command runs it: every idle sync worker wakes for each new
connection and all but one go back to sleep, so more workers than that cost CPU on
every request; ``--worker-class gthread --threads 4`` to compare), sessions and the cache in Redis
(``cached_db``), persistent database connections (``CONN_MAX_AGE``), requests as the
TLS-terminating proxy sends them (``X-Forwarded-Proto: https``, the site's host name).
The load generator (asyncio and raw HTTP/1.1, keep-alive where the server offers it) is
this process; the server is other processes. Everything runs on its own database
(``aula_capacity`` on PostgreSQL, created if missing and prepared as ``make run`` prepares
one: the course library) and its own Redis databases (13: cache and sessions, 14: broker).
``--accounts`` real learner accounts (``capacidad-0001``…, made afresh each run, so runs
start from the same state, then the database is vacuumed and analysed; each enrolled in
two library courses, with a session as ``Client.force_login`` makes one that has been
through a request, and ten minutes ago a first heartbeat on its first lesson: learners in
the middle of a study session) stand for the simulated learners:
learner ``i`` is account ``i mod accounts``, one account per learner up to that many.
Each learner works through their lessons in order: a lesson view opens the lesson they
are on again, or one time in ``LESSON_VIEWS`` the next one (a lesson lasts about six
minutes), and their heartbeats go to that lesson and cover the stretch since their
previous batch (at most a minute, in two heartbeats), as the lesson page's script sends
them: in order, never overlapping. (Until 2026-12-05 the default was 500 accounts, each
shared by a dozen learners who picked a random lesson for every request and whose
heartbeats all claimed the same last minute: overlapping and out of order on one
account, which no phone sends.)

Per step it prints N, offered and achieved req/s, p50/p95/p99 overall and per request
type, errors, CPU (% of one core, and ms per answered request) of gunicorn, of this
database's PostgreSQL backends, of redis-server (the whole server: it may be shared), of
the load generator and of the whole machine. Then the figure, first; where the server's
time goes (gunicorn's access log: each type's share of request time, mean ms); the Celery
queue, Redis memory and the workers' memory after the run; and each type's median time,
CPU time and queries through the Django test client (one process, no network), with a
cProfile of the type that took most of the server's time.

    .venv/bin/python bench/capacity.py --quick                 # small N, 10 s steps: it works
    .venv/bin/python bench/capacity.py                         # 1000, 2000, … then bisection
    .venv/bin/python bench/capacity.py --start 4000 --step 500 --seconds 30
    .venv/bin/python bench/capacity.py --worker-class gthread --workers 3 --threads 4

The machine is shared with whatever else runs on it: the machine's CPU line says how busy
it was. The gunicorn processes are stopped on exit, Ctrl-C included.
"""

import argparse
import asyncio
import base64
import gzip
import itertools
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from common import OUT, ROOT, configure, ensure_database, machine, percentile, prepare_site

CAPACITY_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/aula_capacity"
REDIS_URL = os.environ.get("CAPACITY_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
HOST = "aula.example.org"
P95_LIMIT_MS = 300.0
TARGET = 10_000
ACCOUNT_PREFIX = "capacidad-"
TIMEOUT_S = 30.0
# Requests per second of one simulated learner, by type.
RATES = {"lesson": 1 / 90, "heartbeat": 1 / 60, "quiz": 1 / 900, "my courses": 1 / 600}
PER_LEARNER = sum(RATES.values())
LESSON_VIEWS = 4  # lesson views per lesson: one in four opens the next one
TYPES = ["lesson", "heartbeat", "quiz", "quiz result", "my courses"]
ACCESS_LOG = OUT / "capacity-access.log"
SERVER_LOG = OUT / "capacity-gunicorn.log"

os.environ.setdefault("DATABASE_URL", CAPACITY_DATABASE_URL)
# The production settings, with every variable they require (the server's and this
# process's: sessions made here are read there, signed with the same secret).
configure(
    DJANGO_SETTINGS_MODULE="lms.settings.production",
    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    AULA_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode(),
    ALLOWED_HOSTS=HOST,
    AULA_PUBLIC_URL=f"https://{HOST}",
    EMAIL_URL="smtp+tls://aula:secreto@smtp.example.org:587",
    CACHE_URL=f"{REDIS_URL}/13",
    CELERY_BROKER_URL=f"{REDIS_URL}/14",
)


# --- The site: accounts, sessions, what each request sends ------------------------------


@dataclass
class Account:
    cookie: str  # the Cookie header: session and CSRF cookies
    csrf: str
    lessons: list[tuple[int, str]]  # (page id, path) of the lessons of its courses
    quizzes: list[tuple[int, str]]  # (page id, form body without attempt_id)


class _QuizForm(HTMLParser):
    """The fields of a quiz form, answered: each question's first option, "1" in text."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.inside = "quiz" in values.get("class", "").split()
        elif self.inside and tag in ("input", "textarea", "select"):
            name = values.get("name", "")
            if name.startswith("q-") and name not in self.fields:
                self.fields[name] = values.get("value") or "1"
            elif name in ("revision", "shown") and name not in self.fields:
                self.fields[name] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def prepare(accounts: int) -> list[Account]:
    """The database, the course library, the learner accounts and their sessions."""
    import logging

    ensure_database()
    prepare_site(static=True)
    logging.disable(logging.INFO)  # one "successful login" line per account otherwise
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from django.db import transaction
    from django.test import Client
    from django.utils.crypto import get_random_string

    from courses.read_models import AssessmentPage, CoursePage, LessonPage
    from lms.accounts import api as accounts_api
    from lms.accounts import read_models as accounts_models
    from lms.assessments import api as assessments_api
    from lms.enrollment import api as enrollment_api

    courses = []
    for course in CoursePage.objects.live().order_by("path"):
        lessons = [(p.pk, p.url) for p in LessonPage.objects.live().descendant_of(course)]
        practice = list(AssessmentPage.objects.live().descendant_of(course).filter(kind="practice"))
        if lessons and practice:
            courses.append((course, lessons, practice))
    if not courses:
        raise SystemExit("no course of the library has lessons and a practice quiz")

    # Fresh accounts every run, so runs start from the same state (no history, no
    # attempts). Their events, progress, attempts and enrollments go with them (CASCADE).
    User = accounts_models.User
    User.objects.filter(username__startswith=ACCOUNT_PREFIX).delete()
    names = [f"{ACCOUNT_PREFIX}{number:04d}" for number in range(1, accounts + 1)]
    User.objects.bulk_create(
        [User(username=name, password=make_password(None)) for name in names], batch_size=1000
    )
    users = {user.username: user for user in User.objects.filter(username__in=names)}
    learner_role = accounts_api.ensure_roles()[accounts_api.roles.EDUCANDO]
    learner_role.user_set.add(*users.values())

    # Sessions of earlier runs were signed with another secret: start clean (this
    # database and this Redis database are the benchmark's own).
    Session.objects.all().delete()
    cache.clear()

    # Sessions as ``Client.force_login`` makes them (the same keys in the same session
    # store), made directly: signing in 10,000 accounts one request at a time took minutes.
    engine = import_module(settings.SESSION_ENGINE)
    backend = next(  # as force_login picks it: the first that finds users
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )

    def session_for(user) -> str:
        store = engine.SessionStore()
        store[SESSION_KEY] = user._meta.pk.value_to_string(user)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    quiz_forms: dict[int, str] = {}
    prepared = []
    started = time.perf_counter()
    start = datetime.now(UTC) - timedelta(minutes=10)
    # One client for every account (a client builds the middleware on its first request).
    client = Client(HTTP_HOST=HOST)
    with transaction.atomic():  # one commit, not one per enrollment and session
        for number, name in enumerate(names):
            user = users[name]
            mine = [courses[number % len(courses)], courses[(number + 3) % len(courses)]]
            for course, _lessons, _practice in mine:
                enrollment_api.enroll(user=user, course=course)
            session = session_for(user)
            # Learners in the middle of a study session: their session has been through
            # a request (what the first page after signing in leaves in it), and today's
            # first minute on their first lesson is recorded (their lesson, course and day
            # rows exist). Sent as the lesson page sends it, through the site.
            client.cookies.clear()
            client.cookies[settings.SESSION_COOKIE_NAME] = session
            first_lesson = mine[0][1][0][0]
            warm = client.post(
                "/api/v1/events/",
                {"events": [_heartbeat(first_lesson, start)]},
                content_type="application/json",
                secure=True,
            )
            assert warm.status_code == 200 and warm.json()["accepted"] == 1, warm.content
            quizzes = []
            for _course, _lessons, practice in mine:
                for quiz in practice:
                    if quiz.pk not in quiz_forms:
                        response = client.get(quiz.url, secure=True)
                        assert response.status_code == 200, (quiz.url, response.status_code)
                        form = _QuizForm()
                        form.feed(response.content.decode())
                        assert any(key.startswith("q-") for key in form.fields), quiz.url
                        quiz_forms[quiz.pk] = urlencode(form.fields)
                    shown_at = assessments_api.shown_at_token(user_id=user.pk)
                    quizzes.append(
                        (quiz.pk, quiz_forms[quiz.pk] + "&" + urlencode({"shown_at": shown_at}))
                    )
            csrf = get_random_string(32)  # a CSRF secret as Django makes them
            prepared.append(
                Account(
                    cookie=(
                        f"{settings.SESSION_COOKIE_NAME}={session}; "
                        f"{settings.CSRF_COOKIE_NAME}={csrf}"
                    ),
                    csrf=csrf,
                    lessons=[lesson for _c, lessons, _q in mine for lesson in lessons],
                    quizzes=quizzes,
                )
            )
    print(
        f"{accounts} learner accounts in {len(courses)} courses, signed in "
        f"({time.perf_counter() - started:.1f} s)"
    )
    # The last run's accounts were just deleted with everything they made: vacuum now, so
    # autovacuum does not do it during the steps (its CPU counts as PostgreSQL's).
    from django.db import connection, connections

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"database vacuumed and analysed ({time.perf_counter() - started:.1f} s)")
    connections.close_all()
    return prepared


# --- The server: gunicorn, the production way -------------------------------------------


def _die_with_parent() -> None:
    """In the child: SIGTERM when this benchmark dies, even killed with SIGKILL (Linux);
    gunicorn's workers then follow their master."""
    import contextlib
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """gunicorn in a process group of its own, stopped with it (also on Ctrl-C)."""

    def __init__(self, *, workers: int, worker_class: str, threads: int) -> None:
        self.workers, self.worker_class, self.threads = workers, worker_class, threads
        self.port = 0
        self.process: subprocess.Popen | None = None

    def describe(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"gunicorn {self.workers} {self.worker_class} workers{threads}"

    def start(self) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        ACCESS_LOG.write_text("")
        command = [
            str(ROOT / ".venv/bin/gunicorn"), "lms.wsgi",
            "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT),
            "--workers", str(self.workers), "--worker-class", self.worker_class,
            "--threads", str(self.threads), "--backlog", "4096",
            "--access-logfile", str(ACCESS_LOG), "--access-logformat", "%(m)s %(U)s %(s)s %(D)s",
            "--error-logfile", str(SERVER_LOG), "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603 (our own arguments)
            command, env=os.environ.copy(), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.process = None

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.process is None:
            return []
        master = self.process.pid
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    children.append(int(entry.name))
        return [master, *children]


def _ticks(pid: int) -> int:
    """CPU time of a process so far (user + system), in clock ticks; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) ticks of every CPU of the machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


_pg_connection = None


def _postgres_pids() -> list[int]:
    """The backends connected to this benchmark's database (one connection, kept)."""
    global _pg_connection
    import psycopg

    if _pg_connection is None or _pg_connection.closed:
        url = urlsplit(os.environ["DATABASE_URL"])
        _pg_connection = psycopg.connect(
            host=url.hostname or "127.0.0.1", port=url.port or 5432,
            user=url.username or "postgres", password=url.password or None,
            dbname=url.path.lstrip("/"), autocommit=True,
        )  # fmt: skip
    return [
        row[0]
        for row in _pg_connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    ]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _redis_pid() -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "redis-server":
                    return int(entry.name)
            except OSError:
                continue
    return None


@dataclass
class CpuSample:
    at: float
    ticks: dict[str, dict[int, int]]  # part -> pid -> CPU ticks so far
    machine: tuple[int, int]


def cpu_sample(server: Server) -> CpuSample:
    redis_pid = _redis_pid()
    return CpuSample(
        at=time.monotonic(),
        ticks={
            "gunicorn": {pid: _ticks(pid) for pid in server.pids()},
            "postgres": {pid: _ticks(pid) for pid in _postgres_pids()},
            "redis": {redis_pid: _ticks(redis_pid)} if redis_pid else {},
            "generator": {os.getpid(): _ticks(os.getpid())},
        },
        machine=_machine_ticks(),
    )


def merge(latest: CpuSample, sample: CpuSample) -> CpuSample:
    """``sample``, also holding the last ticks seen of processes gone since ``latest``
    (a database connection closed after CONN_MAX_AGE)."""
    for name, seen in latest.ticks.items():
        for pid, ticks in seen.items():
            sample.ticks[name].setdefault(pid, ticks)
    return sample


async def sample_every_second(server: Server, latest: list[CpuSample]) -> None:
    while True:
        await asyncio.sleep(1)
        latest[0] = merge(latest[0], cpu_sample(server))


def cpu_between(before: CpuSample, after: CpuSample) -> dict[str, float]:
    """% of one core of each part between two samples; "machine": of all cores. A process
    that started meanwhile counts from zero; one that ended meanwhile counts until it was
    last seen (``merge``)."""
    hertz = os.sysconf("SC_CLK_TCK")
    seconds = max(after.at - before.at, 1e-6)
    used = {}
    for name, now in after.ticks.items():
        then = before.ticks.get(name, {})
        ticks = sum(value - then.get(pid, 0) for pid, value in now.items())
        used[name] = 100 * ticks / hertz / seconds
    busy = after.machine[0] - before.machine[0]
    total = max(after.machine[1] - before.machine[1], 1)
    used["machine"] = 100 * busy / total * (os.cpu_count() or 1)
    return used


# --- The load: open loop, raw HTTP/1.1 --------------------------------------------------


class HttpError(Exception):
    pass


class Connections:
    """HTTP/1.1 to one server: a pool of keep-alive connections (when the server keeps
    them: gthread does for a short while, sync workers close each one)."""

    KEEP_FOR = 1.0  # seconds an idle connection is reused (gunicorn keeps them 2 s)

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(self, head: bytes, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
        now = time.monotonic()
        while self.idle:
            reader, writer, since = self.idle.pop()
            if now - since < self.KEEP_FOR:
                try:
                    return await self._exchange(reader, writer, head, body)
                except (asyncio.IncompleteReadError, ConnectionError):
                    writer.close()  # closed by the server meanwhile: a new connection
                    break
            writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return await self._exchange(reader, writer, head, body)

    async def _exchange(self, reader, writer, head: bytes, body: bytes):
        writer.write(head + body)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {}
        for line in lines:
            if ":" in line:
                key, value = line.split(":", 1)
                headers[key.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close"
        if "content-length" in headers:
            content = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await reader.readexactly(size + 2))
                if size == 0:
                    break
            content = b"".join(part[:-2] for part in parts)
        else:
            content = await reader.read()
            keep = False
        if keep:
            self.idle.append((reader, writer, time.monotonic()))
        else:
            writer.close()
        return status, headers, content


def _head(method: str, path: str, account: Account, extra: dict[str, str] | None = None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {HOST}",
        "X-Forwarded-Proto: https",  # what the TLS-terminating proxy adds
        "Accept-Encoding: gzip",  # phones do: HTML is compressed (GZipMiddleware)
        "User-Agent: aula-capacity",
        f"Cookie: {account.cookie}",
    ]
    lines += [f"{key}: {value}" for key, value in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _heartbeat(page: int, end: datetime, seconds: float = 30) -> dict[str, object]:
    """One heartbeat as the lesson page's script sends it: ``seconds`` of study up to ``end``."""
    return {
        "id": str(uuid.uuid4()),
        "verb": "progressed",
        "object": {"id": page},
        "timestamp": end.isoformat(),
        "result": {"duration": seconds},
    }


@dataclass
class Result:
    kind: str
    ms: float
    error: str = ""


@dataclass
class Load:
    connections: Connections
    accounts: list[Account]
    results: list[Result] = field(default_factory=list)
    # Each learner's place in their lessons and where their recorded study time ends:
    # their heartbeats go to the lesson they are on and cover the stretch since their last
    # batch, at most a minute, as the lesson page's script sends them
    # (static/js/progress.js). A lesson view opens that lesson again or (one in
    # ``LESSON_VIEWS``) the next one: a lesson lasts about six minutes.
    studying: dict[int, int] = field(default_factory=dict)
    studied_to: dict[int, datetime] = field(default_factory=dict)

    def lesson(self, learner: int, account: Account, rng: random.Random, *, opening: bool):
        place = self.studying.get(learner, 0)
        if opening and rng.random() < 1 / LESSON_VIEWS:
            place = (place + 1) % len(account.lessons)
        self.studying[learner] = place
        return account.lessons[place]

    async def one(self, kind: str, learner: int, scheduled: float, rng: random.Random) -> None:
        account = self.accounts[learner % len(self.accounts)]
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(self._send(kind, learner, account, scheduled, rng), TIMEOUT_S)
        except TimeoutError:
            self.results.append(Result(kind, (loop.time() - scheduled) * 1000, "timeout"))
        except (OSError, asyncio.IncompleteReadError, HttpError, ValueError) as error:
            message = str(error) or type(error).__name__
            self.results.append(Result(kind, (loop.time() - scheduled) * 1000, message[:80]))

    async def _send(
        self, kind: str, learner: int, account: Account, scheduled: float, rng: random.Random
    ):
        loop = asyncio.get_running_loop()
        request = self.connections.request
        if kind == "lesson":
            _page, path = self.lesson(learner, account, rng, opening=True)
            status, _h, _b = await request(_head("GET", path, account, {"Accept": "text/html"}))
            expected = 200
        elif kind == "my courses":
            status, _h, _b = await request(
                _head("GET", "/mis-cursos/", account, {"Accept": "text/html"})
            )
            expected = 200
        elif kind == "heartbeat":
            page, _path = self.lesson(learner, account, rng, opening=False)
            now = datetime.now(UTC)
            minute_ago = now - timedelta(seconds=60)
            start = max(minute_ago, self.studied_to.get(learner, minute_ago))
            self.studied_to[learner] = now
            half = (now - start) / 2
            body = json.dumps(
                {
                    "sent_at": now.isoformat(),
                    "events": [
                        _heartbeat(page, end, half.total_seconds()) for end in (now - half, now)
                    ],
                }
            ).encode()
            head = _head(
                "POST", "/api/v1/events/", account,
                {"Content-Type": "application/json", "Accept": "application/json",
                 "X-CSRFToken": account.csrf, "Origin": f"https://{HOST}",
                 "Content-Length": str(len(body))},
            )  # fmt: skip
            status, headers, content = await request(head, body)
            if status == 200:
                if headers.get("content-encoding") == "gzip":
                    content = gzip.decompress(content)
                if json.loads(content).get("accepted") != 2:
                    raise HttpError(f"heartbeat not accepted: {content[:60]!r}")
            expected = 200
        else:  # quiz: the form, then the result page the browser is sent to
            page, form = rng.choice(account.quizzes)
            body = (form + "&" + urlencode({"attempt_id": str(uuid.uuid4())})).encode()
            head = _head(
                "POST", f"/evaluaciones/{page}/enviar/", account,
                {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html",
                 "X-CSRFToken": account.csrf, "Origin": f"https://{HOST}",
                 "Referer": f"https://{HOST}/", "Content-Length": str(len(body))},
            )  # fmt: skip
            status, headers, _b = await request(head, body)
            location = headers.get("location", "")
            if status != 302 or "/evaluaciones/intentos/" not in location:
                raise HttpError(f"quiz: {status} {location[:60]}")
            done = loop.time()
            self.results.append(Result("quiz", (done - scheduled) * 1000))
            kind, scheduled = "quiz result", done
            path = urlsplit(location).path
            status, _h, _b = await request(_head("GET", path, account, {"Accept": "text/html"}))
            expected = 200
        if status != expected:
            raise HttpError(f"{kind}: {status}")
        self.results.append(Result(kind, (loop.time() - scheduled) * 1000))

    async def run(self, learners: int, seconds: float, seed: int) -> float:
        """Poisson arrivals for ``seconds`` at the rate of ``learners``; waits for every
        request to finish. Returns the wall time from the first arrival to the last answer."""
        rng = random.Random(seed)
        rate = learners * PER_LEARNER
        kinds, weights = list(RATES), list(RATES.values())
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.01
        end = start + seconds
        scheduled = start
        tasks = []
        while True:
            scheduled += rng.expovariate(rate)
            if scheduled >= end:
                break
            kind = rng.choices(kinds, weights)[0]
            wait = scheduled - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(
                asyncio.create_task(self.one(kind, rng.randrange(learners), scheduled, rng))
            )
        await asyncio.gather(*tasks)
        return loop.time() - start


# --- Steps and figures ------------------------------------------------------------------


@dataclass
class Step:
    learners: int
    seconds: float
    offered: float  # requests per second scheduled
    achieved: float  # answered per second
    count: int
    errors: list[Result]
    latency: dict[str, list[float]]  # by type, and "all"; sorted
    cpu: dict[str, float]
    server_ms: dict[str, list[float]]  # gunicorn's own request time by type

    @property
    def p95(self) -> float:
        return percentile(self.latency["all"], 0.95) if self.latency["all"] else float("inf")

    @property
    def held(self) -> bool:
        return not self.errors and self.p95 < P95_LIMIT_MS


_QUIZ_PATH = re.compile(r"^/evaluaciones/\d+/enviar/$")


def _kind_of(path: str) -> str:
    if path == "/api/v1/events/":
        return "heartbeat"
    if path == "/mis-cursos/":
        return "my courses"
    if _QUIZ_PATH.match(path):
        return "quiz"
    if path.startswith("/evaluaciones/intentos/"):
        return "quiz result"
    return "lesson"


def _server_times(offset: int) -> tuple[dict[str, list[float]], int]:
    """gunicorn's request times (ms) by type from the access log since ``offset``."""
    times: dict[str, list[float]] = defaultdict(list)
    with ACCESS_LOG.open("rb") as log:
        log.seek(offset)
        data = log.read()
    for line in data.decode("latin-1").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3].isdigit():
            times[_kind_of(parts[1])].append(int(parts[3]) / 1000)
    return times, offset + len(data)


async def run_step(load: Load, server: Server, learners: int, seconds: float, seed: int) -> Step:
    load.results = []
    offset = ACCESS_LOG.stat().st_size
    before = cpu_sample(server)
    latest = [before]
    sampler = asyncio.create_task(sample_every_second(server, latest))
    wall = await load.run(learners, seconds, seed)
    sampler.cancel()
    after = merge(latest[0], cpu_sample(server))
    await asyncio.sleep(0.2)  # the last access-log lines
    server_ms, _end = _server_times(offset)
    latency: dict[str, list[float]] = defaultdict(list)
    for result in load.results:
        latency[result.kind].append(result.ms)
        latency["all"].append(result.ms)
    for values in latency.values():
        values.sort()
    ok = [r for r in load.results if not r.error]
    return Step(
        learners=learners,
        seconds=seconds,
        offered=learners * PER_LEARNER,
        achieved=len(ok) / wall,
        count=len(load.results),
        errors=[r for r in load.results if r.error],
        latency=latency,
        cpu=cpu_between(before, after),
        server_ms=server_ms,
    )


def _quantiles(values: list[float]) -> str:
    if not values:
        return "—"
    return "/".join(f"{percentile(values, q):.0f}" for q in (0.5, 0.95, 0.99))


def _cpu_per_request(step: Step) -> str:
    answered = max(step.achieved, 1e-6)
    return ", ".join(
        f"{name} {10 * step.cpu[name] / answered:.1f}"
        for name in ("gunicorn", "postgres", "redis", "generator")
    )


def print_step(step: Step) -> None:
    verdict = "held" if step.held else "NOT held"
    print(
        f"N={step.learners:>6}  {step.offered:6.1f} req/s offered, {step.achieved:6.1f} "
        f"answered  p50/p95/p99 {_quantiles(step.latency['all'])} ms  "
        f"errors {len(step.errors)}  {verdict}"
    )
    print(
        "           by type p50/p95/p99 ms: "
        + ", ".join(
            f"{kind} {_quantiles(step.latency.get(kind, []))} ({len(step.latency.get(kind, []))})"
            for kind in TYPES
        )
    )
    cpu = step.cpu
    print(
        f"           CPU % of one core: gunicorn {cpu['gunicorn']:.0f}, PostgreSQL "
        f"{cpu['postgres']:.0f}, Redis {cpu['redis']:.0f}, generator {cpu['generator']:.0f}; "
        f"machine {cpu['machine']:.0f} of {100 * (os.cpu_count() or 1)}"
    )
    print("           CPU ms per request: " + _cpu_per_request(step))
    if step.errors:
        counts: dict[str, int] = defaultdict(int)
        for error in step.errors:
            counts[f"{error.kind}: {error.error}"] += 1
        worst = sorted(counts.items(), key=lambda item: -item[1])[:3]
        print("           errors: " + "; ".join(f"{n}× {what}" for what, n in worst))
    sys.stdout.flush()


def where_time_goes(step: Step) -> None:
    total = sum(sum(values) for values in step.server_ms.values()) or 1.0
    print(f"where the server's time goes (gunicorn request time at N={step.learners}):")
    print(f"  {'type':<12}{'share':>7}{'req/s':>8}{'mean ms':>9}{'p95 ms':>8}")
    for kind in TYPES:
        values = sorted(step.server_ms.get(kind, []))
        if values:
            print(
                f"  {kind:<12}{100 * sum(values) / total:>6.0f}%{len(values) / step.seconds:>8.1f}"
                f"{statistics.fmean(values):>9.1f}{percentile(values, 0.95):>8.1f}"
            )


def _lessons_of(course_ids: set[int]) -> list[int]:
    from courses.read_models import CoursePage, LessonPage

    return [
        page.pk
        for course in CoursePage.objects.filter(pk__in=course_ids)
        for page in LessonPage.objects.live().descendant_of(course)
    ]


def profile(requests: int, heaviest: str | None) -> None:
    """Each type's median time, CPU time and queries through the Django test client (one
    process, no network, a persistent connection as the server keeps), after the load;
    then where the heaviest type's CPU time goes (cProfile)."""
    import django

    django.setup()
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.throttling import ScopedRateThrottle

    from courses.read_models import AssessmentPage, CoursePage, LessonPage
    from lms.accounts import read_models as accounts_models
    from lms.enrollment import api as enrollment_api

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # One account sends every batch here: lift its throttle (still checked, in Redis).
    ScopedRateThrottle.THROTTLE_RATES = {**ScopedRateThrottle.THROTTLE_RATES, "events": "1000000/m"}
    user = accounts_models.User.objects.get(username=f"{ACCOUNT_PREFIX}0001")
    course_ids = enrollment_api.enrolled_course_ids(
        user_id=user.pk, course_ids=CoursePage.objects.live().values_list("pk", flat=True)
    )
    course = CoursePage.objects.filter(pk__in=course_ids).order_by("path").first()
    lesson = LessonPage.objects.live().descendant_of(course).first()
    quiz = AssessmentPage.objects.live().descendant_of(course).filter(kind="practice").first()
    client = Client(HTTP_HOST=HOST, HTTP_ACCEPT_ENCODING="gzip")
    client.force_login(user)
    page = client.get(quiz.url, secure=True)
    form = _QuizForm()
    html = page.content
    form.feed((gzip.decompress(html) if page.get("Content-Encoding") == "gzip" else html).decode())
    from lms.assessments import api as assessments_api

    form.fields["shown_at"] = assessments_api.shown_at_token(user_id=user.pk)

    # Heartbeats go round the accounts and their lessons, as in the load.
    senders = []
    for other in accounts_models.User.objects.filter(username__startswith=ACCOUNT_PREFIX)[:20]:
        sender = Client(HTTP_HOST=HOST, HTTP_ACCEPT_ENCODING="gzip")
        sender.force_login(other)
        mine = enrollment_api.enrolled_course_ids(
            user_id=other.pk, course_ids=CoursePage.objects.live().values_list("pk", flat=True)
        )
        senders += [(sender, page_id) for page_id in _lessons_of(mine)]
        # Each test client builds its middleware on its first request (WhiteNoise then
        # scans the static files): do it now, or it lands in the figures below.
        assert sender.get("/mis-cursos/", secure=True).status_code == 200
    rotation = itertools.cycle(senders)
    # Each (account, lesson) studies on its own clock, a minute per batch, in the past:
    # its heartbeats come in order, as a learner's do.
    clocks: dict[tuple[int, int], datetime] = {}

    def heartbeat():
        sender, page_id = next(rotation)
        now = datetime.now(UTC)
        key = (id(sender), page_id)
        clocks[key] = end = clocks.get(key, now - timedelta(hours=12)) + timedelta(seconds=60)
        events = [_heartbeat(page_id, end - timedelta(seconds=s)) for s in (30, 0)]
        return sender.post(
            "/api/v1/events/", {"sent_at": now.isoformat(), "events": events},
            content_type="application/json", secure=True,
        )  # fmt: skip

    def submit():
        return client.post(
            f"/evaluaciones/{quiz.pk}/enviar/", {**form.fields, "attempt_id": str(uuid.uuid4())},
            secure=True,
        )  # fmt: skip

    attempt = submit()["Location"]
    calls = {
        "lesson": (lambda: client.get(lesson.url, secure=True), 200),
        "heartbeat": (heartbeat, 200),
        "quiz": (submit, 302),
        "quiz result": (lambda: client.get(attempt, secure=True), 200),
        "my courses": (lambda: client.get("/mis-cursos/", secure=True), 200),
    }
    print(f"each type through the Django test client ({requests} requests, one process):")
    print(f"  {'type':<12}{'median ms':>10}{'p95 ms':>8}{'CPU ms':>8}{'queries':>9}")
    for kind, (call, expected) in calls.items():
        assert call().status_code == expected, kind
        with CaptureQueriesContext(connection) as queries:
            call()
        count = len(queries.captured_queries)
        timings, cpu = [], []
        for _ in range(requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            status = call().status_code
            cpu.append((time.process_time() - started_cpu) * 1000)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == expected, (kind, status)
        timings.sort()
        print(
            f"  {kind:<12}{statistics.median(timings):>10.1f}{percentile(timings, 0.95):>8.1f}"
            f"{statistics.median(cpu):>8.1f}{count:>9}"
        )
    if heaviest in calls:
        import cProfile
        import pstats

        call = calls[heaviest][0]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            call()
        profiler.disable()
        print(f"where a {heaviest} request's time goes in Django (cProfile, cumulative):")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative")
        total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
        shown = 0
        for func, (_cc, _nc, _tt, cumulative, _callers) in sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda item: -item[1][3],
        ):
            filename, line, name = func
            if str(ROOT) not in filename or ".venv" in filename or "bench/" in filename:
                continue
            where = filename.replace(str(ROOT) + "/", "")
            print(f"  {100 * cumulative / total:5.1f}%  {where}:{line} {name}")
            shown += 1
            if shown == 12:
                break
        stats.sort_stats("tottime")
        print("  most own time:")
        for func, (_cc, calls_n, own, _cum, _callers) in sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda item: -item[1][2],
        )[:8]:
            filename, line, name = func
            where = filename.split("site-packages/")[-1].replace(str(ROOT) + "/", "")
            print(f"  {100 * own / total:5.1f}%  {where}:{line} {name} ({calls_n // requests}/req)")


def _wait_ready(server: Server, account: Account) -> None:
    async def ask() -> int:
        status, _h, _b = await Connections(server.port).request(
            _head("GET", "/mis-cursos/", account, {"Accept": "text/html"})
        )
        return status

    for _ in range(240):
        if server.process is None or server.process.poll() is not None:
            raise SystemExit(f"gunicorn stopped; its log: {SERVER_LOG}")
        try:
            status = asyncio.run(ask())
        except OSError:
            time.sleep(0.5)
            continue
        if status != 200:
            raise SystemExit(f"/mis-cursos/ answered {status}; gunicorn's log: {SERVER_LOG}")
        return
    raise SystemExit("gunicorn does not answer")


def _broker_queue_length() -> int:
    import redis

    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    return sum(int(client.llen(key)) for key in client.keys("*") if client.type(key) == b"list")


def _redis_memory() -> str:
    """What the cache database holds after the run: keys, and the memory of the session
    keys and of the rest (MEMORY USAGE of each key, sampled up to 20,000 keys)."""
    import redis

    client = redis.Redis.from_url(os.environ["CACHE_URL"])
    sessions = other = 0
    session_keys = other_keys = 0
    for number, key in enumerate(client.scan_iter(count=1000)):
        if number == 20_000:
            break
        size = int(client.memory_usage(key) or 0)
        if b"sessions" in key:
            sessions, session_keys = sessions + size, session_keys + 1
        else:
            other, other_keys = other + size, other_keys + 1
    per_session = sessions / session_keys if session_keys else 0
    return (
        f"Redis cache after the run: {client.dbsize()} keys; {session_keys} sessions, "
        f"{per_session / 1024:.1f} KB each; {other_keys} other keys, {other / 1024:.0f} KB"
    )


async def search(load: Load, server: Server, args: argparse.Namespace) -> list[Step]:
    """Warm up, step up until a step fails, then bisect between the last that held and
    the first that did not."""
    print(f"warm-up: {args.warmup:.0f} s at N={args.start}")
    await load.run(args.start, args.warmup, seed=0)
    steps: list[Step] = []
    learners, seed = args.start, 1
    while learners <= args.max:
        step = await run_step(load, server, learners, args.seconds, seed)
        print_step(step)
        steps.append(step)
        seed += 1
        if not step.held:
            break
        learners += args.step
    good = max((s.learners for s in steps if s.held), default=0)
    bad = min((s.learners for s in steps if not s.held), default=None)
    for _ in range(args.refine if bad is not None else 0):
        learners = (good + bad) // 2 // 100 * 100
        if learners <= good or learners >= bad:
            break
        await asyncio.sleep(2)  # let the failed step's queue drain
        step = await run_step(load, server, learners, args.seconds, seed)
        print_step(step)
        steps.append(step)
        seed += 1
        if step.held:
            good = learners
        else:
            bad = learners
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N 100, 200, 300; 10 s steps")
    parser.add_argument("--start", type=int, default=1000)
    parser.add_argument("--step", type=int, default=1000)
    parser.add_argument("--max", type=int, default=40_000)
    parser.add_argument("--seconds", type=float, default=25, help="per step")
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--refine", type=int, default=2, help="bisection steps at the end")
    parser.add_argument("--accounts", type=int, default=12_000, help="one per learner up to it")
    cores = os.cpu_count() or 1
    # Measured 2026-12-05, same code, minutes apart: 3 workers held 11,300 learners at
    # 3.8 ms of web CPU per request, 4 held 10,700 at 4.2 ms, 5 held 9,800 at 4.5-4.7 ms.
    parser.add_argument("--workers", type=int, default=cores + 1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="gthread only")
    parser.add_argument("--requests", type=int, default=100, help="test-client profile")
    args = parser.parse_args()
    if args.quick:
        args.start, args.step, args.max, args.seconds, args.warmup = 100, 100, 300, 10, 5
        args.refine, args.requests = 0, 20
        args.accounts = min(args.accounts, 50)
    if args.worker_class == "sync":
        args.threads = 1

    accounts = prepare(args.accounts)
    server = Server(workers=args.workers, worker_class=args.worker_class, threads=args.threads)

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)  # also when started in the background
    steps: list[Step] = []
    try:
        server.start()
        _wait_ready(server, accounts[0])
        print(
            f"{server.describe()}, lms.settings.production, PostgreSQL + Redis; "
            f"{args.accounts} accounts; {args.seconds:.0f} s steps; a learner: "
            + ", ".join(f"{kind} every {1 / rate:.0f} s" for kind, rate in RATES.items())
        )
        load = Load(Connections(server.port), accounts)
        steps = asyncio.run(search(load, server, args))
        queued = _broker_queue_length()
        redis_memory = _redis_memory()
        worker_rss = [_rss_mb(pid) for pid in server.pids()[1:]]
    except KeyboardInterrupt:
        print("interrupted")
        raise SystemExit(130) from None
    finally:
        server.stop()

    held = [s for s in steps if s.held]
    best = max(held, key=lambda s: s.learners) if held else None
    failed = [s for s in steps if not s.held]
    print()
    if best is None:
        print(f"capacity: under {steps[0].learners} learners at p95 < {P95_LIMIT_MS:.0f} ms")
    else:
        print(
            f"capacity: {best.learners} learners at p95 < {P95_LIMIT_MS:.0f} ms and 0 errors "
            f"({best.learners / TARGET:.2f}× the {TARGET:,} target): {best.achieved:.0f} req/s, "
            f"p95 {best.p95:.0f} ms"
        )
    if failed:
        first = min(failed, key=lambda s: s.learners)
        print(
            f"first step not held: N={first.learners}, p95 {first.p95:.0f} ms, "
            f"{len(first.errors)} errors"
        )
    if best is not None:
        print(
            f"at N={best.learners}: CPU % of one core: gunicorn {best.cpu['gunicorn']:.0f}, "
            f"PostgreSQL {best.cpu['postgres']:.0f}, Redis {best.cpu['redis']:.0f}, load "
            f"generator {best.cpu['generator']:.0f}; the machine {best.cpu['machine']:.0f} "
            f"of {100 * (os.cpu_count() or 1)}"
        )
        print(f"CPU ms per request at N={best.learners}: {_cpu_per_request(best)}")
        where_time_goes(best)
    print(f"Celery broker queue after the run: {queued} messages")
    print(redis_memory)
    if worker_rss:
        print(
            f"gunicorn workers' memory (RSS) after the run: {min(worker_rss):.0f}–"
            f"{max(worker_rss):.0f} MB each"
        )
    heaviest = None
    if best is not None:
        heaviest = max(TYPES, key=lambda kind: sum(best.server_ms.get(kind, [])))
    profile(args.requests, heaviest)
    print(f"{server.describe()}; {machine()}")


if __name__ == "__main__":
    main()
