"""Several app nodes behind a proxy behave as one (issue 13, "More than one node").

Two gunicorn processes (nodes A and B) are started with the production settings on the
test database and one Redis database, the way two machines behind a proxy would be. Plain
HTTP requests, sent as the proxy sends them (``X-Forwarded-Proto: https``, the site's host
name), then show that what one node learns holds on the other at once:

- a login lockout (django-axes counts failures in the database, its default handler);
- a rate limit (django-ratelimit counts in the cache: ``CACHE_URL``, Redis);
- a session and its logout (``SESSION_ENGINE`` ``cached_db``: the cache, then the
  database);
- a lesson changed, published and unpublished (a page's route and its rendered shell are
  kept in Redis, shared, under a generation that any change renews).

A third node (C) with a per-process cache (``AULA_ALLOW_LOCAL_CACHE=true``) is the
negative control: the rate limit reached on A does not hold there.

In the PostgreSQL pass: the nodes are other processes and must share the test database,
so the data is committed (``committed`` fixture) and removed afterwards. The nodes' Redis
database (``TEST_NODES_REDIS_URL``, database 11 unless told) belongs to this test alone:
it is emptied before and after.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection
from django.test import override_settings

from courses.models import CatalogPage, LessonPage
from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from tests.factories.pages import add_course, add_lesson
from tests.helpers import CLEARED, PASSWORD, ROOT, make_user
from tests.services import REDIS_URL, free_port, port_open, unavailable, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the app nodes are other processes and must share the database: "
    "these run in the PostgreSQL pass",
)

_redis = urlsplit(REDIS_URL)
# A Redis database for this test alone (it is emptied): the nodes' cache and broker.
NODES_REDIS_URL = os.environ.get(
    "TEST_NODES_REDIS_URL", f"redis://{_redis.hostname or '127.0.0.1'}:{_redis.port or 6379}/11"
)
HOST = "aula.example.org"
# Low enough to reach quickly; production's default is 5.
FAILURE_LIMIT = 3
# A day's window: the count cannot start over between the requests on A and the one on B.
SIGNUP_RATE = "3/d"
# One secret for every node of this run (sessions, signed values).
SECRET_KEY = secrets.token_urlsafe(50)
LOCKED_OUT = "Espere un momento para volver a entrar"
RATE_LIMITED = "Se hicieron muchas consultas seguidas"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str


class Node:
    """One app process (gunicorn, one worker) with the production settings."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path):
        self.name = name
        self.env = env
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.log = workdir / f"nodo-{name}.log"

    def launch(self) -> Node:
        self.port = free_port()
        if importlib.util.find_spec("gunicorn"):
            command = [
                sys.executable, "-m", "gunicorn", "lms.wsgi",
                f"--bind=127.0.0.1:{self.port}", "--workers=1", "--worker-class=sync",
                "--no-control-socket", "--graceful-timeout=5", "--log-level=warning",
            ]  # fmt: skip
        else:
            command = [
                sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}",
            ]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_until_ready(self, attempts: int = 3) -> Node:
        """Until the login page answers (gunicorn binds its port before its worker has
        loaded Django: the first request waits for that)."""
        for _attempt in range(attempts):
            answer = wait_for(self._login_page_or_exit, 90, f"node {self.name} to answer")
            if answer is not True:
                assert answer.status == 200, self._failure(f"answered {answer.status}")
                return self
            # Another process took the free port between choosing and binding it: again.
            if "in use" not in self.log.read_text():
                raise AssertionError(self._failure("exited"))
            self.launch()
        raise AssertionError(self._failure("could not bind a port"))

    def _login_page_or_exit(self) -> Response | bool:
        """The login page's answer; True if the process has exited; False meanwhile."""
        if self.process.poll() is not None:
            return True
        try:
            return Browser().get(self, "/cuenta/entrar/")
        except OSError:  # not listening yet, or the worker is still starting
            return False

    def _failure(self, what: str) -> str:
        return f"node {self.name} {what}:\n{self.log.read_text()[-3000:]}"

    def request(
        self, method: str, path: str, *, headers: dict[str, str], body: str | None = None
    ) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            return Response(answer.status, answer.headers, answer.read().decode())
        finally:
            conn.close()

    def request_stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        self.request_stop()
        if self.process:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        if self.log.exists() and self.log.read_text().strip():
            print(f"--- node {self.name}:\n{self.log.read_text()[-2000:]}")


