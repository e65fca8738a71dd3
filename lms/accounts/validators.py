"""Checks and clean-ups for what learners type about themselves.

Each function reads settings when it is called (never at import), so tests and
deployments can change them.
"""

from __future__ import annotations

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.mx import curp as stdnum_curp

CURP_INVALID = _(
    "Esta CURP no es válida. Revísela letra por letra con su constancia de CURP, "
    "o deje el campo en blanco: no es obligatoria."
)
CURP_LENGTH = _("La CURP tiene 18 letras y números. Revise que esté completa.")

USERNAME_MIN_LENGTH = 3
USERNAME_INVALID = _(
    "Use solo letras, números, punto (.), guion (-) o guion bajo (_), sin espacios. "
    "También puede usar su número de teléfono."
)
USERNAME_TOO_SHORT = _("Escriba al menos 3 letras o números.")
PHONE_INVALID = _(
    "Escriba solo el número de teléfono, con 7 a 15 números. Puede usar espacios, guiones "
    "y el signo +."
)

# Letters (any alphabet, so ñ and accents are fine), digits, dot, hyphen, underscore; or a
# phone-number-like handle: "+" followed by digits.
_USERNAME_RE = re.compile(r"[\w.-]+|\+\d+")
# What people type for a phone number: digits with spaces, dots, hyphens, brackets, "+".
_PHONE_LIKE_RE = re.compile(r"\+?[\d\s().-]+")


def _digit_count(value: str) -> int:
    return sum(char.isdigit() for char in value)


# --- CURP ---------------------------------------------------------------------------------


def normalise_curp(value: str | None) -> str:
    """Upper case, without spaces or hyphens; "" when nothing was typed."""
    if not value:
        return ""
    return stdnum_curp.compact(value)


def validate_curp(value: str) -> None:
    """Validate a CURP with python-stdnum (format, date, state, check digit).

    A CURP with sex "X" (issued since 2023) is accepted only when the setting
    ``AULA_CURP_ALLOW_X`` is true. python-stdnum knows only H and M, so for "X" the rest of
    the structure is checked as if it were "H" and the check digit is computed on the real
    value.
    """
    if not value:
        return
    number = normalise_curp(value)
    if len(number) != 18:
        raise ValidationError(CURP_LENGTH, code="invalid_curp_length")
    allow_x = getattr(settings, "AULA_CURP_ALLOW_X", False)
    try:
        if allow_x and number[10] == "X":
            stdnum_curp.validate(number[:10] + "H" + number[11:], validate_check_digits=False)
            if number[-1] != stdnum_curp.calc_check_digit(number):
                raise stdnum_exceptions.InvalidChecksum()
        else:
            stdnum_curp.validate(number)
    except stdnum_exceptions.ValidationError as error:
        raise ValidationError(CURP_INVALID, code="invalid_curp") from error


# --- Username -----------------------------------------------------------------------------


def normalise_username(value: str) -> str:
    """The username as it is stored for a new learner.

    Surrounding spaces go; a phone-number-like handle ("(213) 555-0101", "+1 213 555 0101")
    keeps only its digits (and a leading "+"), so the person can type it either way.
    """
    value = unicodedata.normalize("NFKC", value or "").strip()
    if _PHONE_LIKE_RE.fullmatch(value) and _digit_count(value) >= 7:
        digits = "".join(char for char in value if char.isdigit())
        return f"+{digits}" if value.startswith("+") else digits
    return value


def validate_learner_username(value: str) -> None:
    """The rule for usernames chosen at sign-up (stricter than Django's default)."""
    if len(value) < USERNAME_MIN_LENGTH:
        raise ValidationError(USERNAME_TOO_SHORT, code="username_too_short")
    if not _USERNAME_RE.fullmatch(value):
        raise ValidationError(USERNAME_INVALID, code="invalid_username")


# --- Phone --------------------------------------------------------------------------------


def validate_phone(value: str) -> None:
    if not value:
        return
    if not _PHONE_LIKE_RE.fullmatch(value) or not 7 <= _digit_count(value) <= 15:
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
