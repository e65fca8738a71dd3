"""Helpers for the bulk-enrollment tests: files built in memory, as Excel writes them."""

import csv
import io

import openpyxl
import pytest

from lms.accounts import api as accounts_api

HEADERS = ["usuario", "nombre", "correo", "teléfono", "curp", "cursos"]
# Valid CURPs (check digit included), different people.
CURPS = ["BOXW310820HNERXN09", "HEGG560427MVZRRL04"]
BAD_CURP = "BOXW310820HNERXN08"


def csv_bytes(
    rows, *, headers=HEADERS, delimiter=",", encoding="utf-8", bom=False, line_end="\r\n"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    if headers is not None:
        writer.writerow(headers)
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, *, headers=HEADERS, sheets=None) -> bytes:
    """An .xlsx with ``rows`` under ``headers`` in its first sheet; ``sheets`` maps the
    names of sheets to put *before* it to their rows."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    for name, sheet_rows in (sheets or {}).items():
        sheet = workbook.create_sheet(name, 0)
        for row in sheet_rows:
            sheet.append(row)
    if headers is not None:
        first.append(headers)
    for row in rows:
        first.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def norte(sedes):
    """(sede, coordinator, grupo) of Plaza norte."""
    return sedes["norte"]


@pytest.fixture
def admin(make_user):
    return make_user("administradora", accounts_api.roles.ADMINISTRADOR)


def upload(client, grupo, content: bytes, name: str = "lista.csv"):
    """POST a file to the upload page, as the browser form does."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/coordinacion/inscripcion/",
        {"grupo": grupo.pk, "file": SimpleUploadedFile(name, content)},
    )
