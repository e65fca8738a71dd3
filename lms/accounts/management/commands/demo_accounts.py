from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.accounts import api


class Command(BaseCommand):
    help = _("Crea una cuenta de demostración por rol e imprime sus contraseñas (solo desarrollo).")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                _("Las cuentas de demostración solo existen en desarrollo (DJANGO_DEBUG=true).")
            )
        accounts = api.ensure_demo_accounts()
        self.stdout.write(_("Cuentas de demostración (solo desarrollo):"))
        for account in accounts:
            self.stdout.write(
                f"  {api.roles.ROLE_LABELS[account.role]!s:<14} "
                f"{_('usuario')}: {account.username:<13} {_('contraseña')}: {account.password}"
            )
        self.stdout.write(
            _(
                "Coordinadora y admin confirman su entrada con un segundo paso; en desarrollo "
                "el código de 6 números lo da: .venv/bin/python manage.py codigo_demo USUARIO"
            )
        )
