"""Dates in the reader's language, Spanish month names in lower case."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from lms.templatetags.aula_dates import fecha_text

DAY = datetime.date(2026, 12, 2)


@pytest.mark.parametrize(
    ("language", "kind", "expected"),
    [
        ("es-mx", "larga", "2 de diciembre de 2026"),
        ("es-mx", "dia_mes", "2 de diciembre"),
        ("en", "larga", "December 2, 2026"),
        ("en", "dia_mes", "December 2"),
    ],
)
def test_fecha_in_each_language(language, kind, expected):
    with translation.override(language):
        assert fecha_text(DAY, kind) == expected
        rendered = Template("{% load aula_dates %}{{ day|fecha:kind }}").render(
            Context({"day": DAY, "kind": kind})
        )
    assert rendered == expected


def test_datetimes_are_shown_on_the_local_day(settings):
    # 03:00 UTC on 3 December is still 2 December in Mexico City (UTC−6).
    moment = datetime.datetime(2026, 12, 3, 3, 0, tzinfo=datetime.UTC)
    with timezone.override("America/Mexico_City"), translation.override("es-mx"):
        rendered = Template("{% load aula_dates %}{{ moment|fecha }}").render(
            Context({"moment": moment})
        )
    assert rendered == "2 de diciembre de 2026"


def test_empty_is_empty():
    assert fecha_text(None) == ""
