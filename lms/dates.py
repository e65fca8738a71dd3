"""Dates as people write them: "2 de diciembre de 2026" (Spanish writes month names in
lower case; Django's Spanish catalogue capitalises them) or "December 2, 2026". Shared by
the pages (the ``|fecha`` filter, ``lms/templatetags/aula_dates.py``) and the constancia's
PDF, which prints both languages."""

from __future__ import annotations

import datetime

from django.utils import dateformat, translation

_PATTERNS = {
    "es": {"larga": r"j \d\e F \d\e Y", "dia_mes": r"j \d\e F"},
    "en": {"larga": "F j, Y", "dia_mes": "F j"},
}


def written_date(value: datetime.date | None, language: str, kind: str = "larga") -> str:
    """``value`` written in ``language`` ("es-mx", "en"…): ``kind`` "larga" (day, month
    and year) or "dia_mes" (day and month)."""
    if not value:
        return ""
    base = language.split("-")[0]
    patterns = _PATTERNS.get(base, _PATTERNS["es"])
    with translation.override(language):
        text = dateformat.format(value, patterns.get(kind, patterns["larga"]))
    return text.lower() if base == "es" else text
