from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Models-less: only carries the migrations (see the package docstring)."""

    name = "lms.reports"
    label = "reports"
    verbose_name = _("Informes")
