"""Settings for every environment, read from environment variables.

Without any variable set this is the *embedded default*: SQLite in WAL mode, files in
``media/``, Celery tasks run eagerly, email printed to the console. Production is the same
code with ``lms.settings.production`` and the variables documented in the README.

Media storage and the security settings are in ``storage.py`` and ``security.py``,
imported below, so ``from .base import *`` still brings every setting.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

# Two parts live next to this file: where uploaded files are stored (storage.py) and the
# security settings (security.py). Everything they define is part of these settings.
from .security import *
from .storage import *
from .storage import _media_storage

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Only the development default may run without a real secret; production.py refuses.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-solo-para-desarrollo-local")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "lms.apps.LmsConfig",
    "lms.accounts",
    "lms.enrollment",
    "lms.progress",
    "lms.assessments",
    "lms.certificates",
    "lms.coordination",
    "lms.exports",
    "lms.notifications",
    "lms.evaluation",
    "lms.xapi",
    # No models or code: only the migrations that hand its two tables to exports and
    # notifications (see lms/reports/__init__.py). It can go once they are squashed.
    "lms.reports",
    "courses",
    "content",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "lms.accounts.wagtail_users.AulaUsersConfig",  # wagtail.users with Aula's user forms
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Only for its translations: Wagtail's admin uses humanize's naturaltime ("ahora",
    # "hace 2 minutos") without the app, which left "now" in English.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Widget templates are looked up like every other template (FORM_RENDERER below), so
    # the project's templates/ can override the admin's (lms/csp.py).
    "django.forms",
    "storages",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Learners pay for data: compress HTML (Django's gzip carries a BREACH mitigation).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lms.middleware.SpanishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Coordinators and administrators confirm each sign-in with a second step (TOTP).
    "django_otp.middleware.OTPMiddleware",
    "lms.accounts.middleware.SecondFactorMiddleware",
    # Anything answered to a signed-in person may carry personal data: never cached.
    "lms.middleware.PrivateResponsesMiddleware",
    # Tells the phone's service worker who is signed in (studying offline).
    "lms.middleware.OfflineLearnerMiddleware",
    "lms.middleware.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it turns locked-out logins into a clear page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "lms.wsgi.application"

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the site read while a background task writes; IMMEDIATE avoids
    # "database is locked" on write transactions that start as reads.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# Persistent connections, on SQLite too: opening one (and its PRAGMAs) cost a request
# about a millisecond, a quarter of a cached page's time.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DB_PREPARED_STATEMENTS", default=True
):
    # The server binds the parameters, and a statement run five times on a connection
    # is prepared there (psycopg's prepare_threshold): parsed and planned once, not on
    # every request. On the capacity benchmark PostgreSQL's CPU per request fell by a
    # third (bench/capacity.py). Behind PgBouncer in transaction mode this needs
    # PgBouncer 1.21 or later with max_prepared_statements set; or set
    # DB_PREPARED_STATEMENTS=false (README, "Production").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language: Spanish (Mexico) first, English available ------------------------------
# Set before the first migrate: Wagtail's default Locale is created from it.
LANGUAGE_CODE = "es-mx"
LANGUAGES = [
    ("es-mx", _("Español (México)")),
    ("en", _("Inglés")),
]
# Aula's own catalogs, then Spanish for the Wagtail admin strings Wagtail's own Spanish
# catalog lacks (English msgids; compiled by ``compilemessages`` like the others).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_wagtail"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True
WAGTAIL_CONTENT_LANGUAGES = [("es-mx", "Español (México)")]
WAGTAILADMIN_PERMITTED_LANGUAGES = [("es", "Español"), ("en", "English")]
WAGTAIL_I18N_ENABLED = False

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# Uploaded files go to an S3 bucket or to MEDIA_ROOT: ``_media_storage`` (storage.py).
STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Aula <no-responder@localhost>")

# --- Cache (rate limits; Redis in production so every process shares the counts) -------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
RATELIMIT_VIEW = "lms.views.rate_limited"
# Behind a load balancer the client address is in a header, e.g. HTTP_X_FORWARDED_FOR:
# set it here (rate limits) and in AXES_IPWARE_META_PRECEDENCE_ORDER (login lockout).
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="") or None
# Per address: generous enough for a Plaza Comunitaria signing up a whole group at once.
AULA_SIGNUP_RATE = env.str("AULA_SIGNUP_RATE", default="60/h")
AULA_RESET_CODE_RATE = env.str("AULA_RESET_CODE_RATE", default="30/h")

# --- Certificates -----------------------------------------------------------------------
# Ed25519 private key, 32 bytes base64. Without it development derives one from
# SECRET_KEY; production refuses to start (settings/production.py).
AULA_SIGNING_KEY = env.str("AULA_SIGNING_KEY", default="")
# The public address printed on certificates (QR code) and used in credentials.
AULA_PUBLIC_URL = env.str("AULA_PUBLIC_URL", default="")
# "letter" or "a4" (production refuses anything else).
AULA_CERTIFICATE_PAGE_SIZE = env.str("AULA_CERTIFICATE_PAGE_SIZE", default="letter").lower()
# While storage or the database is down, the longest wait between two tries to issue
# (seconds; the backoff doubles from 5 s up to this, with jitter). The rest of the retry
# policy is on the task (lms/certificates/tasks.py), which reads this each time it retries.
AULA_CERTIFICATE_RETRY_BACKOFF_MAX = env.int("AULA_CERTIFICATE_RETRY_BACKOFF_MAX", default=600)
# A stored PDF that no certificate names (its issue was killed between storing the file and
# inserting the row) is deleted by the nightly cleanup once it is this old (seconds): a PDF
# being issued right now has no row yet for a moment (lms/certificates/cleanup.py).
AULA_CERTIFICATE_ORPHAN_AGE = env.int("AULA_CERTIFICATE_ORPHAN_AGE", default=24 * 60 * 60)
# Light versions of uploaded videos and audios (content/media.py, content/tasks.py): a
# failed transcode is tried this many more times, at most this many seconds apart, then
# marked failed for the author; each ffmpeg run is stopped after AULA_FFMPEG_TIMEOUT s.
AULA_MEDIA_MAX_RETRIES = env.int("AULA_MEDIA_MAX_RETRIES", default=3)
AULA_MEDIA_RETRY_BACKOFF_MAX = env.int("AULA_MEDIA_RETRY_BACKOFF_MAX", default=300)
AULA_FFMPEG_TIMEOUT = env.int("AULA_FFMPEG_TIMEOUT", default=20 * 60)

# --- xAPI: learning records out to a Learning Record Store (lms/xapi) ---------------------
# The LRS's base address (statements go to <XAPI_LRS_URL>/xAPI/statements); empty: off.
XAPI_LRS_URL = env.str("XAPI_LRS_URL", default="")
XAPI_LRS_USERNAME = env.str("XAPI_LRS_USERNAME", default="")
XAPI_LRS_PASSWORD = env.str("XAPI_LRS_PASSWORD", default="")
# Statements per request, and the seconds to wait for the LRS's answer.
XAPI_BATCH_SIZE = env.int("XAPI_BATCH_SIZE", default=100)
XAPI_LRS_TIMEOUT = env.float("XAPI_LRS_TIMEOUT", default=10.0)
# The longest wait between two tries of a delivery while the LRS is down (seconds).
XAPI_RETRY_BACKOFF_MAX = env.int("XAPI_RETRY_BACKOFF_MAX", default=300)
# Key of the learners' pseudonyms in statements (HMAC of the user id). Empty: derived
# from SECRET_KEY. Set it in production: changing it gives every learner a new name in
# the LRS.
XAPI_ACTOR_KEY = env.str("XAPI_ACTOR_KEY", default="")

# --- Celery ---------------------------------------------------------------------------
# RabbitMQ (amqp://) is the production broker: every task acknowledges its message only
# once done (acks_late), and RabbitMQ gives back a message the moment the connection of
# the worker that holds it drops (a crash, a kill, a machine lost: at the latest after
# the heartbeat), so another worker takes it at once. Redis gives a message back only
# once it has been unacknowledged for the visibility timeout below. RabbitMQ closes a
# channel that holds a message unacknowledged longer than its consumer_timeout (30 min by
# default), and a retry waiting for its time is held that way: give RabbitMQ a
# consumer_timeout longer than the longest retry wait (see below), e.g. 2 hours.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# With Redis (or SQS), the seconds after which a message taken by a worker and not yet
# acknowledged goes back to the queue: a task of a crashed worker waits this long. It must
# be longer than the longest wait of any retry plus the task's run, or a waiting retry
# (held unacknowledged until its time) would run twice: the certificates' retries wait up
# to AULA_CERTIFICATE_RETRY_BACKOFF_MAX, the welcome email's up to an hour
# (AULA_LONGEST_OTHER_RETRY_WAIT, kept in step with every task by
# tests/certificates/test_certificate_settings.py). Production refuses one that is not
# longer than both (lms/settings/safety.py).
AULA_LONGEST_OTHER_RETRY_WAIT = 60 * 60
AULA_BROKER_VISIBILITY_TIMEOUT = env.int(
    "AULA_BROKER_VISIBILITY_TIMEOUT",
    default=max(AULA_CERTIFICATE_RETRY_BACKOFF_MAX, AULA_LONGEST_OTHER_RETRY_WAIT) + 5 * 60,
)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": AULA_BROKER_VISIBILITY_TIMEOUT}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# The embedded default has no broker: run tasks in-process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Every 15 minutes: queue the completed enrollments still without a constancia.
    "constancias-pendientes": {"task": "certificates.sweep", "schedule": 15 * 60},
    # Nightly: delete constancia PDFs that no row names, older than AULA_CERTIFICATE_ORPHAN_AGE.
    "constancias-huerfanas": {
        "task": "certificates.delete_orphan_pdfs",
        "schedule": crontab(minute=50, hour=3),
    },
    # The "reports." task names are older than the apps that now run them (exports,
    # notifications) and stay as they are: they are stable identifiers (see their tasks.py).
    # Mondays 8:00 (TIME_ZONE): the coordinators' weekly digest.
    "resumen-semanal": {
        "task": "reports.weekly_digest",
        "schedule": crontab(minute=0, hour=8, day_of_week=1),
    },
    # Every day at 10:00; each learner gets at most one reminder a week.
    "recordatorios": {
        "task": "reports.send_reminders",
        "schedule": crontab(minute=0, hour=10),
    },
    # Nightly: delete old export files, unapplied uploads and expired sheets of codes.
    "limpieza-exportaciones": {"task": "reports.cleanup", "schedule": crontab(minute=30, hour=3)},
    "limpieza-inscripciones": {
        "task": "enrollment.cleanup",
        "schedule": crontab(minute=40, hour=3),
    },
    # Every minute: xAPI statements to the LRS (nothing while XAPI_LRS_URL is empty);
    # nightly, any the minute runs missed.
    "xapi-enviar": {"task": "xapi.deliver", "schedule": 60, "options": {"expires": 55}},
    "xapi-conciliar": {"task": "xapi.reconcile", "schedule": crontab(minute=20, hour=4)},
    # The whole program's evaluation figures, ahead of their 20 minutes in the cache.
    "evaluacion-cifras": {
        "task": "evaluation.warm_figures",
        "schedule": 10 * 60,
        "options": {"expires": 9 * 60},
    },
    # 1 January, April, July and October at 5:00: the evaluation reports of the quarter just
    # ended, for the program and each sede (lms/evaluation/tasks.py).
    "informes-de-evaluacion": {
        "task": "evaluation.quarterly_reports",
        "schedule": crontab(minute=0, hour=5, day_of_month=1, month_of_year="1,4,7,10"),
    },
}

# Covering indexes (INCLUDE) exist on PostgreSQL; SQLite builds the same index without the
# extra columns, which is all the embedded default needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Coordination -----------------------------------------------------------------------
# A learner is "at risk" after this many days without studying a course they are enrolled
# in, or after this many failed attempts at one assessment without passing it.
AULA_AT_RISK_DAYS = env.int("AULA_AT_RISK_DAYS", default=14)
AULA_AT_RISK_FAILED_ATTEMPTS = env.int("AULA_AT_RISK_FAILED_ATTEMPTS", default=2)
# Learners inactive this many days get a reminder email (if they gave an email and did not
# opt out), never more than one a week.
AULA_REMINDER_AFTER_DAYS = env.int("AULA_REMINDER_AFTER_DAYS", default=7)
# Exports up to this many rows stream in the request; larger ones run as a Celery task.
AULA_EXPORT_STREAM_MAX_ROWS = env.int("AULA_EXPORT_STREAM_MAX_ROWS", default=50000)
# XLSX files are built whole before they are sent (about 4 times slower than CSV).
AULA_EXPORT_XLSX_MAX_ROWS = env.int("AULA_EXPORT_XLSX_MAX_ROWS", default=10000)
# Days an export file or a sheet of access codes is kept before it is deleted.
AULA_EXPORT_KEEP_DAYS = env.int("AULA_EXPORT_KEEP_DAYS", default=7)
# Most rows accepted in one bulk-enrollment file.
AULA_BULK_MAX_ROWS = env.int("AULA_BULK_MAX_ROWS", default=2000)

# --- Evaluation -------------------------------------------------------------------------
# Groups (a course, sede, grupo or cohort) with fewer learners than this show "muy pocos
# datos" instead of figures, so nobody can be singled out.
AULA_EVALUATION_MIN_GROUP = env.int("AULA_EVALUATION_MIN_GROUP", default=10)

# --- Wagtail --------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Aula"
# New pages get addresses without accents ("que-es-una-fraccion", not "qué-es-una-fracción",
# which phones show and share as "qu%C3%A9-es-una-fracci%C3%B3n"): the editor's slug and
# the one made from the title when it is left empty are ASCII.
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = [
    "pdf",
    "csv",
    "xlsx",
    "docx",
    "txt",
    "vtt",
    "mp4",
    "webm",
    "mp3",
    "m4a",
    "ogg",
]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Subtitles (.vtt) and videos are checked on upload, with Spanish errors (content/forms.py).
WAGTAILDOCS_DOCUMENT_FORM_BASE = "content.forms.DocumentForm"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 5 * 1024 * 1024
# SVG drawings too (light and sharp on any phone), checked on upload: no script, nothing
# external, at most 200 KB (content/svg.py, content/forms.py). Lessons show them as the SVG
# itself (a "preserve-svg" rendition), never rasterised.
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp", "svg"]
WAGTAILIMAGES_IMAGE_FORM_BASE = "content.forms.ImageForm"
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_WORKFLOW_REQUIRE_APPROVAL_TO_RESUME = True
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "wagtail.search.backends.database",
        # PostgreSQL full-text search with Spanish stemming; SQLite uses FTS5.
        "SEARCH_CONFIG": "spanish",
    }
}
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {"features": ["bold", "italic", "ol", "ul", "link"]},
    }
}

# --- Security: headers, sign-in and lockout are in security.py ------------------------

# --- JSON API (Django REST framework, its OpenAPI schema) -----------------------------
REST_FRAMEWORK = {
    # Personal tokens from "Mi cuenta" first (``Authorization: Bearer aula_…``), so a call
    # without credentials gets 401 with ``WWW-Authenticate: Bearer``; DRF tokens made
    # earlier (``Authorization: Token …``) keep working; then the site's own session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lms.accounts.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"events": "120/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Aula API",
    "DESCRIPTION": "API JSON de Aula para clientes (aplicación sin conexión, integraciones).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from this site: the docs page makes no third-party requests.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Only Aula's public API; Wagtail's admin API is internal.
    "PREPROCESSING_HOOKS": ["lms.api_urls.public_endpoints_only"],
}
# The request body limit of every endpoint (the events endpoint checks its own, smaller).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Wagtail's in-process background work (search index, reference index) is chatty.
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}
