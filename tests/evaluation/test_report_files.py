"""The quarterly report's files from hand-built figures: what the PDF says (its text, its
fonts, "muy pocos datos" for small groups, the methodology), the CSV annex row by row, and
the English report."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.utils import translation
from pypdf import PdfReader

from lms.evaluation import report
from lms.evaluation.figures import CompletionTime, CredentialFunnel, Gain, Period, RetentionCurve

PERIOD = Period(date(2026, 7, 1), date(2026, 9, 30))


def figures(**changes) -> report.ReportFigures:
    values = {
        "scope_label": "Plaza Comunitaria San José",
        "is_program": False,
        "year": 2026,
        "quarter": 3,
        "period": PERIOD,
        "gains_by_course": [
            Gain(1, "Fracciones y porcentajes", 24, False, 42.5, 71.25, 0.5, 0.38, 0.62),
            Gain(2, "Los números", 4, True),
            Gain(3, "Cuentas útiles", 15, False, 50.0, 60.0, 0.2, -0.05, 0.45),
        ],
        "gains_total": Gain(None, "", 39, False, 45.0, 67.0, 0.4, 0.31, 0.49),
        "gains_by_group": [
            Gain(7, "Grupo de la tarde", 30, False, 40.0, 70.0, 0.5, 0.4, 0.6),
            Gain(8, "Grupo del sábado", 9, True),
        ],
        "retention": [
            RetentionCurve(
                date(2026, 7, 1), "Julio de 2026", 30, False, [(w, 100 - 5 * w) for w in range(13)]
            ),
            RetentionCurve(
                date(2026, 8, 1),
                "Agosto de 2026",
                12,
                False,
                [(w, 100 - 7.5 * w) for w in range(9)],
            ),
            RetentionCurve(date(2026, 9, 1), "Septiembre de 2026", 3, True),
        ],
        "completion": CompletionTime("Plaza Comunitaria San José", 18, False, 41.0, 30.5, 60.0),
        "funnel": CredentialFunnel("Plaza Comunitaria San José", 45, False, 30, 12, 4),
        "generated_on": date(2026, 10, 1),
    }
    return report.ReportFigures(**{**values, **changes})


def pdf_of(data: report.ReportFigures, language: str = "es-mx") -> PdfReader:
    out = io.BytesIO()
    with translation.override(language):
        report.write_pdf(data, out)
    assert out.getvalue().startswith(b"%PDF-")
    return PdfReader(io.BytesIO(out.getvalue()))


def text_of(reader: PdfReader) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def csv_of(data: report.ReportFigures, language: str = "es-mx") -> list[list[str]]:
    out = io.BytesIO()
    with translation.override(language):
        count = report.write_csv(data, out)
    body = out.getvalue()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert count == len(rows) - 1
    return rows


def test_the_pdf_names_its_scope_and_quarter_and_shows_the_figures():
    text = text_of(pdf_of(figures()))
    assert "Informe trimestral de evaluación" in text
    assert "Plaza Comunitaria San José" in text
    assert "Tercer trimestre de 2026 (del 1 de julio al 30 de septiembre de 2026)" in text
    assert "Preparado el 1 de octubre de 2026." in text
    # Key figures: the total gain with its interval and n, the median, the funnel's end.
    assert "0.40 (0.31 – 0.49), n = 39" in text
    assert "41.0, n = 18" in text
    assert "4 / 45 (8.9 %)" in text
    # The course table: n, pre, post, g and the interval.
    assert "Fracciones y porcentajes 24 42.5 71.2 0.50 0.38 – 0.62" in text
    assert "Todos los cursos 39 45.0 67.0 0.40 0.31 – 0.49" in text
    assert "Cuentas útiles 15 50.0 60.0 0.20 -0.05 – 0.45" in text
    # Retention at weeks 1, 4, 8 and 12; a cohort that has not reached week 12 shows —.
    assert "Julio de 2026 30 95.0 % 80.0 % 60.0 % 40.0 %" in text
    assert "Agosto de 2026 12 92.5 % 70.0 % 40.0 % —" in text
    # Time to completion and the funnel's table.
    assert "18 41.0 30.5 60.0" in text
    assert "Todos los módulos de la primaria 4 8.9" in text


def test_small_groups_say_muy_pocos_datos_and_give_no_figure():
    text = text_of(pdf_of(figures()))
    assert "Los números muy pocos datos" in text
    assert "Grupo del sábado muy pocos datos" in text
    assert "Septiembre de 2026 muy pocos datos" in text
    # Not even their n: "Los números" is followed by nothing but the words.
    assert "Los números 4" not in text
    small = figures(
        gains_total=Gain(None, "", 6, True),
        completion=CompletionTime("Plaza Comunitaria San José", 3, True),
        funnel=CredentialFunnel("Plaza Comunitaria San José", 7, True),
    )
    text = text_of(pdf_of(small))
    assert "Ganancia normalizada (g) en todos los cursos muy pocos datos" in text
    assert "Mediana de días hasta concluir un curso muy pocos datos" in text
    assert "Plaza Comunitaria San José: muy pocos datos" in text
    assert "/ 7" not in text


def test_the_methodology_is_in_plain_language():
    text = text_of(pdf_of(figures()))
    assert "Cómo se calcularon estas cifras" in text
    assert "La ganancia normalizada (g) dice qué parte de lo que faltaba por aprender" in text
    assert "un grupo con menos de 10 educandos aparece como «muy pocos datos»" in text
    assert "Aula no emite certificados oficiales de la SEP ni del INEA" in text


def test_the_minimum_group_size_in_the_methodology_follows_the_setting(settings):
    settings.AULA_EVALUATION_MIN_GROUP = 5
    assert "un grupo con menos de 5 educandos" in text_of(pdf_of(figures()))


def test_the_pdf_embeds_its_fonts_and_references_no_other():
    """Chart labels and table cells included: reportlab would otherwise list Helvetica
    without embedding it."""
    reader = pdf_of(figures())
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
    assert fonts and all("BitstreamVera" in name for name in fonts), fonts
    assert reader.metadata.title.startswith("Informe trimestral de evaluación · Plaza")


def test_charts_are_drawn():
    """The PDF carries the three charts: the funnel's bars, the retention lines (one per
    cohort with figures, with its legend), the gains' axis labels."""
    text = text_of(pdf_of(figures()))
    assert "semanas desde la inscripción" in text
    assert "Julio de 2026 (n = 30)" in text
    assert "Agosto de 2026 (n = 12)" in text
    assert "Septiembre de 2026 (n = 3)" not in text
    assert "45 (100 %)" in text and "30 (67 %)" in text
    funnel = report.funnel_chart(figures().funnel)
    bars = [shape for shape in funnel.contents if type(shape).__name__ == "Rect"]
    assert len(bars) == 8  # a track and a bar for each of the four steps
    widths = [bar.width for bar in bars[1::2]]
    assert widths[0] > widths[1] > widths[2] > widths[3] > 0
    assert widths[3] == pytest.approx(widths[0] * 4 / 45)
    gains = report.gains_chart(figures().gains_by_course)
    dots = [shape for shape in gains.contents if type(shape).__name__ == "Circle"]
    assert len(dots) == 2  # "Los números" has too few learners: no dot


