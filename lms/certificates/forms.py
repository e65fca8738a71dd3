"""The public verification form (``/verificar/?folio=``).

A folio may be typed in lowercase, with O for 0 and I or L for 1, and with hyphens, dashes,
minus signs, dots, underscores, slashes or (no-break) spaces anywhere. Anything else (4 KB
of text, NUL bytes, right-to-left marks, letters that only look like ours, a wrong check
character) is answered with the form and one specific message that repeats a short,
harmless copy of it; only a well-formed folio is looked up.
"""

from __future__ import annotations

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from lms.certificates import folio as folios
from lms.certificates import selectors

# Room for a folio typed with spaces between every character ("7 K 3 M - 9 Q X T - H").
TYPED_MAX_LENGTH = 40
SHOWN_MAX_LENGTH = 40
# Control, invisible formatting (bidi marks and overrides, zero-width), surrogate, private
# and unassigned characters, and line or paragraph separators: never repeated as they are.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

MALFORMED = _(
    "«%(folio)s» no es un folio válido. Revise cada letra y número: tiene la forma XXXX-XXXX-X."
)
EMPTY = _("Escriba el folio que aparece en la constancia; tiene la forma XXXX-XXXX-X.")


def shown(typed: str) -> str:
    """What someone typed, fit to repeat on a page: characters that are invisible or could
    reorder the text around them become "�", and long text is cut with "…". The template
    still escapes it."""
    visible = "".join(
        "\N{REPLACEMENT CHARACTER}" if unicodedata.category(char) in _HIDDEN_CATEGORIES else char
        for char in typed[: SHOWN_MAX_LENGTH * 2]
    )
    return Truncator(visible).chars(SHOWN_MAX_LENGTH)


def malformed(typed: str) -> ValidationError:
    return ValidationError(MALFORMED, code="malformed", params={"folio": shown(typed)})


class FolioField(forms.CharField):
    """A CharField whose every failure (too long, NUL bytes, not a folio) is the folio
    message, not Django's generic ones; it gives back what was typed only when that is a
    plausible attempt, so one wrong character can be corrected in place."""

    def validate(self, value):
        super().validate(value)
        # Before the max-length and NUL validators, which would answer in general terms.
        if len(value) > self.max_length or "\x00" in value:
            raise malformed(value)

    def bound_data(self, data, initial):
        data = super().bound_data(data, initial)
        if isinstance(data, str) and len(data) <= self.max_length and shown(data) == data:
            return data
        return ""


class VerifyForm(forms.Form):
    folio = FolioField(
        label=_("Folio de la constancia"),
        max_length=TYPED_MAX_LENGTH,
        error_messages={"required": EMPTY},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "autocorrect": "off",
                "spellcheck": "false",
                "placeholder": "7K3M-9QXT-G",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean_folio(self) -> str:
        """The canonical folio (``7K3M-9QXT-G``) for what was typed. One that passes only the
        legacy check is a folio only if it was printed: otherwise it is a typo too."""
        typed = self.cleaned_data["folio"]
        canonical = folios.normalize(typed)
        if canonical is None:
            legacy = folios.normalize_legacy(typed)
            if legacy is not None and selectors.lookup(folio=legacy) is not None:
                return legacy
            raise malformed(typed)
        return canonical
