from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lms.certificates import api


class Command(BaseCommand):
    help = _("Anula una constancia (o la reemite con otro nombre con --nombre).")

    def add_arguments(self, parser):
        parser.add_argument("folio")
        parser.add_argument("--motivo", required=True)
        parser.add_argument("--por", required=True, help=_("Usuario de quien anula."))
        parser.add_argument("--nombre", help=_("Reemitir con este nombre."))

    def handle(self, *args, folio, motivo, por, nombre=None, **options):
        certificate = api.lookup(folio=folio)
        if certificate is None:
            raise CommandError(_("Folio desconocido o mal escrito."))
        user = get_user_model().objects.filter(username=por).first()
        if user is None or not user.has_perm("certificates.change_certificate"):
            raise CommandError(_("Ese usuario no puede anular constancias."))
        try:
            if nombre:
                new = api.reissue(
                    certificate=certificate, by=user, learner_name=nombre, reason=motivo
                )
                self.stdout.write(_("Reemitida con el folio %(folio)s.") % {"folio": new.folio})
            else:
                api.revoke(certificate=certificate, by=user, reason=motivo)
                self.stdout.write(_("Constancia %(folio)s anulada.") % {"folio": folio})
        except api.CertificateError as error:
            raise CommandError(error.message) from error
