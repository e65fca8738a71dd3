"""Two-step sign-in for the people who can see other people's data.

Coordinators and administrators (and asesores, when ``AULA_2FA_ASESORES`` is true) sign in
with their password and then a six-digit code from an authenticator app (TOTP, RFC 6238,
through django-otp). When they set it up they get ten recovery codes, each good once, for
the day the phone is lost. ``lms.accounts.middleware.SecondFactorMiddleware`` holds every
request of theirs (site, Wagtail admin and session API calls alike) until the session is
verified. Learners are never asked.

Who needs it is decided here, by ``requires_second_factor``; apps above accounts add their
own reasons with ``register_staff_rule`` (enrollment: coordinating a sede), because this
app cannot import them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.accounts import roles

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy
TOTP_NAME = "Aplicación de autenticación"
RECOVERY_NAME = "Códigos de recuperación"

WRONG_CODE = _(
    "Ese código no es correcto o ya venció. Escriba el código de 6 números que muestra "
    "ahora su aplicación, o uno de sus códigos de recuperación."
)
WRONG_SETUP_CODE = _(
    "Ese código no coincide. Revise que escaneó el código QR de esta página y escriba los 6 "
    "números que muestra ahora la aplicación."
)

_staff_rules: list[Callable] = []


def register_staff_rule(rule: Callable) -> None:
    """Add a reason for a person to need the second step: ``rule(user) -> bool``. Apps call
    this from ``AppConfig.ready``."""
    _staff_rules.append(rule)


def requires_second_factor(user) -> bool:
    """Whether ``user`` must confirm their sign-in with a second step: superusers, staff,
    coordinators and administrators, asesores when ``AULA_2FA_ASESORES`` is true, and
    anyone a registered rule names."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    required = {roles.COORDINADOR, roles.ADMINISTRADOR}
    if getattr(settings, "AULA_2FA_ASESORES", False):
        required.add(roles.ASESOR)
    if user.groups.filter(name__in=required).exists():
        return True
    return any(rule(user) for rule in _staff_rules)


def has_second_factor(user) -> bool:
    """Whether ``user`` has finished setting up an authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def start_setup(*, user) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``user`` (an earlier unconfirmed one is
    discarded). It counts only once ``confirm_setup`` gets a code it made."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def pending_setup(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def _new_recovery_code() -> str:
    return "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(10))


def format_recovery_code(code: str) -> str:
    """ "abcdefghij" → "abcde-fghij", easier to copy by hand."""
    return f"{code[:5]}-{code[5:]}"


def _normalise(code: str) -> str:
    """What was typed, without case, spaces or hyphens (codes are shown with them)."""
    return "".join(char for char in (code or "").lower() if not (char.isspace() or char == "-"))


@transaction.atomic
def confirm_setup(*, user, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm ``user``'s pending authenticator with a ``code`` it shows, replace any
    earlier authenticator and recovery codes, and return the device and the new recovery
    codes (in plain text, this once). Raises ``ValidationError`` keyed ``code``."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).last()
    if device is None or not device.verify_token(_normalise(code)):
        raise ValidationError({"code": [ValidationError(WRONG_SETUP_CODE, code="wrong")]})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, new_recovery_codes(user=user)


@transaction.atomic
def new_recovery_codes(*, user) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones and return them, formatted
    (this once)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [_new_recovery_code() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return [format_recovery_code(code) for code in codes]


def recovery_codes_left(*, user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(*, user, code: str):
    """The confirmed device of ``user`` that accepts ``code`` (an authenticator code, or a
    recovery code, which is then spent), or None. django-otp slows down repeated failures
    on each device."""
    typed = _normalise(code)
    if not typed:
        return None
    for device in devices_for_user(user, confirmed=True):
        with transaction.atomic():
            # Locked, so two requests at once cannot both use one code or skip the
            # throttle that verify_token applies.
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(typed):
                return locked
    return None


@transaction.atomic
def reset(*, user) -> None:
    """Forget ``user``'s authenticator and recovery codes: at their next sign-in they set
    up a new one. For an administrator helping someone who lost their phone."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def demo_code(*, user) -> str:
    """The code an authenticator would show now for ``user``, setting one up first if they
    have none: for the development demo accounts only (``manage.py codigo_demo``), so
    people trying Aula can sign in as a coordinator without a phone."""
    from django_otp.oath import TOTP

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
