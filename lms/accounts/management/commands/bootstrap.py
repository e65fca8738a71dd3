from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from courses import api as courses_api
from lms.accounts import api as accounts_api


class Command(BaseCommand):
    help = _(
        "Prepara un sitio nuevo (o repara uno existente): páginas de inicio y catálogo, "
        "currículo MEVyT, roles, permisos y flujo de revisión pedagógica. Idempotente."
    )

    def handle(self, *args, **options):
        courses_api.ensure_site()
        courses_api.load_curriculum(update=False)
        accounts_api.ensure_roles()
        self.stdout.write(_("Sitio listo: inicio, catálogo (/cursos/), currículo y roles."))
