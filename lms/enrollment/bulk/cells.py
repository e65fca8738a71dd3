"""Reading an XLSX upload, and the cells of it that would be misread as text.

openpyxl reads the workbook twice: once with the results Excel saved, once with the
formulas, so that a formula whose result was never saved is told apart from a blank cell.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time, timedelta
from itertools import repeat

import openpyxl
from openpyxl.cell.cell import ERROR_CODES

from lms.enrollment.bulk.fileformat import (
    CELL_DATE,
    CELL_FORMULA,
    HEADER_ALIASES,
    MAX_BLANK_RUN,
    MAX_COLUMNS,
    MAX_XLSX_UNPACKED_BYTES,
    NOT_XLSX,
    OLD_EXCEL,
    OLE_MAGIC,
    TOO_BIG,
    ZIP_MAGIC,
    BulkFileError,
    cell_text,
    max_rows,
    normalise_header,
)


def read_xlsx(content: bytes) -> list[tuple[int, list[str], dict]]:
    if content.startswith(OLE_MAGIC):
        raise BulkFileError(OLD_EXCEL)
    if not content.startswith(ZIP_MAGIC):
        raise BulkFileError(NOT_XLSX)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise BulkFileError(TOO_BIG)
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        # The same file again, with formulas instead of the results Excel saved with them:
        # only this one tells a formula whose result was never saved from a blank cell.
        formulas = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except BulkFileError:
        raise
    except Exception as error:
        # openpyxl raises many kinds of errors on a damaged or foreign file; for the person
        # uploading it they all mean the same thing.
        raise BulkFileError(NOT_XLSX) from error
    try:
        # The template has more sheets ("Cursos", "Instrucciones") and Excel makes the one
        # last looked at the active one: read the sheet whose headers name a username.
        sheets = workbook.worksheets
        chosen = next((sheet for sheet in sheets if _names_usernames(sheet)), None)
        if chosen is None and sheets:
            chosen = sheets[0]
        if chosen is None:
            return []
        return _sheet_rows(chosen, formulas[chosen.title])
    finally:
        workbook.close()
        formulas.close()


def _names_usernames(sheet) -> bool:
    for values in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS, max_row=20):
        cells = [cell_text(value) for value in values]
        if any(cells):
            return "username" in {HEADER_ALIASES.get(normalise_header(c)) for c in cells}
    return False


def _shown_date(value) -> str:
    """A date or time from a cell, as Excel in Mexico shows it."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y" if value.time() == time() else "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)  # a duration ([h]:mm)


def _cell_problems(values, formula_cells) -> dict[int, tuple[str, str]]:
    """Column index → (kind, what the cell shows) for the cells of one row that would be
    misread as text: a formula without a saved result (openpyxl reads it as blank) or
    whose result is an Excel error, and a date (or time) that Excel made of what was
    typed. Every column of the template is text, so no date is ever meant."""
    problems = {}
    for index, value in enumerate(values):
        if isinstance(value, date | time | timedelta):
            problems[index] = (CELL_DATE, _shown_date(value))
    for index, cell in enumerate(formula_cells):
        if cell.data_type == "f" and index < len(values):
            value = values[index]
            if value is None or (isinstance(value, str) and value in ERROR_CODES):
                formula = getattr(cell.value, "text", None) or str(cell.value)
                problems[index] = (CELL_FORMULA, formula)
    return problems


def _sheet_rows(sheet, formula_sheet=None) -> list[tuple[int, list[str], dict]]:
    rows = []
    blank_run = 0
    limit = max_rows() + 2  # the header, and one row too many to say so
    # Both readings of the sheet walk the same rows of the same file, in step.
    formula_rows = (
        formula_sheet.iter_rows(max_col=MAX_COLUMNS) if formula_sheet is not None else repeat(())
    )
    numbered = enumerate(
        zip(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), formula_rows, strict=False),
        1,
    )
    for number, (values, formula_cells) in numbered:
        cells = [cell_text(value) for value in values]
        problems = _cell_problems(values, formula_cells)
        if not any(cells) and not problems:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        rows.append((number, cells, problems))
        if len(rows) > limit:
            break
    return rows