@dataclass
class Browser:
    """A person's browser talking to the site through the proxy: HTTPS outside, so the
    proxy tells the node (``SECURE_PROXY_SSL_HEADER``); its cookies (Secure ones too)
    go to whichever node the proxy picks."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, node: Node, method: str, path: str, data: dict | None = None) -> Response:
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{HOST}"  # CSRF: a same-origin form
            body = urlencode(data)
        response = node.request(method, path, headers=headers, body=body)
        for line in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, node: Node, path: str) -> Response:
        return self.request(node, "GET", path)

    def submit(self, node: Node, path: str, data: dict) -> Response:
        """GET the form from ``node`` (its CSRF token and cookie), then POST it there."""
        form = self.get(node, path)
        assert form.status == 200, form.status
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, "no CSRF token in the form"
        return self.request(node, "POST", path, {"csrfmiddlewaretoken": token[1], **data})

    def log_in(self, node: Node, username: str, password: str) -> Response:
        return self.submit(node, "/cuenta/entrar/", {"username": username, "password": password})


def node_env(database_name: str, workdir: Path, **changes: str) -> dict[str, str]:
    """What ``scripts/test.sh`` gives ``check --deploy``, on the test database, with this
    test's Redis database for the cache (and the broker, though no task is sent)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database_name
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings.production",
            "DATABASE_URL": database_url,
            # The same secrets on every node: sessions and signed values are read by any node.
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "AULA_SIGNING_KEY": "q4C2Z5rP0bN8yJ1xW3vT6uS9oM7lK2hG4fD5sA8eR0c=",  # test key
            "ALLOWED_HOSTS": HOST,
            "AULA_PUBLIC_URL": f"https://{HOST}",
            "EMAIL_URL": "smtp+tls://aula:secreto@smtp.example.org:587",
            "CELERY_BROKER_URL": NODES_REDIS_URL,
            "CACHE_URL": NODES_REDIS_URL,
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "AXES_FAILURE_LIMIT": str(FAILURE_LIMIT),
            "AULA_SIGNUP_RATE": SIGNUP_RATE,
            "LOG_LEVEL": "WARNING",
        }
        | changes
    )
    return environment


def flush_nodes_redis() -> None:
    import redis

    client = redis.Redis.from_url(NODES_REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture(scope="module")
def nodes(django_db_setup):
    """Nodes A and B (the shared Redis cache) and C (a cache of its own), started once
    for the module; stopped, and the Redis database emptied, afterwards."""
    redis_host = urlsplit(NODES_REDIS_URL)
    if not port_open(redis_host.hostname or "127.0.0.1", redis_host.port or 6379):
        unavailable(f"Redis is not running at {redis_host.netloc}")
    workdir = Path(tempfile.mkdtemp(prefix="aula-nodos-"))
    database = connection.settings_dict["NAME"]
    shared = node_env(database, workdir)
    local = node_env(database, workdir, CACHE_URL="locmemcache://", AULA_ALLOW_LOCAL_CACHE="true")
    started = {
        "A": Node("A", shared, workdir),
        "B": Node("B", shared, workdir),
        "C": Node("C", local, workdir),
    }
    try:
        flush_nodes_redis()
        # The production way (hashed, compressed files and their manifest), without the big
        # folders of the admin and the API docs, which no page asked for here uses.
        skipped = ("drf_spectacular_sidecar", "wagtailadmin", "rest_framework", "admin")
        collected = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0",
             *(f"--ignore={folder}" for folder in skipped)],
            cwd=ROOT, env=shared, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert collected.returncode == 0, collected.stderr[-3000:]
        for node in started.values():
            node.launch()
        for node in started.values():
            node.wait_until_ready()
        yield started
    finally:
        for node in started.values():
            node.request_stop()  # all at once
        for node in started.values():
            node.stop()
        flush_nodes_redis()
        shutil.rmtree(workdir, ignore_errors=True)


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"


def account(committed, username: str, *roles: str):
    """A committed user whose password the nodes can check: production hashes with
    PBKDF2, the tests with MD5 (few iterations here; a login upgrades it)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    user = make_user(username, *roles)
    committed.append(user)
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def axes_records_removed():
    """Removes the login records (django-axes) of the usernames appended to the list."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    usernames: list[str] = []
    yield usernames
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__in=usernames).delete()


