from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    name = "lms.progress"
    label = "progress"
    verbose_name = _("Avance")

    def ready(self):
        from lms.accounts.api import register_personal_data
        from lms.progress import api

        register_personal_data(key="avance", export=api.export_personal_data)
