from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.enrollment import api


class Command(BaseCommand):
    help = _("Crea la sede de demostración con las cuentas de demostración (solo desarrollo).")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(_("La sede de demostración solo existe en desarrollo."))
        users = get_user_model().objects
        try:
            sede = api.ensure_demo_sede(
                coordinator=users.get(username="coordinadora"),
                asesor=users.get(username="asesor"),
                learners=[users.get(username="educanda")],
            )
        except get_user_model().DoesNotExist as exc:
            raise CommandError(
                _("Cree antes las cuentas de demostración (demo_accounts).")
            ) from exc
        self.stdout.write(_("Sede de demostración: %(name)s") % {"name": sede.name})
