"""Checks and clean-ups for what learners type about themselves.

Each function reads settings when it is called (never at import), so tests and
deployments can change them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from confusable_homoglyphs import categories as unicode_scripts
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
USERNAME_OTHER_DIGITS = _(
    "Use solo los números del 0 al 9. Este nombre tiene números de otro tipo o de otro "
    "idioma; bórrelos y escríbalos de nuevo con su teclado."
)
USERNAME_MIXED_SCRIPTS = _(
    "Use letras de un solo alfabeto. Este nombre mezcla letras de alfabetos distintos que se "
    "ven iguales (por ejemplo, una «а» rusa entre letras latinas); bórrelo y escríbalo de "
    "nuevo con su teclado."
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


# --- Usernames that could be mistaken for others (Unicode UTS #39) ---------------------------

# Unicode's confusables.txt, as published (see its header for the version). It maps each
# character that looks like another to that one's "prototype": Cyrillic "а" → "a", "0" → "O",
# "1" and "I" → "l", "m" → "rn". Kept here verbatim because no Python package offers it in
# usable form: confusable-homoglyphs stores it both ways round (which side is the prototype
# is lost) and the package "confusables" installs a top-level ``tests`` package that would
# shadow ours. To update it, replace the file with a newer one from unicode.org and write a
# migration that runs ``0003_user_username_skeleton.fill_username_skeletons`` again.
CONFUSABLES_FILE = Path(__file__).resolve().parent / "data" / "confusables.txt"

# Scripts that UTS #39 counts as one writing system when mixed (Japanese writes kanji with
# hiragana and katakana, Korean hanja with hangul, Chinese with bopomofo).
_WRITING_SYSTEMS = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)
# Characters of these belong to no alphabet of their own: digits, ".", "-", "_", "+", and
# combining accents (the "~" of an "ñ" typed as "n" plus "~").
_SHARED_SCRIPTS = frozenset({"COMMON", "INHERITED"})
# Mapping and case folding feed each other ("0" → "O" → "o"); every character settles
# within three rounds (a test checks the whole table).
_SKELETON_MAX_ROUNDS = 8


@functools.cache
def _prototypes() -> dict[str, str]:
    """Character → its prototype, from ``CONFUSABLES_FILE``."""
    table = {}
    with CONFUSABLES_FILE.open(encoding="utf-8-sig") as lines:
        for line in lines:
            data = line.split("#", 1)[0].strip()
            if data:
                source, prototype, *_rest = data.split(";")
                table[chr(int(source, 16))] = "".join(
                    chr(int(code, 16)) for code in prototype.split()
                )
    return table


def username_skeleton(value: str) -> str:
    """What ``value`` looks like: two usernames with the same skeleton can be mistaken for
    each other ("adrnin" and "admin", "r0sa" and "rosa", "Ivan" and "lvan", "аdmin" written
    with a Cyrillic "а" and "admin").

    The UTS #39 skeleton (NFD, each character replaced by its prototype from Unicode's
    confusables table, NFD again), with NFKC as usernames are stored (NFKC then NFD is
    NFKD) and blind to letter case as usernames are: the result is case-folded and mapped
    again until it stops changing. Mapping comes before case folding so that a capital "I"
    still becomes "l". Accents stay as combining marks, so "josé" and "jose", "peña" and
    "pena" are different names.
    """
    prototypes = _prototypes()
    text = unicodedata.normalize("NFKD", value or "")
    for _round in range(_SKELETON_MAX_ROUNDS):
        mapped = "".join(prototypes.get(char, char) for char in text)
        folded = unicodedata.normalize("NFKD", mapped.casefold())
        if folded == text:
            break
        text = folded
    return text


def _has_other_digits(value: str) -> bool:
    return any(char.isdigit() and not "0" <= char <= "9" for char in value)


def _is_single_script(value: str) -> bool:
    """Whether the letters of ``value`` come from one writing system (digits are
    ``_has_other_digits``'s business: Arabic-Indic digits belong to the Arabic script)."""
    letters = "".join(char for char in value if not char.isdigit())
    scripts = unicode_scripts.unique_aliases(letters) - _SHARED_SCRIPTS
    return len(scripts) <= 1 or any(scripts <= system for system in _WRITING_SYSTEMS)


def validate_unambiguous_username(typed: str) -> None:
    """Refuse a new username that could pass for another one, whatever the database holds.

    ``typed`` is the username as the person typed it, before ``normalise_username``: digits
    other than 0-9 (Arabic-Indic "٣", fullwidth "３", superscript "²"…) are refused even
    when NFKC would turn them into 0-9, and letters must come from one alphabet (UTS #39
    "single script": "pаblo" with a Cyrillic "а" is refused; a name written wholly in
    Cyrillic, or in Japanese kanji and kana, is fine). Whether the name looks like an
    existing account's is the api's check (``username_skeleton``).
    """
    stored = normalise_username(typed)
    errors = []
    if _has_other_digits(typed or "") or _has_other_digits(stored):
        errors.append(ValidationError(USERNAME_OTHER_DIGITS, code="username_other_digits"))
    if not _is_single_script(stored):
        errors.append(ValidationError(USERNAME_MIXED_SCRIPTS, code="username_mixed_scripts"))
    if errors:
        raise ValidationError(errors)


# --- Phone --------------------------------------------------------------------------------


def validate_phone(value: str) -> None:
    if not value:
        return
    if not _PHONE_LIKE_RE.fullmatch(value) or not 7 <= _digit_count(value) <= 15:
        raise ValidationError(PHONE_INVALID, code="invalid_phone")
