"""Settings come from the environment; production refuses to start unsafe."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.helpers import CLEARED as _CLEARED
from tests.helpers import ROOT, run_django

SIGNING_KEY = "q4C2Z5rP0bN8yJ1xW3vT6uS9oM7lK2hG4fD5sA8eR0c="
# A production environment with nothing unsafe in it.
SAFE = {
    "ALLOWED_HOSTS": "aula.example.org",
    "DJANGO_SECRET_KEY": "x" * 50,
    "AULA_SIGNING_KEY": SIGNING_KEY,
    "AULA_PUBLIC_URL": "https://aula.example.org",
    "EMAIL_URL": "smtp+tls://aula:secreto@smtp.example.org:587",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def _production(code: str = "", **changes) -> subprocess.CompletedProcess:
    env = {k: v for k, v in {**SAFE, **changes}.items() if v is not None}
    return run_django(code, "lms.settings.production", **env)


def test_production_starts_when_everything_is_safe():
    result = _production(
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE,"
        " s.SESSION_ENGINE, s.CACHES['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "django.contrib.sessions.backends.cached_db",
        "django.core.cache.backends.redis.RedisCache",
        "False",
    ]


def test_the_web_application_leaves_what_it_loaded_to_the_garbage_collector_no_more():
    """``lms.wsgi`` freezes what setting Django up loaded: full collections then skip it."""
    result = _production(
        "import gc; before = gc.get_freeze_count(); import lms.wsgi;"
        " print(before, gc.get_freeze_count())"
    )
    assert result.returncode == 0, result.stderr
    before, after = map(int, result.stdout.split())
    assert after > before + 100_000  # the modules, models and settings


def test_the_web_application_freezes_what_its_first_requests_built():
    """The URL resolver is built by the first request and kept for the life of the process:
    the second request's freeze takes it out of the collector's reach."""
    result = _production(
        "import gc; from django.urls import get_resolver; import lms.wsgi;"
        " environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/api/v1/events/', 'SERVER_NAME':"
        " 'aula.example.org', 'SERVER_PORT': '443', 'wsgi.url_scheme': 'https',"
        " 'HTTP_X_FORWARDED_PROTO': 'https', 'HTTP_HOST': 'aula.example.org',"
        " 'wsgi.input': __import__('io').BytesIO()};"
        " answers = [];"
        " start = lambda status, headers, *rest: answers.append(status);"
        " tracked = lambda: any(o is get_resolver() for o in gc.get_objects());"
        " lms.wsgi.application(environ, start); first = tracked();"
        " lms.wsgi.application(environ, start); second = tracked();"
        " print(answers, first, second)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("]")[1].split() == ["True", "False"], result.stdout
    assert result.stdout.count("401 Unauthorized") == 2, result.stdout  # answered as ever


def test_the_web_application_freezes_at_the_points_it_names_and_answers_as_django(monkeypatch):
    import gc

    from lms.wsgi import FreezeWhenWarm

    events: list[str] = []
    monkeypatch.setattr(gc, "collect", lambda *a: events.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: events.append("freeze"))

    def django(environ, start_response):
        events.append(f"request {environ['n']}")
        return [b"answer"]

    application = FreezeWhenWarm(django, after=(3, 1))
    answers = [application({"n": n}, None) for n in range(1, 7)]
    assert answers == [[b"answer"]] * 6
    assert events == [
        "request 1",
        "collect",
        "freeze",  # after the 1st request
        "request 2",
        "request 3",
        "collect",
        "freeze",  # after the 3rd
        "request 4",
        "request 5",
        "request 6",  # and never again
    ]


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "corta"}, "DJANGO_SECRET_KEY"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"AULA_SIGNING_KEY": None}, "AULA_SIGNING_KEY no está definida"),
        # Validated when the settings load, not when the first constancia is signed.
        ({"AULA_SIGNING_KEY": "no-es-base64!"}, "AULA_SIGNING_KEY no es válida"),
        ({"AULA_SIGNING_KEY": "c2hvcnQ="}, "AULA_SIGNING_KEY no es válida"),
        ({"AULA_PUBLIC_URL": None}, "AULA_PUBLIC_URL no está definida"),
        ({"AULA_PUBLIC_URL": "http://aula.example.org"}, "dirección https completa"),
        ({"AULA_PUBLIC_URL": "aula.example.org"}, "dirección https completa"),
        ({"AULA_PUBLIC_URL": "https://localhost:8000"}, "misma máquina"),
        ({"AULA_PUBLIC_URL": "https://aula.example.org/?x=1"}, "sin usuario"),
        ({"EMAIL_URL": None}, "EMAIL_URL"),
        ({"EMAIL_URL": "consolemail://"}, "EMAIL_URL"),
        ({"CELERY_BROKER_URL": None}, "CELERY_BROKER_URL"),
        ({"CACHE_URL": None}, "CACHE_URL"),
        ({"CACHE_URL": "locmemcache://"}, "CACHE_URL"),
        ({"CACHE_URL": "filecache:///tmp/aula-cache"}, "CACHE_URL"),
        # With an LRS, the learners' pseudonyms need a key of their own.
        ({"XAPI_LRS_URL": "https://lrs.example.org"}, "XAPI_ACTOR_KEY debe tener"),
        (
            {"XAPI_LRS_URL": "https://lrs.example.org", "XAPI_ACTOR_KEY": "corta"},
            "XAPI_ACTOR_KEY debe tener",
        ),
        (
            {"XAPI_LRS_URL": "lrs.example.org", "XAPI_ACTOR_KEY": "k" * 40},
            "XAPI_LRS_URL (lrs.example.org)",
        ),
    ],
)
def test_production_refuses_unsafe_settings_naming_the_variable(changes, named):
    result = _production(**changes)
    assert result.returncode != 0
    assert "Aula no arranca en producción" in result.stderr
    assert named in result.stderr


def test_an_lrs_with_its_own_pseudonym_key_starts():
    result = _production(
        "from django.conf import settings as s; print(s.XAPI_LRS_URL)",
        XAPI_LRS_URL="https://lrs.example.org",
        XAPI_ACTOR_KEY="k" * 40,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://lrs.example.org"]


def test_every_problem_is_listed_at_once():
    result = _production(AULA_PUBLIC_URL=None, EMAIL_URL=None, CACHE_URL=None)
    assert result.returncode != 0
    for name in ("AULA_PUBLIC_URL", "EMAIL_URL", "CACHE_URL"):
        assert name in result.stderr


def test_each_waiver_allows_only_its_own_rule():
    result = _production(
        "from django.conf import settings as s; print(s.EMAIL_BACKEND,"
        " s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])",
        EMAIL_URL=None,
        CELERY_BROKER_URL=None,
        CACHE_URL=None,
        AULA_ALLOW_CONSOLE_EMAIL="true",
        AULA_ALLOW_EAGER_CELERY="true",
        AULA_ALLOW_LOCAL_CACHE="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.console.EmailBackend",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    result = _production(EMAIL_URL=None, CACHE_URL=None, AULA_ALLOW_CONSOLE_EMAIL="true")
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr and "EMAIL_URL" not in result.stderr


def test_check_deploy_applies_the_same_rules_to_the_live_settings():
    """``check --deploy`` on settings that are not production's (or were changed after
    loading) reports each problem as an error."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(_CLEARED)},
            "DJANGO_SETTINGS_MODULE": "lms.settings.base",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "aula.E001" in result.stderr
    for name in ("AULA_SIGNING_KEY", "AULA_PUBLIC_URL", "EMAIL_URL", "CELERY_BROKER_URL"):
        assert name in result.stderr


