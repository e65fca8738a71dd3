from django.core.management.base import BaseCommand, CommandError

from lms.accounts import api


class Command(BaseCommand):
    help = (
        "Olvida la aplicación de autenticación y los códigos de recuperación de una persona "
        "(perdió su teléfono): al entrar de nuevo configurará el segundo paso otra vez."
    )

    def add_arguments(self, parser):
        parser.add_argument("usuario")

    def handle(self, *args, usuario, **options):
        user = api.get_user_by_username(username=usuario)
        if user is None:
            raise CommandError(f"No existe la cuenta «{usuario}».")
        api.reset_second_factor(user=user)
        self.stdout.write(
            f"Listo: {user.get_username()} configurará su segundo paso la próxima vez que entre."
        )
