"""Reading a number the way a learner types it. Pure: no Django, no database.

``parse_number`` turns "3/8", "1 y 3/4", "1.250,50", "$1,250.50", "45 minutos" or "¾ kg"
into an exact :class:`fractions.Fraction`, and anything it cannot read without guessing
into ``None``. The rules, in the order they apply:

* Surrounding spaces are ignored; no-break and thin spaces count as spaces; "−" (the
  Unicode minus) and "–" count as "-"; one trailing period is dropped ("45.").
* Input longer than 60 characters (after trimming) is refused.
* Before the number: a sign ("-", "+") and/or a currency ("$", "US$", "MX$", "€",
  "MXN", "USD", "EUR"), in either order ("-$5", "$-5").
* After the number: anything that starts with a letter or with one of ``% $ € £ ° º``
  and holds no further digit — units and currencies ("45 minutos", "250 dólares",
  "5 cm²", "45 %", "250 $", "3/8 de litro"). Words *before* the number are refused.
* The number itself is one of:
  - a fraction of whole numbers, "3/8", "3 / 8" (denominator 0 is refused);
  - a mixed number, a whole number then a proper fraction, "1 3/4", "1 y 3/4", "1¾",
    "1 ¾" ("1 5/4" is refused: the fraction must be less than one);
  - a Unicode fraction alone, "¾";
  - a whole or decimal number, with "," or "." as the decimal mark and ",", "." or a
    space as the thousands separator. When both "," and "." appear, the last one is the
    decimal mark ("1,234.5" and "1.234,5"). A mark that appears more than once is the
    thousands separator ("1,234,567"). Groups after a thousands separator have exactly
    three digits, and only one kind of thousands separator is used.
  - **Ambiguity rule**: a single "," or "." followed by exactly three digits is read as
    a thousands separator — "1,234" and "1.234" are both 1234, as on US and Mexican
    receipts alike — unless that cannot be a thousands separator: "0,375" and ",375"
    are 0.375 (nobody writes a thousand with a leading zero), and "1234,567" or
    "1 234,567" are decimals. Any other digit count after a single mark makes it a
    decimal mark: "12,5", "12.50", "1,2345".
* A percent sign keeps the number written: "45%" is 45, not 0.45. Authors say the unit
  in the question ("Unidad: %"), and the answer is stored in that unit.
* Refused (``None``): two numbers ("3 o 4", "3 4", "1/2/3"), exponents ("1e5": learners
  do not type them, and "1e5" would otherwise read as 1 with the unit "e5"), "NaN",
  "inf", words only, an empty answer.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

MAX_LENGTH = 60

_VULGAR = {
    ch: Fraction(*(int(part) for part in unicodedata.normalize("NFKC", ch).split("\u2044")))
    for ch in "¼½¾⅐⅑⅒⅓⅔⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
}
_VULGAR_CHARS = "".join(_VULGAR)

_TRANSLATE = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
        "\t": " ",
        "\u2212": "-",  # minus sign
        "\u2013": "-",  # en dash (phones turn "-" into it)
        "\u2044": "/",  # fraction slash
    }
)

_INT = r"[0-9]+"
_FRACTION = rf"(?P<num>{_INT})\s*/\s*(?P<den>{_INT})"
_NUMBER = re.compile(
    rf"""
    (?P<sign1>[-+])?\s*
    (?:(?:[a-z]{{2,3}}\s?)?[$€£]\s*|(?:mxn|usd|eur)\s*)?
    (?P<sign2>[-+])?\s*
    (?:
        (?P<whole>{_INT})(?:\s+|\s*y\s*){_FRACTION}
      | (?:(?P<vwhole>{_INT})(?:\s*y\s*|\s*))?(?P<vulgar>[{_VULGAR_CHARS}])
      | {_FRACTION.replace("num", "fnum").replace("den", "fden")}
      | (?P<decimal>[0-9][0-9., ]*[0-9]|[0-9]|[.,][0-9]+)
    )
    (?:\s*(?P<unit>(?:[%$€£°º]|[^\W\d_])[^0-9]*))?
    """,
    re.VERBOSE | re.IGNORECASE,
)


def parse_number(text: str) -> Fraction | None:
    """The number ``text`` spells, exactly, or ``None`` if it is not one (module docstring)."""
    if not isinstance(text, str):
        return None
    text = text.translate(_TRANSLATE).strip()
    if text.endswith("."):
        text = text[:-1].rstrip()
    if not text or len(text) > MAX_LENGTH:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    unit = match["unit"] or ""
    if any(ch.isdecimal() or ch in _VULGAR for ch in unit):
        return None  # a second number: "3 kg o 4"
    if match["sign1"] and match["sign2"]:
        return None
    negative = (match["sign1"] or match["sign2"]) == "-"

    value: Fraction | None
    if match["whole"] is not None:
        part = _fraction(match["num"], match["den"])
        if part is None or part >= 1:
            return None
        value = int(match["whole"]) + part
    elif match["vulgar"] is not None:
        value = int(match["vwhole"] or 0) + _VULGAR[match["vulgar"]]
    elif match["fnum"] is not None:
        value = _fraction(match["fnum"], match["fden"])
    else:
        value = _decimal(match["decimal"])
    if value is None:
        return None
    return -value if negative else value


def _fraction(numerator: str, denominator: str) -> Fraction | None:
    den = int(denominator)
    return Fraction(int(numerator), den) if den else None


def _decimal(raw: str) -> Fraction | None:
    """``raw``: digits, ",", "." and spaces, starting and ending with a digit (or ",5")."""
    if raw[0] in ",.":
        return Fraction(int(raw[1:]), 10 ** len(raw[1:]))
    commas, dots = raw.count(","), raw.count(".")
    if commas and dots:
        mark = "," if raw.rfind(",") > raw.rfind(".") else "."
        if raw.count(mark) != 1:
            return None
    elif not commas and not dots:
        return _grouped(raw)
    else:
        mark = "," if commas else "."
        if raw.count(mark) > 1:
            return _grouped(raw)  # "1,234,567": thousands only
        if len(raw.split(mark)[1]) == 3:
            # The ambiguity rule: "1,234" and "1.234" are 1234, if they can be.
            thousands = _grouped(raw)
            if thousands is not None:
                return thousands
    whole, decimals = raw.split(mark)
    integer = _grouped(whole)
    if integer is None or not decimals.isdigit():
        return None
    return integer + Fraction(int(decimals), 10 ** len(decimals))


def _grouped(raw: str) -> Fraction | None:
    """A whole number, maybe in thousands groups ("1 234", "1,234,567" or "1.234")."""
    separators = {ch for ch in raw if not ch.isdigit()}
    if not separators:
        return Fraction(int(raw))
    if len(separators) != 1:
        return None
    groups = raw.split(separators.pop())
    head, tail = groups[0], groups[1:]
    if not 1 <= len(head) <= 3 or head.startswith("0") or any(len(g) != 3 for g in tail):
        return None
    if not all(g.isdigit() for g in groups):
        return None
    return Fraction(int("".join(groups)))
