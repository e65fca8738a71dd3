from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("register_log_actions")
def certificate_log_actions(actions):
    actions.register_action(
        "aula.certificate.revoke", _("Anular constancia"), _("Constancia anulada")
    )
    actions.register_action(
        "aula.certificate.reissue", _("Reemitir constancia"), _("Constancia reemitida")
    )
