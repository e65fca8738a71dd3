"""Production: the same settings, stricter. Refuses to start without a real secret key."""

from django.core.exceptions import ImproperlyConfigured

from .base import *
from .base import env

DEBUG = False

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY no está definida: Aula no arranca en producción sin una clave "
        "secreta propia. Genere una con "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` y expórtela."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

if not env.str("AULA_SIGNING_KEY", default=""):
    raise ImproperlyConfigured(
        "AULA_SIGNING_KEY no está definida: hace falta para firmar las constancias. Genere "
        "una con `python -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())'`."
    )

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
