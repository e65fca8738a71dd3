"""XLSX cells that openpyxl would read as something other than what the coordinator typed:
a formula whose result the file does not keep (read as blank) and a date that Excel made
of a text (read as an ISO date). Each becomes an error on its row, naming the cell."""

import io
from datetime import date, datetime, time

import openpyxl
import pytest
from django.utils import translation

from lms.enrollment import bulk
from lms.enrollment.bulk import parse_file

from .conftest import HEADERS, upload

FORMULA_ADVICE = (
    "y el archivo no guarda su resultado, así que no sabemos qué dice. Abra el archivo en "
    "Excel y guárdelo de nuevo, o escriba el valor en lugar de la fórmula."
)
DATE_ADVICE = (
    "Escríbalo como texto: dé a la columna el formato «Texto», o escriba un apóstrofo (') "
    "antes del valor."
)


def _workbook(rows) -> bytes:
    """An .xlsx as openpyxl writes it: a formula is stored without a result (only Excel
    computes one when it saves), a date as a date."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _with_results(content: bytes, results: dict[str, object]) -> bytes:
    """``content`` as Excel would save it: each formula cell keeps its result too."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for cell, value in results.items():
                    text = re.sub(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/?>(</v>)?',
                        rf'<c r="{cell}" t="str"><f>\2</f><v>{value}</v>',
                        text,
                    )
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


class TestReading:
    def test_a_formula_without_its_result_is_not_read_as_blank(self):
        content = _workbook(
            [
                ["ana", '=A2&" López"', None, None, None, "B3MFP"],
                ["=LOWER(B4)", "Beto Ruiz", None, None, None, None],
                ["carla", "Carla", None, None, None, None],
            ]
        )
        rows = parse_file(name="lista.xlsx", content=content)
        assert [row["row"] for row in rows] == [2, 3, 4]
        assert rows[0]["name"] == "" and rows[0]["cell_problems"] == [
            {"kind": "formula", "cell": "B2", "field": "name", "shown": '=A2&" López"'}
        ]
        assert rows[1]["username"] == "" and rows[1]["cell_problems"][0]["cell"] == "A3"
        assert "cell_problems" not in rows[2]

    def test_a_formula_with_its_result_saved_reads_the_result(self):
        content = _with_results(_workbook([["ana", '=UPPER("ana lópez")']]), {"B2": "ANA LÓPEZ"})
        (row,) = parse_file(name="lista.xlsx", content=content)
        assert row["name"] == "ANA LÓPEZ" and "cell_problems" not in row

    def test_a_formula_whose_result_is_an_excel_error(self):
        content = _with_results(_workbook([["ana", "=Hoja2!A1"]]), {"B2": "#REF!"})
        (row,) = parse_file(name="lista.xlsx", content=content)
        assert row["cell_problems"][0]["kind"] == "formula" and row["name"] == ""

    def test_a_row_of_formulas_only_is_not_skipped_as_blank(self):
        rows = parse_file(name="lista.xlsx", content=_workbook([["=C5", "=D5"]]))
        assert [problem["cell"] for problem in rows[0]["cell_problems"]] == ["A2", "B2"]

    def test_dates_in_text_columns(self):
        content = _workbook(
            [
                ["ana", "Ana", None, date(2024, 3, 15), None, None],
                ["beto", datetime(2024, 1, 2, 10, 30), None, None, None, None],
                [datetime(2025, 12, 1), "Carla", None, None, None, time(8, 5)],
            ]
        )
        rows = parse_file(name="lista.xlsx", content=content)
        shown = [[(p["cell"], p["field"], p["shown"]) for p in r["cell_problems"]] for r in rows]
        assert shown == [
            [("D2", "phone", "15/03/2024")],
            [("B3", "name", "02/01/2024 10:30")],
            [("A4", "username", "01/12/2025"), ("F4", "courses", "08:05")],
        ]
        assert (rows[0]["phone"], rows[1]["name"], rows[2]["username"]) == ("", "", "")

    def test_a_problem_outside_the_columns_is_left_alone(self):
        content = _workbook([["ana", "Ana", None, None, None, None, None, "=Z9"]])
        (row,) = parse_file(name="lista.xlsx", content=content)
        assert "cell_problems" not in row and "extra" not in row

    def test_csv_has_no_such_cells(self):
        (row,) = parse_file(name="lista.csv", content=b"usuario,nombre\nana,=A1&B1\n")
        assert row["name"] == "=A1&B1" and "cell_problems" not in row


class TestReported:
    def test_each_misread_cell_is_an_error_of_its_row(self, norte):
        _sede, coordinator, grupo = norte
        content = _workbook(
            [
                ["ana", '=A2&" López"', None, None, None, None],
                ["beto", "Beto", None, date(2024, 3, 15), None, None],
                ["=LOWER(B5)", "Carla", None, None, None, None],
                ["dora", "Dora", None, None, None, None],
            ]
        )
        rows = parse_file(name="lista.xlsx", content=content)
        check = bulk.validate_rows(rows=rows, grupo=grupo, by=coordinator)
        errors = {row.number: row.errors for row in check.rows}
        assert errors[2] == [
            f'Celda B2 («nombre»): tiene una fórmula (=A2&" López") {FORMULA_ADVICE}'
        ]
        assert errors[3] == [
            f"Celda D3 («teléfono»): Excel convirtió lo que escribió en una fecha "
            f"(15/03/2024). {DATE_ADVICE}"
        ]
        # A username the file does not give is not also "missing": one error, the cause.
        assert errors[4] == [
            f"Celda A4 («usuario»): tiene una fórmula (=LOWER(B5)) {FORMULA_ADVICE}"
        ]
        assert errors[5] == []
        assert [row.number for row in check.error_rows] == [2, 3, 4]

    @pytest.mark.parametrize("language", ["es-mx", "en"])
    def test_the_preview_names_the_cell(self, client, norte, language):
        _sede, coordinator, grupo = norte
        client.force_login(coordinator)
        client.cookies["django_language"] = language
        content = _workbook([["ana", None, None, None, None, "=Cursos!A2"]])
        # The middleware activates the cookie's language and leaves it active afterwards.
        with translation.override("es-mx"):
            response = client.get(upload(client, grupo, content, name="lista.xlsx")["Location"])
        html = response.content.decode()
        if language == "en":
            assert "Cell F2 (“cursos”): it has a formula (=Cursos!A2)" in html
        else:
            assert "Celda F2 («cursos»): tiene una fórmula (=Cursos!A2)" in html
        assert "/aplicar/" not in html
