from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.accounts import api


class Command(BaseCommand):
    help = _(
        "Crea un código de un solo uso para que una persona sin correo elija una contraseña "
        "nueva en /cuenta/codigo/. Los códigos anteriores de esa persona dejan de servir."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help=_("el nombre de usuario de la persona"))

    def handle(self, *args, username: str, **options):
        user = api.get_user_by_username(username=username)
        if user is None:
            raise CommandError(
                _("No hay ninguna cuenta con el usuario «%(username)s».") % {"username": username}
            )
        code = api.issue_reset_code(user=user, issued_by=None)
        self.stdout.write(
            _("Código para %(username)s: %(code)s")
            % {"username": user.get_username(), "code": api.format_reset_code(code)}
        )
        self.stdout.write(
            _(
                "Sirve una sola vez durante %(days)d días, en /cuenta/codigo/. Entréguelo solo a "
                "esa persona."
            )
            % {"days": api.reset_code_days()}
        )