def test_check_deploy_also_checks_the_broker_and_the_page_size():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(_CLEARED)},
            "DJANGO_SETTINGS_MODULE": "lms.settings.base",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            "AULA_BROKER_VISIBILITY_TIMEOUT": "60",
            "AULA_CERTIFICATE_PAGE_SIZE": "legal",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "AULA_BROKER_VISIBILITY_TIMEOUT (60 s)" in result.stderr
    assert "AULA_CERTIFICATE_PAGE_SIZE (legal)" in result.stderr


def test_s3_storage_is_configured_from_the_environment():
    result = run_django(
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.querystring_auth)",
        "lms.settings.base",
        AWS_STORAGE_BUCKET_NAME="aula-media",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:8333",
    )
    assert result.stdout.split() == ["S3Storage", "aula-media", "http://127.0.0.1:8333", "True"]


def test_embedded_default_uses_sqlite_wal_and_eager_celery():
    result = run_django(
        "from django.conf import settings as s; db = s.DATABASES['default'];"
        "print(db['ENGINE'], 'WAL' in db['OPTIONS']['init_command'],"
        " s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.LANGUAGE_CODE,"
        " s.STORAGES['default']['BACKEND'])",
        "lms.settings.base",
    )
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "True",
        "django.core.mail.backends.console.EmailBackend",
        "es-mx",
        "django.core.files.storage.FileSystemStorage",
    ]


@pytest.mark.parametrize(
    ("setting", "options"),
    [(None, "True 5"), ("true", "True 5"), ("false", "None None")],
)
def test_postgresql_prepares_what_it_runs_often_unless_told_not_to(setting, options):
    """Server-side binding and psycopg's prepared statements on PostgreSQL, unless
    DB_PREPARED_STATEMENTS=false (PgBouncer in transaction mode without
    max_prepared_statements); SQLite has neither."""
    code = (
        "from django.conf import settings as s; o = s.DATABASES['default'].get('OPTIONS', {});"
        "print(o.get('server_side_binding'), o.get('prepare_threshold'))"
    )
    result = _production(
        code,
        DATABASE_URL="postgres://aula@db.example.org:5432/aula",
        DB_PREPARED_STATEMENTS=setting,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == options
    assert run_django(code, "lms.settings.base").stdout.strip() == "None None"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_a_statement_run_often_is_prepared_on_the_connection(db):
    """What the setting does on the live connection: the statement that reads a
    learner's row on every request is parsed and planned once, then executed."""
    from django.contrib.auth import get_user_model

    from lms.accounts.backends import AccountBackend

    user = get_user_model().objects.create_user(username="preparada")
    for _ in range(6):
        assert AccountBackend().get_user(user.pk) == user
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "accounts_user"' in statement for statement in prepared), prepared


def test_a_broker_turns_off_eager_mode():
    result = run_django(
        "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)",
        "lms.settings.base",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.strip() == "False"


def test_redis_replies_are_parsed_in_c():
    """hiredis is installed (pyproject): redis-py parses the replies of the cache, the
    sessions and the throttles with it instead of in Python."""
    from redis.connection import DefaultParser

    assert DefaultParser.__name__ == "_HiredisParser"
