from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "lms.assessments"
    label = "assessments"
    verbose_name = _("Evaluaciones")

    def ready(self):
        from lms.accounts.api import register_personal_data
        from lms.assessments import api, entry_check

        register_personal_data(key="evaluaciones", export=api.export_personal_data)
        register_personal_data(key="pruebas_de_entrada", export=entry_check.export_personal_data)
