"""Reading an uploaded CSV or XLSX into normalised rows (``parse_file``), and storing it
for its preview (``create_import``)."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from lms.enrollment.bulk.cells import read_xlsx
from lms.enrollment.bulk.fileformat import (
    EMPTY_FILE,
    ENCODING,
    FIELDS,
    HEADER_ALIASES,
    MAX_FILE_BYTES,
    NOT_TEXT,
    OLD_EXCEL,
    OLE_MAGIC,
    TEMPLATE_HEADERS,
    TOO_BIG,
    WRONG_KIND,
    XLSX_NAMED_CSV,
    ZIP_MAGIC,
    BulkFileError,
    cell_text,
    max_rows,
    normalise_header,
)
from lms.enrollment.models import BulkImport


def _valid_headers() -> str:
    return ", ".join(TEMPLATE_HEADERS.values())


def _quoted(cells: list[str]) -> str:
    return ", ".join(f"«{cell[:40]}»" for cell in cells[:10])


def _decode(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        return content[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return content.decode("utf-16")  # Excel's "Texto Unicode"
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        # Excel in Spanish on Windows saves "CSV (delimitado por comas)" in cp1252.
        return content.decode("cp1252")


def _read_csv(content: bytes) -> list[tuple[int, list[str], dict]]:
    if content.startswith(ZIP_MAGIC):
        raise BulkFileError(XLSX_NAMED_CSV)
    if content.startswith(OLE_MAGIC):
        raise BulkFileError(OLD_EXCEL)
    utf16 = content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in content and not utf16:
        raise BulkFileError(NOT_TEXT)  # text files have no NUL bytes; images, PDFs… do
    try:
        text = _decode(content)
    except UnicodeDecodeError as error:
        raise BulkFileError(ENCODING) from error
    if any(unicodedata.category(char) == "Cc" and char not in "\t\r\n" for char in text):
        raise BulkFileError(NOT_TEXT)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The header names no column with a separator in it, so the separator it uses most is
    # the file's (Excel in Spanish writes ";", others "," or a tab).
    counts = {sep: first_line.count(sep) for sep in (";", "\t", ",")}
    delimiter = max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","
    rows = []
    limit = max_rows() + 2
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, values in enumerate(reader, 1):
            cells = [cell_text(value) for value in values]
            if any(cells):
                rows.append((number, cells, {}))
                if len(rows) > limit:
                    break
    except csv.Error as error:
        raise BulkFileError(NOT_TEXT) from error
    return rows


def parse_file(*, name: str, content: bytes) -> list[dict]:
    """The learners listed in an uploaded file, one dict per non-blank row.

    Each row has ``row`` (its number in the spreadsheet; the header is row 1), the six
    ``FIELDS`` as stripped text ("" when absent), when the row has more cells than the
    header has names, ``extra`` (those cells) and, for an XLSX cell that cannot be read
    as what was typed (a formula without a saved result, a date), ``cell_problems``: a
    list of ``{"kind", "cell", "field", "shown"}`` (that field is then ""), which
    ``validate_rows`` reports. Raises ``BulkFileError``.
    """
    if not content:
        raise BulkFileError(EMPTY_FILE)
    if len(content) > MAX_FILE_BYTES:
        raise BulkFileError(TOO_BIG)
    extension = PurePath(name or "").suffix.lower()
    if extension == ".xls":
        raise BulkFileError(OLD_EXCEL)
    if extension == ".xlsx":
        table = read_xlsx(content)
    elif extension == ".csv":
        table = _read_csv(content)
    else:
        raise BulkFileError(WRONG_KIND)
    return _rows_from_table(table)


def _rows_from_table(table: list[tuple[int, list[str], dict]]) -> list[dict]:
    if not table:
        raise BulkFileError(EMPTY_FILE)
    (_header_number, header, _header_problems), data = table[0], table[1:]
    fields: list[str | None] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for cell in header:
        key = normalise_header(cell)
        name = HEADER_ALIASES.get(key) if key else None
        if key and name is None:
            unknown.append(cell)
        elif name is not None and name in fields:
            repeated.append(cell)
            name = None
        fields.append(name)
    if unknown:
        raise BulkFileError(
            _(
                "No reconocemos estas columnas: %(columns)s. La primera fila debe tener solo "
                "los encabezados de la plantilla: %(valid)s."
            )
            % {"columns": _quoted(unknown), "valid": _valid_headers()}
        )
    if repeated:
        raise BulkFileError(
            _("Estas columnas aparecen dos veces: %(columns)s. Deje solo una de cada una.")
            % {"columns": _quoted(repeated)}
        )
    if "username" not in fields:
        raise BulkFileError(
            _(
                "Falta la columna «usuario» en la primera fila. Descargue la plantilla y "
                "copie sus datos en ella."
            )
        )
    if not data:
        raise BulkFileError(
            _("El archivo solo tiene los encabezados. Agregue una fila por cada educando.")
        )
    if len(data) > max_rows():
        raise BulkFileError(
            _(
                "El archivo tiene más de %(max)s filas. Divídalo en varios archivos y "
                "súbalos uno por uno."
            )
            % {"max": max_rows()}
        )
    rows = []
    for number, cells, problems in data:
        row: dict = {"row": number, **dict.fromkeys(FIELDS, "")}
        extra = []
        for index, cell in enumerate(cells):
            name = fields[index] if index < len(fields) else None
            if name is not None:
                row[name] = cell
            elif cell:
                extra.append(cell)
        if extra:
            row["extra"] = extra
        misread = []
        for index, (kind, shown) in sorted(problems.items()):
            name = fields[index] if index < len(fields) else None
            if name is not None:
                row[name] = ""  # what was read is not what was typed
                cell = f"{get_column_letter(index + 1)}{number}"
                misread.append({"kind": kind, "cell": cell, "field": name, "shown": shown})
        if misread:
            row["cell_problems"] = misread
        elif not extra and not any(row[name] for name in FIELDS):
            continue  # only a problem outside the columns: nothing was typed here
        rows.append(row)
    return rows


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@transaction.atomic
def create_import(*, grupo, uploaded_by, filename: str, content: bytes) -> BulkImport:
    """Parse ``content`` and store it, unapplied, for its preview. Raises
    ``BulkFileError`` (and stores nothing) if the file cannot be read."""
    rows = parse_file(name=filename, content=content)
    return BulkImport.objects.create(
        grupo=grupo,
        uploaded_by=uploaded_by,
        filename=PurePath(filename).name[:255],
        sha256=file_sha256(content),
        rows=rows,
    )
