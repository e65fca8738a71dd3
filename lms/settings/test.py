"""Test settings: fast hashing, files in a temporary folder, mail kept in memory.

The database comes from ``DATABASE_URL`` like everywhere else, so the same suite runs on
SQLite (the default) and on PostgreSQL.
"""

import tempfile

from .base import *
from .base import AWS_STORAGE_BUCKET_NAME, _media_storage, env

DEBUG = False
SECRET_KEY = "pruebas-no-es-secreta"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]

# A fast hasher keeps the suite quick; never used outside tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

MEDIA_ROOT = tempfile.mkdtemp(prefix="aula-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="aula-test-static-")
STORAGES = {
    # The storage tests start a real S3-compatible server and pass its bucket to worker
    # processes through AWS_STORAGE_BUCKET_NAME; otherwise files stay in a temp folder.
    "default": _media_storage
    if AWS_STORAGE_BUCKET_NAME
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The worker-kill test pauses a worker just before it stores a certificate's PDF
# (tests/faults.py); production code has no such switch.
if env.str("TEST_PAUSE_FIRST_CERTIFICATE_SAVE", default=""):
    STORAGES["default"] = {
        **STORAGES["default"],
        "BACKEND": "tests.faults.PausingS3Storage"
        if AWS_STORAGE_BUCKET_NAME
        else "tests.faults.PausingFileSystemStorage",
    }
# The database-outage test makes a worker lose its connection just before it inserts a
# certificate's row (tests/faults.py).
if env.str("TEST_LOSE_FIRST_CERTIFICATE_INSERT", default=""):
    from tests.faults import lose_first_certificate_insert

    lose_first_certificate_insert()
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default="")
# Worker tests use a queue of their own (tests/services.py).
CELERY_TASK_DEFAULT_QUEUE = env.str("TEST_CELERY_QUEUE", default="celery")
# Eager in the test process; a worker started by the tests gets a broker and is not.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# A worker started with beat embedded (tests/certificates/test_revocation_worker.py) runs
# only the certificates' sweep, every TEST_SWEEP_SECONDS instead of every 15 minutes.
if env.int("TEST_SWEEP_SECONDS", default=0):
    CELERY_BEAT_SCHEDULE = {
        "constancias-pendientes": {
            "task": "certificates.sweep",
            "schedule": env.int("TEST_SWEEP_SECONDS"),
        }
    }
# A Redis worker started by the crash test looks for messages to give back every second
# (kombu's default: every 100 s), with a small AULA_BROKER_VISIBILITY_TIMEOUT, and only
# among the messages taken from its own queue (Redis keeps one list of them per database).
if env.int("TEST_BROKER_RESTORE_INTERVAL", default=0):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,
        "unacked_restore_interval": env.int("TEST_BROKER_RESTORE_INTERVAL"),
        "unacked_restore_throttle": 1,
        "unacked_mutex_expire": 5,
        **{
            key: f"{key.removesuffix('_key')}:{CELERY_TASK_DEFAULT_QUEUE}"
            for key in ("unacked_key", "unacked_index_key", "unacked_mutex_key")
        },
    }

WAGTAILADMIN_BASE_URL = "http://testserver"
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Serve static files from the source folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES["default"]["CONN_MAX_AGE"] = 0
AULA_SIGNING_KEY = "q4C2Z5rP0bN8yJ1xW3vT6uS9oM7lK2hG4fD5sA8eR0c="  # test key, not a secret
AULA_PUBLIC_URL = "https://aula.example.org"
# A worker started by the tests shares the test process's cache (progress of bulk
# enrollment) through TEST_CACHE_URL; otherwise each process has its own.
CACHES = {"default": env.cache("TEST_CACHE_URL", default="locmemcache://")}
