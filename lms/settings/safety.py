"""What production refuses to start with.

Pure functions of setting values, with no Django import beyond the exception: the
production settings call ``refuse_unsafe`` while they load, so a web process, a worker or
``manage.py`` stops before serving anything; the deploy system check
(``lms.checks.production_settings``, run by ``check --deploy``) calls ``problems`` on the
live settings, so a settings module that changes a value after loading is caught too.

Each message is Spanish, names the environment variable and says what to do. Three of the
rules can be waived on purpose, each with its own variable, for a one-machine pilot that
knows what it gives up (see the README's production section).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

ALLOW_CONSOLE_EMAIL = "AULA_ALLOW_CONSOLE_EMAIL"
ALLOW_EAGER_CELERY = "AULA_ALLOW_EAGER_CELERY"
ALLOW_LOCAL_CACHE = "AULA_ALLOW_LOCAL_CACHE"

# Email backends that deliver nothing to anyone.
UNDELIVERED_EMAIL = (
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)
# Cache backends whose contents one process (or one machine) keeps to itself: rate limits
# and sessions kept there are not shared by the other web processes.
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


def signing_key_problem(encoded: str) -> str | None:
    """Why ``encoded`` is not a usable Ed25519 private key (32 bytes, base64), or None."""
    if not encoded:
        return (
            "AULA_SIGNING_KEY no está definida: hace falta para firmar las constancias. "
            "Genere una con `python -c 'import base64,os; "
            "print(base64.b64encode(os.urandom(32)).decode())'` y guárdela en un lugar seguro."
        )
    try:
        seed = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        return (
            "AULA_SIGNING_KEY no es válida: debe ser una clave Ed25519 de 32 bytes en base64 "
            "(44 caracteres que terminan en «=»). Revise que la copió completa."
        )
    return None


def public_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be printed on constancias and signed into credentials, or None."""
    if not url:
        return (
            "AULA_PUBLIC_URL no está definida: es la dirección que se imprime en las "
            "constancias y se firma en cada credencial, y no se puede cambiar después. "
            "Escríbala completa, por ejemplo https://aula.ejemplo.org"
        )
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return (
            f"AULA_PUBLIC_URL ({url}) debe ser una dirección https completa, por ejemplo "
            "https://aula.ejemplo.org: se imprime en las constancias y se firma en cada "
            "credencial."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        return (
            f"AULA_PUBLIC_URL ({url}) debe ser solo la dirección del sitio, sin usuario, "
            "contraseña, «?» ni «#»."
        )
    if parts.hostname in {"localhost", "127.0.0.1", "::1"} or parts.hostname.endswith(".localhost"):
        return (
            f"AULA_PUBLIC_URL ({url}) apunta a esta misma máquina: nadie más podría "
            "verificar las constancias. Use la dirección pública del sitio."
        )
    return None


def problems(
    *,
    secret_key: str,
    allowed_hosts: list[str],
    signing_key: str,
    public_url: str,
    email_backend: str,
    celery_broker_url: str,
    celery_always_eager: bool,
    cache_backend: str,
    allowed: set[str],
) -> list[str]:
    """Every reason these production settings are unsafe, in Spanish; [] when none.

    ``allowed`` holds the names of the waivers (``ALLOW_*``) set to true.
    """
    found: list[str] = []
    if not secret_key or secret_key.startswith("django-insecure") or len(secret_key) < 40:
        found.append(
            "DJANGO_SECRET_KEY no está definida (o es demasiado corta): Aula no arranca en "
            "producción sin una clave secreta propia de al menos 40 caracteres. Genere una "
            "con `python -c 'import secrets; print(secrets.token_urlsafe(50))'` y expórtela."
        )
    if not allowed_hosts or "*" in allowed_hosts:
        found.append(
            "ALLOWED_HOSTS debe nombrar los dominios del sitio, separados por comas "
            "(por ejemplo aula.ejemplo.org), nunca «*»."
        )
    for problem in (signing_key_problem(signing_key), public_url_problem(public_url)):
        if problem:
            found.append(problem)
    if email_backend in UNDELIVERED_EMAIL and ALLOW_CONSOLE_EMAIL not in allowed:
        found.append(
            "EMAIL_URL no está definida (o no envía correos): los avisos, las contraseñas "
            "olvidadas y los resúmenes semanales no llegarían a nadie. Defina EMAIL_URL, por "
            "ejemplo smtp+tls://usuario:contraseña@smtp.ejemplo.org:587, o, si de verdad no "
            f"quiere enviar correos, {ALLOW_CONSOLE_EMAIL}=true."
        )
    if (not celery_broker_url or celery_always_eager) and ALLOW_EAGER_CELERY not in allowed:
        found.append(
            "CELERY_BROKER_URL no está definida: sin ella las constancias, las exportaciones "
            "y las inscripciones masivas se harían dentro de cada petición web y nadie "
            "enviaría los recordatorios. Defínala (redis://servidor:6379/0 o "
            "amqp://usuario:contraseña@servidor:5672//) y arranque `celery worker` y "
            f"`celery beat`, o, para una prueba en una sola máquina, {ALLOW_EAGER_CELERY}=true."
        )
    if cache_backend in PER_PROCESS_CACHES and ALLOW_LOCAL_CACHE not in allowed:
        found.append(
            "CACHE_URL no está definida (o es local a cada proceso): los límites de intentos "
            "y las sesiones no se compartirían entre los procesos web, y cada uno dejaría "
            "intentar de nuevo. Defina CACHE_URL=redis://servidor:6379/1, o, con un solo "
            f"proceso web, {ALLOW_LOCAL_CACHE}=true."
        )
    return found


# Brokers that give back an unacknowledged message only after a visibility timeout.
VISIBILITY_TIMEOUT_BROKERS = ("redis", "rediss", "sentinel", "sqs")
PAGE_SIZES = ("letter", "a4")


def broker_problems(
    *, broker_url: str, visibility_timeout: int, longest_retry_wait: int
) -> list[str]:
    """Why this broker would run a task twice, or []: with Redis (or SQS) a retry waits
    for its time holding its message unacknowledged, and the broker gives the message to
    another worker once the visibility timeout passes."""
    scheme = urlsplit(broker_url).scheme.split("+")[0].lower()
    if scheme not in VISIBILITY_TIMEOUT_BROKERS or visibility_timeout > longest_retry_wait:
        return []
    return [
        f"AULA_BROKER_VISIBILITY_TIMEOUT ({visibility_timeout} s) debe ser mayor que la "
        f"espera más larga entre dos intentos de una tarea ({longest_retry_wait} s; la de "
        "las constancias es AULA_CERTIFICATE_RETRY_BACKOFF_MAX): con Redis, una tarea que "
        "espera su reintento más que eso se ejecutaría dos veces. Auméntela, o use RabbitMQ "
        "(CELERY_BROKER_URL=amqp://usuario:contraseña@servidor:5672//), que devuelve las "
        "tareas de un worker caído en cuanto se corta su conexión."
    ]


def certificate_problems(*, page_size: str) -> list[str]:
    """Why the constancias' settings are wrong, or []."""
    if page_size in PAGE_SIZES:
        return []
    return [
        f"AULA_CERTIFICATE_PAGE_SIZE ({page_size}) debe ser «letter» (carta, el valor "
        "predeterminado) o «a4»."
    ]


XAPI_ACTOR_KEY_MIN_LENGTH = 32


def xapi_problems(*, lrs_url: str, actor_key: str) -> list[str]:
    """Why the xAPI settings are unsafe, or []. With an LRS, the learners' pseudonyms in
    it are keyed by ``XAPI_ACTOR_KEY``: without one of its own they would follow the
    secret key, and rotating that would make every learner a stranger to the LRS."""
    found: list[str] = []
    if not lrs_url:
        return found
    parts = urlsplit(lrs_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        found.append(
            f"XAPI_LRS_URL ({lrs_url}) debe ser una dirección completa, por ejemplo "
            "https://lrs.example.org."
        )
    if len(actor_key) < XAPI_ACTOR_KEY_MIN_LENGTH:
        found.append(
            "XAPI_ACTOR_KEY debe tener al menos 32 caracteres cuando XAPI_LRS_URL está "
            "definida: es la clave de los seudónimos de los educandos en el LRS. Genere una "
            "con `python -c 'import secrets; print(secrets.token_urlsafe(48))'` y no la "
            "cambie: con otra clave cada educando tendría otro seudónimo."
        )
    return found


def refuse_unsafe(found: list[str]) -> None:
    """Raise ``ImproperlyConfigured`` listing every problem at once (fixing one at a time
    across restarts is a bad afternoon)."""
    if found:
        raise ImproperlyConfigured(
            "Aula no arranca en producción con esta configuración:\n- " + "\n- ".join(found)
        )
