"""Reading the uploaded file: CSV as Excel saves it in Spanish or English, XLSX, and every
way a file can be wrong, each with its Spanish message. No database needed."""

import codecs
import io

import openpyxl
import pytest

from lms.enrollment import bulk
from lms.enrollment.bulk import BulkFileError, parse_file

from .conftest import HEADERS, csv_bytes, xlsx_bytes


def _error(name: str, content: bytes) -> str:
    with pytest.raises(BulkFileError) as caught:
        parse_file(name=name, content=content)
    return caught.value.message


def _pick(rows, *fields):
    return [tuple(row[f] for f in fields) for row in rows]


class TestCsv:
    def test_utf8_comma_with_row_numbers_as_in_the_spreadsheet(self):
        content = csv_bytes(
            [
                ["maria.lopez", "María López", "maria@example.org", "", "", "B3MFP"],
                ["", "", "", "", "", ""],  # a blank row: skipped, but it still counts
                ["  jose ", "José Ñúñez", "", "213 555 0101", "", "a;b"],
            ]
        )
        rows = parse_file(name="lista.csv", content=content)
        assert _pick(rows, "row", "username", "name", "phone", "courses") == [
            (2, "maria.lopez", "María López", "", "B3MFP"),
            (4, "jose", "José Ñúñez", "213 555 0101", "a;b"),
        ]
        assert rows[0]["email"] == "maria@example.org"

    def test_utf8_with_bom(self):
        content = csv_bytes([["ana", "Ana Peña", "", "", "", ""]], bom=True)
        rows = parse_file(name="lista.csv", content=content)
        assert _pick(rows, "username", "name") == [("ana", "Ana Peña")]

    def test_cp1252_semicolon_as_excel_in_spanish_saves_it(self):
        content = csv_bytes(
            [["nuñez", "Begoña Ibáñez", "", "", "", "fracciones-y-porcentajes, B2MCU"]],
            headers=["Usuario", "Nombre", "Correo", "Teléfono", "CURP", "Cursos"],
            delimiter=";",
            encoding="cp1252",
        )
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
        rows = parse_file(name="LISTA.CSV", content=content)
        assert _pick(rows, "username", "name", "courses") == [
            ("nuñez", "Begoña Ibáñez", "fracciones-y-porcentajes, B2MCU")
        ]

    def test_tab_separated(self):
        content = csv_bytes([["ana", "Ana", "", "", "", "x"]], delimiter="\t")
        assert _pick(parse_file(name="a.csv", content=content), "username", "courses") == [
            ("ana", "x")
        ]

    def test_utf16_unicode_text_from_excel(self):
        text = "usuario\tnombre\r\nana\tAna Peña\r\n"
        content = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        assert _pick(parse_file(name="a.csv", content=content), "username", "name") == [
            ("ana", "Ana Peña")
        ]

    def test_a_quoted_name_with_a_comma(self):
        content = 'usuario,nombre\r\nana,"Peña, Ana"\r\n'.encode()
        assert parse_file(name="a.csv", content=content)[0]["name"] == "Peña, Ana"

    def test_only_the_username_column_is_required(self):
        rows = parse_file(name="a.csv", content=b"usuario\nana\nbeto\n")
        assert _pick(rows, "username", "name", "courses") == [("ana", "", ""), ("beto", "", "")]

    def test_headers_ignore_case_accents_spaces_and_accept_english(self):
        content = csv_bytes(
            [["ana", "Ana", "a@example.org", "2135550101", "", "x"]],
            headers=[" USERNAME ", "Name", "E-mail", "telefono", "Curp", "courses"],
        )
        row = parse_file(name="a.csv", content=content)[0]
        assert (row["username"], row["name"], row["email"], row["phone"], row["courses"]) == (
            "ana",
            "Ana",
            "a@example.org",
            "2135550101",
            "x",
        )

    def test_cells_beyond_the_headers_are_kept_for_an_error(self):
        content = b"usuario,nombre\nana,Pena,Ana\n"
        assert parse_file(name="a.csv", content=content)[0]["extra"] == ["Ana"]


