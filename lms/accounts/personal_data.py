"""Each person's data: the export they can download ("Mis datos"), to which every app adds
its part, and the deletion of their account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

EXPORT_FORMAT_VERSION = 1
_RESERVED_EXPORT_KEYS = frozenset({"formato", "generado", "cuenta"})
_PERSONAL_DATA: dict[str, Callable[[User], Any]] = {}


def register_personal_data(*, key: str, export: Callable[[User], Any]) -> None:
    """Let an app contribute its part of a person's data export ("download my data").

    Apps call this from ``AppConfig.ready``; ``export(user)`` returns JSON-serialisable
    data about that user only, and appears in the export under ``key``. Accounts cannot
    import the apps above it, so they come to it.
    """
    if key in _RESERVED_EXPORT_KEYS:
        raise ValueError(f"{key!r} is reserved for the accounts part of the export")
    _PERSONAL_DATA[key] = export


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_personal_data(*, user: User) -> dict[str, Any]:
    """Everything Aula keeps about ``user``, as JSON-ready data for them to download.

    ``cuenta`` holds the account (never the password or its hash, nor the hashes of reset
    codes or of API tokens), followed by one entry per app registered with
    ``register_personal_data``.
    """
    logins = AccessLog.objects.filter(username=user.get_username()).order_by("-attempt_time")
    data: dict[str, Any] = {
        "formato": EXPORT_FORMAT_VERSION,
        "generado": _iso(timezone.now()),
        "cuenta": {
            "usuario": user.get_username(),
            "nombre_para_constancias": user.display_name,
            "nombre": user.first_name,
            "apellidos": user.last_name,
            "correo_electronico": user.email,
            "telefono": user.phone,
            "curp": user.curp,
            "no_quiere_recordatorios": user.reminders_opt_out,
            "fecha_de_registro": _iso(user.date_joined),
            "ultima_entrada": _iso(user.last_login),
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "codigos_de_recuperacion": [
                {
                    "creado": _iso(reset_code.created_at),
                    "vence": _iso(reset_code.expires_at),
                    "usado": _iso(reset_code.used_at),
                    "anulado": _iso(reset_code.revoked_at),
                }
                for reset_code in user.reset_codes.all()
            ],
            # Never the token nor its digest.
            "tokens_para_aplicaciones": [
                {
                    "nombre": token.name,
                    "creado": _iso(token.created_at),
                    "ultimo_uso": _iso(token.last_used_at),
                    "revocado": _iso(token.revoked_at),
                }
                for token in user.personal_api_tokens.order_by("-created_at", "-id")
            ],
            "entradas_recientes": [
                {
                    "fecha": _iso(entry.attempt_time),
                    "direccion_ip": entry.ip_address,
                    "navegador": entry.user_agent,
                }
                for entry in logins[:50]
            ],
        },
    }
    for key, export in sorted(_PERSONAL_DATA.items()):
        data[key] = export(user)
    return data


STAFF_CANNOT_DELETE = _(
    "Las cuentas del personal de Aula no se eliminan desde aquí. Pida a un administrador "
    "que la elimine."
)


def can_delete_own_account(user: User | AnonymousUser) -> bool:
    """Learners may delete their own account; staff and superusers may not."""
    return user.is_authenticated and not (user.is_staff or user.is_superuser)


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Delete ``user`` and what Aula keeps about them, for good.

    Contract for the other apps: their rows that belong to the person refer to the user
    with ``on_delete=CASCADE`` and go with the account. The one exception is certificates
    already issued: they are kept as an anonymised snapshot (the name as printed, the
    course and the date, under their public folio) so that anyone holding a constancia can
    still verify it; the certificates app takes that snapshot and must not block this
    deletion. Login records (django-axes) for the username are deleted here too.

    Staff and superusers cannot delete themselves this way: raises ``PermissionDenied``.
    The caller logs the person out.
    """
    if not can_delete_own_account(user):
        raise PermissionDenied(STAFF_CANNOT_DELETE)
    username = user.get_username()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
    user.delete()
