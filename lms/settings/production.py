"""Production: the same settings, stricter. Refuses to start with an unsafe configuration
(``safety.py`` lists the rules; the README's production section, the variables)."""

from .base import *
from .base import (
    AULA_BROKER_VISIBILITY_TIMEOUT,
    AULA_CERTIFICATE_PAGE_SIZE,
    AULA_CERTIFICATE_RETRY_BACKOFF_MAX,
    AULA_LONGEST_OTHER_RETRY_WAIT,
    CACHES,
    CELERY_BROKER_URL,
    EMAIL_BACKEND,
    XAPI_ACTOR_KEY,
    XAPI_LRS_URL,
    env,
)
from .safety import (
    ALLOW_CONSOLE_EMAIL,
    ALLOW_EAGER_CELERY,
    ALLOW_LOCAL_CACHE,
    broker_problems,
    certificate_problems,
    problems,
    refuse_unsafe,
    xapi_problems,
)

DEBUG = False

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
AULA_SIGNING_KEY = env.str("AULA_SIGNING_KEY", default="")
AULA_PUBLIC_URL = env.str("AULA_PUBLIC_URL", default="").rstrip("/")

AULA_ALLOWED_UNSAFE = {
    name
    for name in (ALLOW_CONSOLE_EMAIL, ALLOW_EAGER_CELERY, ALLOW_LOCAL_CACHE)
    if env.bool(name, default=False)
}
refuse_unsafe(
    problems(
        secret_key=SECRET_KEY,
        allowed_hosts=ALLOWED_HOSTS,
        signing_key=AULA_SIGNING_KEY,
        public_url=AULA_PUBLIC_URL,
        email_backend=EMAIL_BACKEND,
        celery_broker_url=CELERY_BROKER_URL,
        celery_always_eager=not CELERY_BROKER_URL,
        cache_backend=CACHES["default"]["BACKEND"],
        allowed=AULA_ALLOWED_UNSAFE,
    )
    + broker_problems(
        broker_url=CELERY_BROKER_URL,
        visibility_timeout=AULA_BROKER_VISIBILITY_TIMEOUT,
        longest_retry_wait=max(AULA_CERTIFICATE_RETRY_BACKOFF_MAX, AULA_LONGEST_OTHER_RETRY_WAIT),
    )
    + certificate_problems(page_size=AULA_CERTIFICATE_PAGE_SIZE)
    + xapi_problems(lrs_url=XAPI_LRS_URL, actor_key=XAPI_ACTOR_KEY)
)

# Sessions live in the shared cache (Redis), written through to the database so a cache
# restart logs nobody out. Rate limits (django-ratelimit) use the same cache; django-axes
# keeps its counts in the database, which every process shares already.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)

SILENCED_SYSTEM_CHECKS = [
    *SILENCED_SYSTEM_CHECKS,
    # Wagtail's live preview shows the page in a same-origin iframe: SAMEORIGIN, not DENY.
    "security.W019",
    # Subdomains and preload lists belong to whoever owns the domain: opt in by env.
    "security.W005",
    "security.W021",
]
