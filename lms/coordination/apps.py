from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "lms.coordination"
    label = "coordination"
    verbose_name = _("Coordinación")

    def ready(self):
        from lms.accounts import api as accounts_api
        from lms.coordination.workplace import coordination_workplace

        # Whoever may see a sede lands on /coordinacion/ after logging in, and their profile
        # links to it; accounts learns this here, without importing the apps above it.
        accounts_api.register_workplace(key="coordination", rule=coordination_workplace)
