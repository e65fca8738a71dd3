import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.certificates import api


class Command(BaseCommand):
    help = _("Verifica una constancia: un archivo de credencial (.json) o un folio.")

    def add_arguments(self, parser):
        parser.add_argument("credential_or_folio")

    def handle(self, *args, credential_or_folio, **options):
        path = Path(credential_or_folio)
        if path.is_file():
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise CommandError(_("El archivo no es JSON válido.")) from exc
            valid, reason = api.verify_credential(document)
        else:
            certificate = api.lookup(folio=credential_or_folio)
            if certificate is None:
                raise CommandError(_("Folio desconocido o mal escrito."))
            valid, reason = api.verify_credential(certificate.credential)
        if not valid:
            raise CommandError(reason)
        self.stdout.write(reason)
