from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "lms.enrollment"
    label = "enrollment"
    verbose_name = _("Inscripciones")

    def ready(self):
        # Imported here, not at the top: models may be imported only once the app
        # registry is ready, and this module is loaded before it is.
        from lms.accounts.api import register_personal_data, register_staff_rule
        from lms.enrollment import api
        from lms.enrollment.models import Grupo, Sede

        register_personal_data(key="inscripciones", export=api.export_personal_data)
        # Whoever coordinates a sede sees other people's data: the second sign-in step.
        register_staff_rule(api.coordinates_a_sede)
        # The history of sedes and grupos is seen only within their sede.
        api.register_scoped_model(Sede, in_scope=lambda user: api.sedes_in_scope(user=user))
        api.register_scoped_model(Grupo, in_scope=lambda user: api.grupos_in_scope(user=user))
