from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LmsConfig(AppConfig):
    """The project itself, as an app: system checks, middleware and templates that belong
    to no single app (it has no models)."""

    name = "lms"
    verbose_name = _("Aula")

    def ready(self) -> None:
        from wagtail.admin.widgets.chooser import BaseChooser

        from lms import checks  # noqa: F401  (registers the checks)
        from lms.csp import nonced_chooser_render

        # The admin's inline scripts carry the response's CSP nonce (see lms/csp.py).
        BaseChooser.render = nonced_chooser_render