class TestXlsx:
    def test_reads_the_first_sheet_with_numbers_as_text(self):
        content = xlsx_bytes(
            [
                ["maria", "María", None, 2135550101, None, "B3MFP"],
                [None, None, None, None, None, None],
                ["beto", "Beto", None, 5551234.0, None, None],
            ]
        )
        rows = parse_file(name="lista.xlsx", content=content)
        assert _pick(rows, "row", "username", "phone", "courses") == [
            (2, "maria", "2135550101", "B3MFP"),
            (4, "beto", "5551234", ""),
        ]

    def test_headers_lower_down_keep_the_row_numbers(self):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet["A3"], sheet["B3"] = "usuario", "nombre"
        sheet["A4"], sheet["A7"] = "ana", "beto"
        buffer = io.BytesIO()
        workbook.save(buffer)
        rows = parse_file(name="l.xlsx", content=buffer.getvalue())
        assert _pick(rows, "row", "username") == [(4, "ana"), (7, "beto")]

    def test_reads_the_learners_sheet_even_if_another_was_active(self):
        content = xlsx_bytes(
            [["ana", "Ana"]],
            headers=["usuario", "nombre"],
            sheets={"Cursos": [["código", "curso"], ["b3mfp", "Fracciones"]]},
        )
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        assert workbook.worksheets[0].title == "Cursos"
        assert _pick(parse_file(name="l.xlsx", content=content), "username") == [("ana",)]

    def test_the_template_reads_back(self, db):
        template = bulk.template_xlsx()
        workbook = openpyxl.load_workbook(io.BytesIO(template))
        assert workbook.sheetnames == ["Educandos", "Cursos", "Instrucciones"]
        assert [c.value for c in workbook["Educandos"][1]] == HEADERS
        workbook["Educandos"].append(["ana", "Ana Peña"])
        buffer = io.BytesIO()
        workbook.save(buffer)
        assert _pick(parse_file(name="p.xlsx", content=buffer.getvalue()), "username") == [("ana",)]


class TestBadFiles:
    def test_empty_file(self):
        assert "El archivo está vacío" in _error("a.csv", b"")
        assert "El archivo está vacío" in _error("a.csv", b"\r\n ;; \r\n")

    def test_headers_only(self):
        assert _error("a.csv", csv_bytes([])) == (
            "El archivo solo tiene los encabezados. Agregue una fila por cada educando."
        )
        assert "solo tiene los encabezados" in _error("a.xlsx", xlsx_bytes([]))

    def test_unknown_columns_are_named(self):
        message = _error("a.csv", b"usuario,curos,notas\nana,x,y\n")
        assert message == (
            "No reconocemos estas columnas: «curos», «notas». La primera fila debe tener solo "
            "los encabezados de la plantilla: usuario, nombre, correo, teléfono, curp, cursos."
        )

    def test_a_column_twice(self):
        assert "«Usuario»" in _error("a.csv", b"usuario,Usuario\nana,ana\n")

    def test_no_username_column(self):
        assert _error("a.csv", b"nombre,correo\nAna,a@example.org\n").startswith(
            "Falta la columna «usuario»"
        )

    def test_too_many_rows(self, settings):
        settings.AULA_BULK_MAX_ROWS = 3
        assert len(parse_file(name="a.csv", content=b"usuario\na1\na2\na3\n")) == 3
        assert _error("a.csv", b"usuario\na1\na2\na3\na4\n") == (
            "El archivo tiene más de 3 filas. Divídalo en varios archivos y súbalos uno por uno."
        )
        assert "más de 3 filas" in _error("a.xlsx", xlsx_bytes([[f"a{i}"] for i in range(4)]))

    def test_too_big(self):
        content = b"usuario\n" + b"ana\n" * (bulk.MAX_FILE_BYTES // 4)
        assert "demasiado grande" in _error("a.csv", content)

    def test_old_excel(self):
        assert "Excel 97-2003 (.xls)" in _error("lista.xls", b"whatever")
        ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
        assert "Excel 97-2003 (.xls)" in _error("lista.xlsx", ole)
        assert "Excel 97-2003 (.xls)" in _error("lista.csv", ole)

    def test_other_extensions(self):
        assert _error("lista.pdf", b"usuario\nana\n").startswith("Suba un archivo .csv o .xlsx")
        assert _error("lista", b"usuario\nana\n").startswith("Suba un archivo .csv o .xlsx")

    def test_renamed_binary(self):
        png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
        assert _error("lista.csv", png).startswith("El archivo no es un CSV de texto")
        assert _error("lista.xlsx", png).startswith("El archivo no es un libro de Excel")

    def test_a_damaged_xlsx(self):
        assert _error("a.xlsx", b"PK\x03\x04" + b"broken" * 20).startswith(
            "El archivo no es un libro de Excel"
        )

    def test_an_xlsx_renamed_to_csv(self):
        assert "por dentro es un libro de Excel" in _error("a.csv", xlsx_bytes([["ana"]]))

    def test_undecodable_text(self):
        # 0x81 is undefined in cp1252 and invalid in UTF-8.
        assert _error("a.csv", b"usuario\nan\x81a\n").startswith(
            "No pudimos leer las letras del archivo"
        )


class TestCourseCodes:
    @pytest.mark.parametrize(
        ("cell", "codes"),
        [
            ("", []),
            ("B3MFP", ["B3MFP"]),
            ("B3MFP; salud-y-prevencion", ["B3MFP", "salud-y-prevencion"]),
            (" b3mfp ,B3MFP;; x ", ["b3mfp", "x"]),
        ],
    )
    def test_split(self, cell, codes):
        assert bulk.split_course_codes(cell) == codes
