"""Test settings: fast hashing, files in a temporary folder, mail kept in memory.

The database comes from ``DATABASE_URL`` like everywhere else, so the same suite runs on
SQLite (the default) and on PostgreSQL.
"""

import tempfile

from .base import *
from .base import env

DEBUG = False
SECRET_KEY = "pruebas-no-es-secreta"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# A fast hasher keeps the suite quick; never used outside tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

MEDIA_ROOT = tempfile.mkdtemp(prefix="aula-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="aula-test-static-")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = True

WAGTAILADMIN_BASE_URL = "http://testserver"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Serve static files from the source folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES["default"]["CONN_MAX_AGE"] = 0
