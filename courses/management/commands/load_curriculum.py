from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from courses import api


class Command(BaseCommand):
    help = _("Carga o actualiza un marco curricular desde un archivo YAML (por omisión, el MEVyT).")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", type=Path)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help=_("No toca un marco que ya existe (para el arranque)."),
        )

    def handle(self, *args, path=None, if_missing=False, **options):
        try:
            framework = api.load_curriculum(path=path, update=not if_missing)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Marco «%(name)s»: %(modules)d módulos, %(rules)d reglas de certificado.")
            % {
                "name": framework.name,
                "modules": framework.modules.count(),
                "rules": framework.credential_rules.count(),
            }
        )
