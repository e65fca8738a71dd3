"""Recount the item analysis's tallies from the item responses and attempts."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from lms.assessments import api


class Command(BaseCommand):
    help = _(
        "Vuelve a contar, a partir de las respuestas guardadas, las cifras del análisis de "
        "preguntas (de una evaluación o de todas)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--evaluacion",
            type=int,
            dest="assessment_id",
            help=_("El id de la página de la evaluación; sin él, todas."),
        )

    def handle(self, *args, assessment_id=None, **options):
        started = time.perf_counter()
        api.rebuild_tallies(assessment_id=assessment_id)
        self.stdout.write(
            _("Cifras del análisis de preguntas recontadas en %(seconds).1f s.")
            % {"seconds": time.perf_counter() - started}
        )
