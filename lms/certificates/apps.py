from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "lms.certificates"
    label = "certificates"
    verbose_name = _("Constancias")

    def ready(self):
        from lms.accounts.api import register_personal_data
        from lms.certificates import api
        from lms.enrollment.signals import course_completed

        register_personal_data(key="constancias", export=api.export_personal_data)
        course_completed.connect(api.on_course_completed, dispatch_uid="issue-certificate")
