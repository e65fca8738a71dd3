"""Dates as people write them, in the page's language: "2 de diciembre de 2026" (Spanish
writes month names in lower case) or "December 2, 2026".

Django's Spanish catalogue capitalises month names ("Diciembre"), and a format string in a
template (``date:"j \\d\\e F \\d\\e Y"``) prints Spanish words on English pages. ``fecha``
chooses the pattern by the active language.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils.translation import get_language

from lms.dates import written_date

register = template.Library()


def fecha_text(value: datetime.date | None, kind: str = "larga") -> str:
    return written_date(value, get_language() or "es-mx", kind)


@register.filter(expects_localtime=True)
def fecha(value: datetime.date | None, kind: str = "larga") -> str:
    """``{{ value|fecha }}`` → "2 de diciembre de 2026"; ``{{ value|fecha:"dia_mes" }}`` →
    "2 de diciembre"."""
    return fecha_text(value, kind)
