from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "lms.certificates"
    label = "certificates"
    verbose_name = _("Constancias")

    def ready(self):
        from lms.accounts.api import register_personal_data
        from lms.certificates import api
        from lms.certificates.models import Certificate
        from lms.enrollment import api as enrollment_api

        register_personal_data(key="constancias", export=api.export_personal_data)
        # A constancia's history (revoked, re-issued) is seen only by its learner's sede.
        enrollment_api.register_scoped_model(
            Certificate,
            in_scope=lambda user: Certificate.objects.filter(
                user_id__in=enrollment_api.learners_in_scope(user=user)
            ),
        )
        enrollment_api.course_completed.connect(
            api.on_course_completed, dispatch_uid="issue-certificate"
        )