def test_the_csv_annex_has_every_figure_of_the_pdf():
    rows = csv_of(figures())
    assert rows[0] == ["sección", "grupo", "medida", "valor", "n"]
    body = rows[1:]
    assert body[:5] == [
        [
            "Aprendizaje en total",
            "Plaza Comunitaria San José",
            "promedio antes (0–100)",
            "45.0",
            "39",
        ],
        [
            "Aprendizaje en total",
            "Plaza Comunitaria San José",
            "promedio después (0–100)",
            "67.0",
            "39",
        ],
        [
            "Aprendizaje en total",
            "Plaza Comunitaria San José",
            "ganancia normalizada (g)",
            "0.40",
            "39",
        ],
        [
            "Aprendizaje en total",
            "Plaza Comunitaria San José",
            "g, límite inferior del intervalo de 95 %",
            "0.31",
            "39",
        ],
        [
            "Aprendizaje en total",
            "Plaza Comunitaria San José",
            "g, límite superior del intervalo de 95 %",
            "0.49",
            "39",
        ],
    ]
    by_key = {(row[0], row[1], row[2]): (row[3], row[4]) for row in body}
    assert by_key[
        ("Aprendizaje por curso", "Fracciones y porcentajes", "ganancia normalizada (g)")
    ] == (
        "0.50",
        "24",
    )
    assert by_key[("Aprendizaje por curso", "Los números", "muy pocos datos")] == (
        "muy pocos datos",
        "",
    )
    assert not [row for row in body if row[1] == "Los números" and row[2] != "muy pocos datos"]
    assert by_key[("Aprendizaje por grupo", "Grupo del sábado", "muy pocos datos")] == (
        "muy pocos datos",
        "",
    )
    # Every week of every cohort (the PDF's table shows four of them).
    july = [row for row in body if row[0] == "Permanencia" and row[1] == "Julio de 2026"]
    assert [row[2] for row in july] == [f"% activos en la semana {w}" for w in range(13)]
    assert [row[3] for row in july][:2] == ["100.0", "95.0"]
    assert {row[4] for row in july} == {"30"}
    assert by_key[("Permanencia", "Septiembre de 2026", "muy pocos datos")] == (
        "muy pocos datos",
        "",
    )
    place = "Plaza Comunitaria San José"
    assert by_key[("Tiempo hasta concluir un curso", place, "mediana (días)")] == ("41.0", "18")
    assert by_key[("Tiempo hasta concluir un curso", place, "primer cuartil (días)")] == (
        "30.5",
        "18",
    )
    assert by_key[("Tiempo hasta concluir un curso", place, "tercer cuartil (días)")] == (
        "60.0",
        "18",
    )
    funnel = {
        key[2]: value for key, value in by_key.items() if key[0] == "Camino a la certificación"
    }
    assert funnel == {
        "Educandos": ("45", "45"),
        "Con al menos un módulo cubierto": ("30", "45"),
        "Con al menos un módulo cubierto (%)": ("66.7", "45"),
        "A la mitad de la primaria": ("12", "45"),
        "A la mitad de la primaria (%)": ("26.7", "45"),
        "Todos los módulos de la primaria": ("4", "45"),
        "Todos los módulos de la primaria (%)": ("8.9", "45"),
    }


