"""Sample learners with varied progress in the demo sede, so that the coordinator pages
of a development site show something real: people who are studying, who finished, who
stopped weeks ago and who keep failing the final exam. Development only; idempotent."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import api as courses_api
from courses import read_models as courses_models
from lms.accounts import api as accounts_api
from lms.assessments import api as assessments_api
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models
from lms.progress import api as progress_api

# (username, display name, phone, lessons done, days since last activity, fails exam)
PEOPLE = [
    ("demo-rosa", "Rosa Hernández", "+1 213 555 0110", 99, 2, False),
    ("demo-jose", "José Luis Ramírez", "", 3, 1, False),
    ("demo-lupita", "Guadalupe Ortiz", "+1 323 555 0142", 2, 5, False),
    ("demo-mario", "", "", 1, 20, False),
    ("demo-carmen", "Carmen Flores", "+1 626 555 0177", 4, 3, True),
    ("demo-juan", "Juan Pérez", "", 0, None, False),
    ("demo-silvia", "Silvia Castro", "", 5, 35, False),
    ("demo-pedro", "Pedro Sánchez", "+1 818 555 0190", 1, 9, False),
    ("demo-ana", "Ana María López", "", 99, 12, False),
    ("demo-beto", "", "", 2, 16, False),
]


class Command(BaseCommand):
    help = _("Crea educandos de ejemplo con avance en la sede de demostración (solo desarrollo).")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(_("Los datos de ejemplo solo existen en desarrollo."))
        grupo = enrollment_models.Grupo.objects.filter(sede__key="demostracion").first()
        if grupo is None:
            raise CommandError(_("Cree antes la sede de demostración (demo_sede)."))
        courses = list(courses_models.CoursePage.objects.live().order_by("path"))
        structure = courses_api.course_steps(course_ids=[c.pk for c in courses])
        now = timezone.now()
        made = 0
        for index, (username, name, phone, done, days_ago, fails) in enumerate(PEOPLE):
            if accounts_api.get_user_by_username(username=username):
                continue
            user = accounts_api.register_learner(
                username=username,
                password=secrets.token_urlsafe(16),  # nobody logs in as them
                display_name=name,
                phone=phone,
            )
            enrollment_api.add_to_grupo(grupo=grupo, user=user)
            course = courses[index % len(courses)]
            start = now - timedelta(days=(days_ago or 20) + 10)
            enrollment_api.enroll(user=user, course=course, when=start)
            steps = structure[course.pk]
            required = [s for s in steps.steps if s.page_id in steps.required_ids]
            lessons = [s for s in required if s.kind == "lesson"]
            # Who fails the final has finished the lessons first: the final opens after them.
            todo = required if done >= 99 else lessons if fails else lessons[:done]
            last = now - timedelta(days=days_ago or 0)
            for position, step in enumerate(todo):
                when = start + (last - start) * (position + 1) / len(todo)
                verb = "passed" if step.kind == "assessment" else "completed"
                progress_api.record_server_event(
                    user=user, verb=verb, page_id=step.page_id, when=when
                )
            if fails and steps.final_assessment_id:
                final = courses_models.AssessmentPage.objects.get(pk=steps.final_assessment_id)
                for _attempt in range(2):
                    assessments_api.submit_attempt(user=user, assessment=final, answers={})
            made += 1
        self.stdout.write(
            _("Educandos de ejemplo en la sede de demostración: %(n)d nuevos.") % {"n": made}
        )
        self._educanda_studies(courses, structure)

    def _educanda_studies(self, courses, structure) -> None:
        """The demo learner «educanda» finds a course under way: enrolled in the first
        course of the library with its first two lessons done (once; her own study after
        that is hers)."""
        educanda = accounts_api.get_user_by_username(username="educanda")
        if educanda is None or not courses or enrollment_api.enrollments_for(user=educanda):
            return
        course = next((c for c in courses if c.slug == "fracciones-y-porcentajes"), courses[0])
        enrollment_api.enroll(user=educanda, course=course)
        lessons = [s for s in structure[course.pk].steps if s.kind == "lesson" and s.required]
        for step in lessons[:2]:
            progress_api.record_server_event(user=educanda, verb="completed", page_id=step.page_id)
        self.stdout.write(
            _("«educanda» está inscrita en «%(course)s» con %(n)d lecciones terminadas.")
            % {"course": course.title, "n": len(lessons[:2])}
        )
