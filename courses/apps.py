from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Cursos")

    def ready(self) -> None:
        from courses import course_order, media, page_cache
        from courses.models import study_time

        course_order.connect()
        # Forget a course's cached outline when one of its pages changes.
        page_cache.connect()
        # Recompute a course's study time when its pages change.
        study_time.connect()
        media.register_policies()
        media.connect()
