"""Settings come from the environment; production fails fast without a secret."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_CLEARED = ("DJANGO_", "DATABASE_URL", "CELERY_", "EMAIL_", "AWS_")


def _django(code: str, settings: str, **env) -> subprocess.CompletedProcess:
    """Run ``code`` after ``django.setup()`` in a fresh process with only ``env`` set."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_CLEARED)}
    environment.update(DJANGO_SETTINGS_MODULE=settings, **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


SIGNING_KEY = "q4C2Z5rP0bN8yJ1xW3vT6uS9oM7lK2hG4fD5sA8eR0c="


def test_production_refuses_to_start_without_a_signing_key():
    result = _django(
        "", "lms.settings.production", ALLOWED_HOSTS="example.org", DJANGO_SECRET_KEY="x" * 50
    )
    assert result.returncode != 0
    assert "AULA_SIGNING_KEY" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _django(
        "", "lms.settings.production", ALLOWED_HOSTS="example.org", AULA_SIGNING_KEY=SIGNING_KEY
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY no está definida" in result.stderr


def test_production_starts_with_a_secret_key():
    result = _django(
        "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)",
        "lms.settings.production",
        ALLOWED_HOSTS="example.org",
        DJANGO_SECRET_KEY="x" * 50,
        AULA_SIGNING_KEY=SIGNING_KEY,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_s3_storage_is_configured_from_the_environment():
    result = _django(
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__name__, s.bucket_name, s.endpoint_url, s.querystring_auth)",
        "lms.settings.base",
        AWS_STORAGE_BUCKET_NAME="aula-media",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:8333",
    )
    assert result.stdout.split() == ["S3Storage", "aula-media", "http://127.0.0.1:8333", "True"]


def test_embedded_default_uses_sqlite_wal_and_eager_celery():
    result = _django(
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


def test_a_broker_turns_off_eager_mode():
    result = _django(
        "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER)",
        "lms.settings.base",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.strip() == "False"
