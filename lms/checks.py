"""Project-wide system checks."""

from django.conf import settings
from django.core import checks

from lms.settings import safety


@checks.register(checks.Tags.security, deploy=True)
def production_settings(app_configs, **kwargs):
    """``check --deploy``: the same rules production applies while its settings load
    (``lms.settings.safety``), on the live settings."""
    found = safety.problems(
        secret_key=settings.SECRET_KEY,
        allowed_hosts=list(settings.ALLOWED_HOSTS),
        signing_key=getattr(settings, "AULA_SIGNING_KEY", ""),
        public_url=getattr(settings, "AULA_PUBLIC_URL", ""),
        email_backend=settings.EMAIL_BACKEND,
        celery_broker_url=getattr(settings, "CELERY_BROKER_URL", ""),
        celery_always_eager=getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False),
        cache_backend=settings.CACHES["default"]["BACKEND"],
        allowed=set(getattr(settings, "AULA_ALLOWED_UNSAFE", ())),
    )
    found += safety.broker_problems(
        broker_url=getattr(settings, "CELERY_BROKER_URL", ""),
        visibility_timeout=settings.AULA_BROKER_VISIBILITY_TIMEOUT,
        longest_retry_wait=max(
            settings.AULA_CERTIFICATE_RETRY_BACKOFF_MAX, settings.AULA_LONGEST_OTHER_RETRY_WAIT
        ),
    )
    found += safety.certificate_problems(page_size=settings.AULA_CERTIFICATE_PAGE_SIZE)
    found += safety.xapi_problems(lrs_url=settings.XAPI_LRS_URL, actor_key=settings.XAPI_ACTOR_KEY)
    return [checks.Error(message, id="aula.E001") for message in found]