def test_a_lockout_on_one_node_holds_on_the_other(nodes, committed, axes_records_removed):
    # Holds because django-axes keeps its counts in the shared database (its default
    # AxesDatabaseHandler; AXES_HANDLER is not set): a per-process store would let B in.
    user = account(committed, unique("bloqueada"), accounts_api.roles.EDUCANDO)
    axes_records_removed.append(user.username)
    browser = Browser()
    for attempt in range(1, FAILURE_LIMIT + 1):
        response = browser.log_in(nodes["A"], user.username, "no-es-la-contraseña")
        if attempt < FAILURE_LIMIT:
            assert response.status == 200 and LOCKED_OUT not in response.text
    assert response.status == 429 and LOCKED_OUT in response.text

    other = Browser()
    response = other.log_in(nodes["B"], user.username, PASSWORD)
    assert response.status == 429 and LOCKED_OUT in response.text
    assert "sessionid" not in other.cookies


def test_a_rate_limit_reached_on_one_node_holds_on_the_other(nodes):
    # Holds because django-ratelimit counts in the default cache, CACHE_URL (Redis, shared).
    browser = Browser()
    for _ in range(int(SIGNUP_RATE.split("/")[0])):
        response = browser.submit(nodes["A"], "/cuenta/registro/", {"username": ""})
        assert response.status == 200, response.status  # the form, with its errors
    response = browser.submit(nodes["B"], "/cuenta/registro/", {"username": ""})
    assert response.status == 429 and RATE_LIMITED in response.text
    assert response.headers["Retry-After"] == "60"
    # The negative control: node C keeps its counts in its own memory and lets it through.
    response = browser.submit(nodes["C"], "/cuenta/registro/", {"username": ""})
    assert response.status == 200, response.status


def test_a_session_and_a_publish_on_one_node_hold_on_the_other(
    nodes, committed, axes_records_removed
):
    catalog = CatalogPage.objects.get()
    course = add_course(catalog=catalog, slug=unique("varios-nodos"), title="Curso en dos nodos")
    committed.append(course)
    lesson = add_lesson(
        parent=course,
        slug="leccion-compartida",
        title="Lección compartida",
        body=[("paragraph", "<p>Primera versión del texto.</p>")],
    )
    learner = account(committed, unique("educanda-nodos"), accounts_api.roles.EDUCANDO)
    axes_records_removed.append(learner.username)
    enrollment_api.enroll(user=learner, course=course)
    path = lesson.get_url()
    browser = Browser()

    # Signed in on A; the session is read on B.
    response = browser.log_in(nodes["A"], learner.username, PASSWORD)
    assert response.status == 302, response.status
    for node in ("B", "B", "A"):  # the second view on B comes from the kept route and shell
        response = browser.get(nodes[node], path)
        assert response.status == 200, response.status
        assert "Primera versión del texto." in response.text
    assert "Lección compartida" in browser.get(nodes["A"], course.get_url()).text

    # Changed and published as an editor's publish in the admin of a node does it (this
    # process, on the nodes' cache): B serves the new text on its very next request, and
    # A's outline drops the lesson once unpublished, though each has served the page
    # before. Holds because what the cache keeps about pages (routes, shells, outlines) is
    # in Redis (shared) under the pages' generation, which the publish renews: a page or
    # outline cache of a node's own would go on serving what it served first.
    shared_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": NODES_REDIS_URL,
        }
    }
    with override_settings(CACHES=shared_cache):
        lesson = LessonPage.objects.get(pk=lesson.pk)
        lesson.body = [("paragraph", "<p>Segunda versión, ya publicada.</p>")]
        lesson.save_revision().publish()
    response = browser.get(nodes["B"], path)
    assert response.status == 200, response.status
    assert "Segunda versión, ya publicada." in response.text
    assert "Primera versión del texto." not in response.text

    # Unpublished: gone from B at once, and from the course's outline on A.
    with override_settings(CACHES=shared_cache):
        LessonPage.objects.get(pk=lesson.pk).unpublish()
    assert browser.get(nodes["B"], path).status == 404
    response = browser.get(nodes["A"], course.get_url())
    assert response.status == 200 and "Lección compartida" not in response.text

    # Signed out on A: the same session cookie, sent to B, is no longer signed in. With
    # cached_db on a per-process cache, B would still find the session in its own memory
    # (it read it above) and keep it signed in.
    stolen = Browser(cookies=dict(browser.cookies))
    profile = browser.get(nodes["A"], "/cuenta/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', profile.text)
    assert token, "no log-out form on the profile page"
    response = browser.request(
        nodes["A"], "POST", "/cuenta/salir/", {"csrfmiddlewaretoken": token[1]}
    )
    assert response.status == 302, response.status
    assert "sessionid" not in browser.cookies
    response = stolen.get(nodes["B"], "/mis-cursos/")
    assert response.status == 302 and response.headers["Location"].startswith("/cuenta/entrar/")
