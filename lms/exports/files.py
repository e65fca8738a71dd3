"""The files of an export: CSV (UTF-8 with a BOM, streamed in chunks or written to a
file) and XLSX (openpyxl's write-only mode), from the rows of ``queries``."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import BinaryIO

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lms.exports.columns import SHEET_TITLES
from lms.exports.filters import ExportFilters
from lms.exports.models import ExportFormat, ExportKind
from lms.exports.queries import ExportQuery, build_query

CSV_FLUSH_ROWS = 500  # rows per chunk of a streamed CSV
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.ZIP: "application/zip",  # the research export (``research``)
}
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
BOM = "\ufeff".encode()

# A phone number ("+52 55 1234 5678") starts with "+" but cannot be a formula.
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, str):
        # Spreadsheets run a cell that starts like a formula (CSV injection): names and
        # usernames are typed by learners, so such text is quoted as text.
        if value.startswith(_FORMULA_START) and not _PHONE_LIKE.fullmatch(value):
            return "'" + value
        return value
    return str(value)


def _csv_chunks(query: ExportQuery, counter: list[int]) -> Iterator[str]:
    """The CSV text in chunks of ``CSV_FLUSH_ROWS`` rows; ``counter[0]`` counts rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(query.headers)
    pending = 0
    for row in query.rows():
        writer.writerow([_csv_cell(value) for value in row])
        pending += 1
        if pending >= CSV_FLUSH_ROWS:
            counter[0] += pending
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    counter[0] += pending
    yield buffer.getvalue()


def stream_csv(*, kind: str, user, filters: ExportFilters | None = None) -> Iterator[bytes]:
    """The CSV file in UTF-8 chunks, starting with a BOM so Excel reads the accents."""
    query = build_query(kind=kind, user=user, filters=filters)
    yield BOM
    for chunk in _csv_chunks(query, [0]):
        yield chunk.encode()


def write_csv(*, kind: str, user, filters: ExportFilters | None = None, out: BinaryIO) -> int:
    """Write the CSV file (UTF-8 with BOM) to the binary file ``out``; returns the rows."""
    query = build_query(kind=kind, user=user, filters=filters)
    counter = [0]
    out.write(BOM)
    for chunk in _csv_chunks(query, counter):
        out.write(chunk.encode())
    return counter[0]


def write_xlsx(*, kind: str, user, filters: ExportFilters | None = None, out: BinaryIO) -> int:
    """Write an XLSX workbook (openpyxl write-only: rows go to a temporary file, never all
    in memory) to the binary file ``out``; returns the rows. Dates are real date cells
    shown as ``yyyy-mm-dd hh:mm`` in local time."""
    query = build_query(kind=kind, user=user, filters=filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(SHEET_TITLES[ExportKind(kind)]))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(query.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (
            18 if column.type == "datetime" else 14 if column.type == "number" else 22
        )
    bold = Font(bold=True)
    header = []
    for title in query.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    for row in query.rows():
        cells = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None, second=0))
                cell.number_format = XLSX_DATETIME_FORMAT
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                # openpyxl would store it as a formula; keep it text.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        rows += 1
    workbook.save(out)
    return rows


WRITERS = {ExportFormat.CSV: write_csv, ExportFormat.XLSX: write_xlsx}


def filename(*, kind: str, fmt: str, day: date | None = None) -> str:
    """``aula-inscripciones-2026-11-28.csv`` (local date)."""
    day = day or timezone.localdate()
    return f"aula-{kind}-{day.isoformat()}.{fmt}"
