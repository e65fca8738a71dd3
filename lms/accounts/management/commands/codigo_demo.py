from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.accounts import api


class Command(BaseCommand):
    help = _(
        "Imprime el código del segundo paso de una cuenta de demostración, para probar el "
        "sitio sin una aplicación de autenticación (solo desarrollo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("usuario")

    def handle(self, *args, usuario, **options):
        if not settings.DEBUG:
            raise CommandError(_("Solo en desarrollo (DJANGO_DEBUG=true)."))
        demo = {account.username for account in api.DEMO_ACCOUNTS}
        if usuario not in demo:
            raise CommandError(_("Solo para las cuentas de demostración: %s") % ", ".join(demo))
        user = api.get_user_by_username(username=usuario)
        if user is None:
            raise CommandError(_("Primero cree las cuentas: manage.py demo_accounts"))
        self.stdout.write(api.demo_second_factor_code(user=user))