def test_the_csv_and_the_pdf_agree():
    """Each figure of the annex appears in the PDF's text (the retention weeks the PDF's
    table shows, and every other figure)."""
    data = figures()
    text = text_of(pdf_of(data))
    for section, _group, measure, value, _n in csv_of(data)[1:]:
        if section == "Permanencia" and value != "muy pocos datos":
            week = int(measure.rsplit(" ", 1)[1])
            if week not in report.RETENTION_TABLE_WEEKS:
                continue
        assert value in text, (section, measure, value)


def test_a_name_that_looks_like_a_formula_is_quoted_in_the_csv():
    data = figures(gains_by_course=[Gain(1, "=HYPERLINK(1)", 20, False, 1.0, 2.0, 0.1, 0.0, 0.2)])
    rows = csv_of(data)
    assert {row[1] for row in rows if row[0] == "Aprendizaje por curso"} == {"'=HYPERLINK(1)"}


def test_the_program_report_groups_by_sede():
    data = figures(scope_label="Todo el programa", is_program=True)
    assert "Aprendizaje por sede" in {row[0] for row in csv_of(data)}
    assert "Sede n antes después g" in text_of(pdf_of(data))


def test_the_english_report_is_in_english(monkeypatch):
    """Generated under the English translation: every word goes through the catalogue
    (the catalogue itself is compiled by the lead; here a stand-in translation shows the
    words are looked up in the report's language)."""
    from django.utils.translation import trans_real

    translation.gettext("")  # the lookup is bound on first use: bind it, then replace it
    seen = []
    real = trans_real.gettext

    def spy(message):
        seen.append((translation.get_language(), message))
        return real(message)

    monkeypatch.setattr(translation._trans, "gettext", spy)
    pdf_of(figures(), language="en")
    csv_of(figures(), language="en")
    looked_up = {message for language, message in seen if language == "en"}
    assert {
        "Informe trimestral de evaluación",
        "Cómo se calcularon estas cifras",
        "muy pocos datos",
        "sección",
    } <= looked_up
    assert not [message for language, message in seen if language != "en"]


def test_dates_follow_the_report_language():
    text = text_of(pdf_of(figures(), language="en"))
    assert "July 1 al September 30, 2026" in text or "July 1 to September 30, 2026" in text
    assert "October 1, 2026" in text


def test_a_report_with_nobody_says_so():
    empty = figures(
        gains_by_course=[],
        gains_total=Gain(None, "", 0, True),
        gains_by_group=[],
        retention=[],
        completion=CompletionTime("Plaza", 0, True),
        funnel=CredentialFunnel("Plaza", 0, True),
    )
    text = text_of(pdf_of(empty))
    assert "Nadie presentó todavía las dos pruebas." in text
    assert "Nadie se inscribió en este trimestre." in text
    assert len(csv_of(empty)) == 4  # the header, the total, completion and the funnel
