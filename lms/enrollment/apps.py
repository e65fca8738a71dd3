from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "lms.enrollment"
    label = "enrollment"
    verbose_name = _("Inscripciones")

    def ready(self):
        from lms.accounts.api import register_personal_data
        from lms.enrollment import api

        register_personal_data(key="inscripciones", export=api.export_personal_data)
