from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    """The project itself, as an app: system checks, middleware and templates that belong
    to no single app (it has no models)."""

    name = "lms"
    verbose_name = _("Aula")

    def ready(self) -> None:
        from lms import checks  # noqa: F401  (registers the checks)
