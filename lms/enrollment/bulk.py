"""Bulk enrollment: a coordinator's spreadsheet of learners becomes accounts, members of a
grupo and enrollments in courses.

The steps, each a function here:

* ``parse_file`` reads an uploaded CSV or XLSX into normalised rows, or raises
  ``BulkFileError`` with a Spanish message (wrong kind of file, unknown columns…).
* ``validate_rows`` checks every row against the database in a constant number of
  queries and says, row by row, what applying would do or what is wrong.
* ``apply_import`` validates again and writes everything in one transaction, or nothing.
  Learners without email get a one-time access code, printed on a PDF sheet that is made
  in the same transaction (the codes exist in plain text only then); learners with email
  get a welcome email with a link to choose their password, sent after the commit. The
  coordinator's pages run it in a Celery task, with a progress page (``bulk_apply``).
* ``cleanup`` (Celery beat) deletes uploads nobody applied and sheets whose codes expired.

Applying is idempotent by construction: a row whose person already has an account in the
coordinator's sedes only joins the grupo and the courses they lack, so the same file
applied twice creates nothing the second time.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import secrets
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import repeat
from pathlib import PurePath

import openpyxl
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from content.api import normalize_text
from courses import api as courses_api
from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import BulkImport, Enrollment, Membership

# --- Reading the file ---------------------------------------------------------------------

MAX_FILE_BYTES = 2 * 1024 * 1024
# What an .xlsx of at most 2 MB may unpack to; more is a "zip bomb", not a list of people.
MAX_XLSX_UNPACKED_BYTES = 60 * 1024 * 1024
MAX_COLUMNS = 40
# Excel often leaves formatted but empty rows at the end of a sheet: stop reading after
# this many blank rows in a row instead of walking a million of them.
MAX_BLANK_RUN = 1000

FIELDS = ("username", "name", "email", "phone", "curp", "courses")
# The template's headers, in order (what a coordinator sees in the spreadsheet).
TEMPLATE_HEADERS = {
    "username": "usuario",
    "name": "nombre",
    "email": "correo",
    "phone": "teléfono",
    "curp": "curp",
    "courses": "cursos",
}
# Header text, compared without case, accents or surrounding spaces → field.
HEADER_ALIASES = {
    "usuario": "username",
    "nombre de usuario": "username",
    "username": "username",
    "user": "username",
    "nombre": "name",
    "nombre completo": "name",
    "nombre para sus constancias": "name",
    "name": "name",
    "full name": "name",
    "correo": "email",
    "correo electronico": "email",
    "email": "email",
    "e-mail": "email",
    "telefono": "phone",
    "celular": "phone",
    "phone": "phone",
    "curp": "curp",
    "cursos": "courses",
    "curso": "courses",
    "courses": "courses",
    "course": "courses",
}
FIELD_LABELS = {
    "username": gettext_lazy("Usuario"),
    "display_name": gettext_lazy("Nombre"),
    "name": gettext_lazy("Nombre"),
    "email": gettext_lazy("Correo"),
    "phone": gettext_lazy("Teléfono"),
    "curp": gettext_lazy("CURP"),
    "courses": gettext_lazy("Cursos"),
}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other old Office


EMPTY_FILE = gettext_lazy(
    "El archivo está vacío. Use la plantilla y escriba una fila por educando."
)
TOO_BIG = gettext_lazy(
    "El archivo es demasiado grande (el máximo es 2 MB). Divídalo en varios archivos."
)
WRONG_KIND = gettext_lazy(
    "Suba un archivo .csv o .xlsx. Puede descargar la plantilla en cualquiera de los dos."
)
OLD_EXCEL = gettext_lazy(
    "Este archivo es de Excel 97-2003 (.xls) y no lo podemos leer. En Excel, elija «Guardar "
    "como» y luego «Libro de Excel (.xlsx)» o «CSV UTF-8», y súbalo de nuevo."
)
NOT_XLSX = gettext_lazy(
    "El archivo no es un libro de Excel (.xlsx) válido o está dañado. Ábralo en Excel, "
    "guárdelo como «Libro de Excel (.xlsx)» y súbalo de nuevo."
)
XLSX_NAMED_CSV = gettext_lazy(
    "El archivo se llama .csv pero por dentro es un libro de Excel. Súbalo con su nombre "
    "terminado en .xlsx, o guárdelo en Excel como «CSV UTF-8»."
)
ENCODING = gettext_lazy(
    "No pudimos leer las letras del archivo. En Excel, guárdelo como «CSV UTF-8» o como "
    "«Libro de Excel (.xlsx)» y súbalo de nuevo."
)
NOT_TEXT = gettext_lazy(
    "El archivo no es un CSV de texto. Ábralo en Excel, guárdelo como «CSV UTF-8» o como "
    "«Libro de Excel (.xlsx)» y súbalo de nuevo."
)

# Kinds of XLSX cells that would be misread (``cell_problems``), and what to tell.
CELL_FORMULA = "formula"
CELL_DATE = "date"
CELL_PROBLEM_MESSAGES = {
    CELL_FORMULA: gettext_lazy(
        "Celda %(cell)s («%(column)s»): tiene una fórmula (%(shown)s) y el archivo no guarda "
        "su resultado, así que no sabemos qué dice. Abra el archivo en Excel y guárdelo de "
        "nuevo, o escriba el valor en lugar de la fórmula."
    ),
    CELL_DATE: gettext_lazy(
        "Celda %(cell)s («%(column)s»): Excel convirtió lo que escribió en una fecha "
        "(%(shown)s). Escríbalo como texto: dé a la columna el formato «Texto», o escriba "
        "un apóstrofo (') antes del valor."
    ),
}


class BulkFileError(Exception):
    """The upload cannot be read as a list of learners. ``message`` says why, in Spanish,
    and what to do about it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _valid_headers() -> str:
    return ", ".join(TEMPLATE_HEADERS.values())


def _quoted(cells: list[str]) -> str:
    return ", ".join(f"«{cell[:40]}»" for cell in cells[:10])


def _normalise_header(value: str) -> str:
    return normalize_text(value.replace("\ufeff", "")).strip(" *:")


def _cell_text(value) -> str:
    """A spreadsheet cell as the text the person typed. Excel turns a phone number into a
    number (2135550101.0) and may decompose accents (macOS): undo both."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return unicodedata.normalize("NFC", text).strip()


def _read_xlsx(content: bytes) -> list[tuple[int, list[str]]]:
    if content.startswith(_OLE_MAGIC):
        raise BulkFileError(OLD_EXCEL)
    if not content.startswith(_ZIP_MAGIC):
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
        cells = [_cell_text(value) for value in values]
        if any(cells):
            return "username" in {HEADER_ALIASES.get(_normalise_header(c)) for c in cells}
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
    limit = _max_rows() + 2  # the header, and one row too many to say so
    # Both readings of the sheet walk the same rows of the same file, in step.
    formula_rows = (
        formula_sheet.iter_rows(max_col=MAX_COLUMNS) if formula_sheet is not None else repeat(())
    )
    numbered = enumerate(
        zip(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), formula_rows, strict=False),
        1,
    )
    for number, (values, formula_cells) in numbered:
        cells = [_cell_text(value) for value in values]
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
    if content.startswith(_ZIP_MAGIC):
        raise BulkFileError(XLSX_NAMED_CSV)
    if content.startswith(_OLE_MAGIC):
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
    limit = _max_rows() + 2
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, values in enumerate(reader, 1):
            cells = [_cell_text(value) for value in values]
            if any(cells):
                rows.append((number, cells, {}))
                if len(rows) > limit:
                    break
    except csv.Error as error:
        raise BulkFileError(NOT_TEXT) from error
    return rows


def _max_rows() -> int:
    return int(settings.AULA_BULK_MAX_ROWS)


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
        table = _read_xlsx(content)
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
        key = _normalise_header(cell)
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
    if len(data) > _max_rows():
        raise BulkFileError(
            _(
                "El archivo tiene más de %(max)s filas. Divídalo en varios archivos y "
                "súbalos uno por uno."
            )
            % {"max": _max_rows()}
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


# --- Templates ------------------------------------------------------------------------------


def enrollable_courses() -> list:
    """The published courses, in catalog order: what a coordinator may list in ``cursos``."""
    return list(courses_api.CoursePage.objects.live().select_related("module").order_by("path"))


def template_csv() -> bytes:
    """The CSV template: the headers only, UTF-8 with a BOM so Excel shows the accents."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(TEMPLATE_HEADERS.values())
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """The XLSX template: the sheet to fill in, the courses to choose from and how."""
    bold = Font(bold=True)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _("Educandos")
    sheet.append(list(TEMPLATE_HEADERS.values()))
    widths = {"username": 22, "name": 34, "email": 30, "phone": 18, "curp": 22, "courses": 40}
    for index, name in enumerate(TEMPLATE_HEADERS, 1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = bold
        sheet.column_dimensions[letter].width = widths[name]
        if name in ("username", "phone", "curp"):
            # Text, so Excel keeps phone numbers and CURPs exactly as typed.
            sheet.column_dimensions[letter].number_format = "@"
    sheet.freeze_panes = "A2"

    courses = workbook.create_sheet(_("Cursos"))
    courses.append([_("código"), _("curso"), _("clave del MEVyT")])
    for cell in courses[1]:
        cell.font = bold
    for course in enrollable_courses():
        courses.append([course.slug, course.title, course.module.key if course.module else ""])
        for cell in courses[courses.max_row]:
            # A title that starts with "=" is text, not a formula for Excel to run.
            cell.data_type = "s"
    courses.column_dimensions["A"].width = 32
    courses.column_dimensions["B"].width = 44
    courses.column_dimensions["C"].width = 18

    notes = workbook.create_sheet(_("Instrucciones"))
    notes.column_dimensions["A"].width = 110
    lines = [
        _("Cómo llenar esta plantilla"),
        _(
            "1. En la hoja «Educandos», escriba una fila por persona. Solo «usuario» es "
            "obligatorio; lo demás puede quedar en blanco."
        ),
        _(
            "2. «usuario»: con él entrará a Aula. Letras, números, punto, guion y guion bajo, "
            "sin espacios; también sirve su número de teléfono."
        ),
        _(
            "3. «nombre»: como quiere que aparezca en sus constancias. «correo», «teléfono» y "
            "«curp» son opcionales."
        ),
        _(
            "4. «cursos»: los códigos de la hoja «Cursos», separados por punto y coma (;). "
            "Si lo deja en blanco, la persona solo entra al grupo."
        ),
        _(
            "5. Quien tiene correo recibe un enlace para elegir su contraseña. A quien no "
            "tiene correo le damos un código de acceso que usted imprime y le entrega."
        ),
        _(
            "6. Guarde el archivo y súbalo en Aula. Antes de inscribir a nadie le mostramos "
            "una vista previa con los errores que haya que corregir."
        ),
        _("Ejemplo: usuario maria.lopez · nombre María López · cursos %(example)s")
        % {"example": "fracciones-y-porcentajes; salud-y-prevencion"},
    ]
    for line in lines:
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=13)
    for row in notes.iter_rows(min_row=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Validating -----------------------------------------------------------------------------

NEW = "new"
EXISTING = "existing"
UNCHANGED = "unchanged"
ERROR = "error"
STATUS_LABELS = {
    NEW: gettext_lazy("Cuenta nueva"),
    EXISTING: gettext_lazy("Ya tiene cuenta"),
    UNCHANGED: gettext_lazy("Sin cambios"),
    ERROR: gettext_lazy("Con errores"),
}


def split_course_codes(cell: str) -> list[str]:
    """``"B3MFP; salud-y-prevencion, finanzas"`` → the codes, without repeats."""
    codes = [code.strip() for code in cell.replace(",", ";").split(";")]
    seen: dict[str, str] = {}
    for code in codes:
        if code:
            seen.setdefault(normalize_text(code), code)
    return list(seen.values())


@dataclass
class RowCheck:
    """One row of the file and what applying it would do (or why it cannot)."""

    number: int
    username: str
    name: str
    email: str
    course_labels: list[str]
    status: str = NEW
    errors: list[str] = field(default_factory=list)
    user_id: int | None = None
    joins_grupo: bool = False
    enroll_in: list = field(default_factory=list)
    already_in: list = field(default_factory=list)
    data: dict = field(default_factory=dict, repr=False)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def gets_code(self) -> bool:
        return self.status == NEW and not self.email

    @property
    def gets_email(self) -> bool:
        return self.status == NEW and bool(self.email)


@dataclass
class Check:
    """Every row of a file checked against the database, and the totals."""

    rows: list[RowCheck]
    users: dict = field(default_factory=dict, repr=False)

    @property
    def error_rows(self) -> list[RowCheck]:
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    @property
    def rows_for_display(self) -> list[RowCheck]:
        """Rows with errors first (what the coordinator must fix), then the rest in file
        order."""
        return sorted(self.rows, key=lambda row: (not row.errors, row.number))

    def counts(self) -> dict[str, int]:
        valid = [row for row in self.rows if not row.errors]
        return {
            "rows": len(self.rows),
            "new_accounts": sum(row.status == NEW for row in valid),
            "existing": sum(row.status == EXISTING for row in valid),
            "unchanged": sum(row.status == UNCHANGED for row in valid),
            "errors": len(self.rows) - len(valid),
            "new_enrollments": sum(len(row.enroll_in) for row in valid),
            "new_memberships": sum(row.joins_grupo for row in valid),
            "codes": sum(row.gets_code for row in valid),
            "emails": sum(row.gets_email for row in valid),
        }

    @property
    def has_changes(self) -> bool:
        totals = self.counts()
        return bool(totals["new_accounts"] or totals["existing"])

    def add_error(self, number: int, message: str) -> None:
        for row in self.rows:
            if row.number == number:
                if message not in row.errors:
                    row.errors.append(message)
                row.status = ERROR


def _labelled(field_name: str, value: str, message) -> str:
    if len(value) > 60:
        value = value[:59] + "…"
    return _("%(field)s «%(value)s»: %(message)s") % {
        "field": FIELD_LABELS.get(field_name, field_name),
        "value": value,
        "message": message,
    }


def _course_index(courses) -> dict[str, object]:
    """Normalised code → course. A course is named by its slug or its curriculum module's
    key (or official code); a module key shared by two courses names neither (None)."""
    index: dict[str, object] = {}
    by_module: dict[str, list] = defaultdict(list)
    for course in courses:
        index[normalize_text(course.slug)] = course
        if course.module is not None:
            for key in {course.module.key, course.module.code} - {""}:
                by_module[normalize_text(key)].append(course)
    for key, matches in by_module.items():
        if key not in index:
            index[key] = matches[0] if len(matches) == 1 else None
    return index


def _window_error(course, *, by_staff: bool) -> str | None:
    reason = enrollment_api.closed_reason(course, by_staff=by_staff)
    title = course.title
    if reason == "coordinator_only":
        return _(
            "Curso «%(course)s»: solo la coordinación puede inscribir a este curso y su "
            "cuenta no tiene ese permiso."
        ) % {"course": title}
    if reason == "not_open_yet":
        return _("Curso «%(course)s»: la inscripción abre el %(date)s.") % {
            "course": title,
            "date": timezone.localtime(course.enrollment_opens_at).strftime("%d/%m/%Y"),
        }
    if reason == "closed":
        return _("Curso «%(course)s»: la inscripción ya cerró.") % {"course": title}
    return None


def validate_rows(*, rows: list[dict], grupo, by) -> Check:
    """Check every row of a file for ``grupo``, as coordinator ``by`` would apply it.

    The number of queries does not depend on the number of rows: courses, accounts, CURPs,
    roles, memberships and enrollments are looked up for the whole file at once, and each
    row's fields are checked with the accounts rules without touching the database.
    """
    return _Validator(rows=rows, grupo=grupo, by=by).check()


# Messages shared by several checks.
REPEATED = gettext_lazy("se repite en el archivo (ya está en la fila %(row)s).")
USERNAME_DUPLICATE = gettext_lazy(
    "usuario duplicado: ya lo usa otra persona. Elija otro; por ejemplo, agréguele un número. "
    "Si es la misma persona y ya tiene cuenta, quítela de la lista y dele el código del grupo "
    "para que se una ella misma."
)
USERNAME_LOOKALIKE = gettext_lazy(
    "se parece demasiado al de una cuenta que ya existe y se podrían confundir. Elija otro; "
    "por ejemplo, agréguele un número. Si es la misma persona y ya tiene cuenta, escriba su "
    "usuario exactamente como lo tiene."
)
LOOKS_LIKE_ROW = gettext_lazy(
    "se parece demasiado al usuario de la fila %(row)s y se podrían confundir. Elija otro; por "
    "ejemplo, agréguele un número."
)


class _Validator:
    """One validation of one file: the batch look-ups, then each row in file order (the
    order matters: the first occurrence of a username and the first rows to claim the last
    seats of a course win)."""

    def __init__(self, *, rows: list[dict], grupo, by):
        self.grupo = grupo
        self.by = by
        # Each row with its username as typed and as the accounts would store it.
        self.rows = []
        for raw in rows:
            typed = raw.get("username", "")
            self.rows.append((raw, typed, accounts_api.normalise_username(typed)))
        # What each stored username looks like, to refuse look-alikes of accounts and rows.
        self.skeleton_of = {
            stored: accounts_api.username_skeleton(stored) for _raw, _typed, stored in self.rows
        }
        self.first_row_of_username: dict[str, int] = {}
        self.first_row_of_skeleton: dict[str, int] = {}
        self.first_row_of_curp: dict[str, int] = {}

    def check(self) -> Check:
        self._look_up()
        return Check(rows=[self._check_row(*row) for row in self.rows], users=self.users_by_id)

    # --- Batch look-ups (a fixed number of queries) ---

    def _look_up(self) -> None:
        user_model = get_user_model()
        courses = list(courses_api.CoursePage.objects.select_related("module"))
        self.course_index = _course_index(courses)
        self.by_staff = self.by.has_perm("courses.edit_any_course")
        self.scope = set(enrollment_api.sedes_in_scope(user=self.by).values_list("id", flat=True))

        # Usernames are unique without regard to case; match them the same way. The same
        # query finds the accounts whose usernames look like a row's (same skeleton).
        typed = {value for _raw, *names in self.rows for value in names if value}
        candidates = typed | {value.lower() for value in typed}
        skeletons = set(self.skeleton_of.values()) - {""}
        self.existing: dict[str, object] = {}
        self.taken_skeletons: set[str] = set()
        if candidates:
            matches = user_model.objects.annotate(_lower=Lower("username")).filter(
                Q(_lower__in=candidates) | Q(username_skeleton__in=skeletons)
            )
            for user in matches.order_by("id"):
                if user._lower in candidates:
                    self.existing.setdefault(user.username.lower(), user)
                self.taken_skeletons.add(user.username_skeleton)
        self.users_by_id = {user.pk: user for user in self.existing.values()}
        self.plain: set[int] = set()
        self.sedes_of: dict[int, set[int]] = defaultdict(set)
        self.grupos_of: dict[int, set[int]] = defaultdict(set)
        self.active: set[tuple[int, int]] = set()
        if self.users_by_id:
            ids = list(self.users_by_id)
            self.plain = set(
                enrollment_api.plain_learners().filter(pk__in=ids).values_list("pk", flat=True)
            )
            for user_id, grupo_id, sede_id in Membership.objects.filter(
                user_id__in=ids
            ).values_list("user_id", "grupo_id", "grupo__sede_id"):
                self.sedes_of[user_id].add(sede_id)
                self.grupos_of[user_id].add(grupo_id)
            self.active = set(
                Enrollment.objects.filter(user_id__in=ids, withdrawn_at__isnull=True).values_list(
                    "user_id", "course_id"
                )
            )

        curps = {accounts_api.normalise_curp(raw.get("curp", "")) for raw, *_names in self.rows}
        curps.discard("")
        self.taken_curps = (
            set(user_model.objects.filter(curp__in=curps).values_list("curp", flat=True))
            if curps
            else set()
        )

        capped = [course for course in courses if course.capacity is not None]
        taken = {}
        if capped:
            taken = dict(
                Enrollment.objects.filter(
                    course_id__in=[course.pk for course in capped], withdrawn_at__isnull=True
                )
                .values("course_id")
                .annotate(n=Count("id"))
                .values_list("course_id", "n")
            )
        self.seats_left = {
            course.pk: max(course.capacity - taken.get(course.pk, 0), 0) for course in capped
        }

    # --- One row ---

    def _check_row(self, raw: dict, typed: str, stored: str) -> RowCheck:
        number = raw["row"]
        row = RowCheck(
            number=number,
            username=stored or typed,
            name=raw.get("name", ""),
            email=raw.get("email", ""),
            course_labels=[],
            data=raw,
        )
        if raw.get("extra"):
            row.errors.append(
                _(
                    "La fila tiene datos de más, fuera de las columnas: %(cells)s. Revise que "
                    "ningún dato tenga una coma o un punto y coma de más."
                )
                % {"cells": ", ".join(f"«{cell}»" for cell in raw["extra"][:3])}
            )
        misread = raw.get("cell_problems", [])
        for problem in misread:
            row.errors.append(
                CELL_PROBLEM_MESSAGES[problem["kind"]]
                % {
                    "cell": problem["cell"],
                    "column": TEMPLATE_HEADERS[problem["field"]],
                    "shown": problem["shown"][:60],
                }
            )
        repeated = False
        if not stored:
            if not any(problem["field"] == "username" for problem in misread):
                row.errors.append(_("Falta el usuario: escriba con qué nombre de usuario entrará."))
        else:
            first = self.first_row_of_username.setdefault(stored.lower(), number)
            if first != number:
                repeated = True
                row.errors.append(_labelled("username", typed, REPEATED % {"row": first}))
            user = self.existing.get(stored.lower()) or self.existing.get(typed.lower())
            if user is None:
                self._check_new(row, raw, typed, stored, repeated=repeated)
            else:
                self._check_existing(row, user, typed)
        # A repeated row is the same person: it must not take a second seat.
        self._check_courses(row, raw, takes_seats=not repeated)
        if row.errors:
            row.status = ERROR
        elif row.status == EXISTING and not (row.joins_grupo or row.enroll_in):
            row.status = UNCHANGED
        return row

    def _check_new(
        self, row: RowCheck, raw: dict, typed: str, stored: str, *, repeated: bool
    ) -> None:
        row.joins_grupo = True
        values = {
            "username": typed,
            "display_name": row.name,
            "email": row.email,
            "phone": raw.get("phone", ""),
            "curp": raw.get("curp", ""),
        }
        try:
            accounts_api.validate_registration(
                username=typed,
                password=None,
                display_name=row.name,
                email=row.email,
                phone=values["phone"],
                curp=values["curp"],
                check_taken=False,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in dict.fromkeys(messages):
                    row.errors.append(_labelled(name, values.get(name, ""), message))
            # A username already refused (or repeated) is not also called a look-alike.
            repeated = repeated or "username" in error.message_dict
        if not repeated:
            self._check_lookalike(row, typed, stored)
        curp = accounts_api.normalise_curp(values["curp"])
        if curp:
            first = self.first_row_of_curp.setdefault(curp, row.number)
            if first != row.number:
                row.errors.append(_labelled("curp", values["curp"], REPEATED % {"row": first}))
            elif curp in self.taken_curps:
                message = _(
                    "ya está registrada en otra cuenta. Si es la misma persona, escriba en "
                    "«usuario» el usuario que ya tiene."
                )
                row.errors.append(_labelled("curp", values["curp"], message))

    def _check_lookalike(self, row: RowCheck, typed: str, stored: str) -> None:
        """A new username must not look like an account's (``accounts_api.username_looks_taken``
        in batch) nor like a new username of an earlier row."""
        skeleton = self.skeleton_of[stored]
        if skeleton in self.taken_skeletons:
            row.errors.append(_labelled("username", typed, USERNAME_LOOKALIKE))
            return
        first = self.first_row_of_skeleton.setdefault(skeleton, row.number)
        if first != row.number:
            row.errors.append(_labelled("username", typed, LOOKS_LIKE_ROW % {"row": first}))

    def _check_existing(self, row: RowCheck, user, typed: str) -> None:
        """An account with this username exists. Only a learner the coordinator already
        has (an educando in a grupo of their sedes) may be listed again: they join the
        grupo and the courses they lack, and their profile is left alone."""
        row.user_id = user.pk
        row.username = user.get_username()
        theirs = bool(self.sedes_of[user.pk] & self.scope)
        if theirs and not user.is_active:
            message = _("esta cuenta está desactivada; no se puede inscribir.")
            row.errors.append(_labelled("username", typed, message))
        elif not (theirs and user.pk in self.plain):
            row.errors.append(_labelled("username", typed, USERNAME_DUPLICATE))
        else:
            row.status = EXISTING
            row.joins_grupo = self.grupo.pk not in self.grupos_of[user.pk]

    def _check_courses(self, row: RowCheck, raw: dict, *, takes_seats: bool) -> None:
        for code in split_course_codes(raw.get("courses", "")):
            key = normalize_text(code)
            course = self.course_index.get(key)
            if course is None:
                row.course_labels.append(code)
                if key in self.course_index:
                    message = _("esa clave es de varios cursos; escriba el código del curso.")
                else:
                    message = _(
                        "no existe ese curso. Copie el código de la hoja «Cursos» de la plantilla."
                    )
                row.errors.append(_labelled("courses", code, message))
                continue
            row.course_labels.append(course.title)
            if (row.user_id, course.pk) in self.active:
                row.already_in.append(course)
                continue
            problem = self._course_problem(course, takes_seats=takes_seats)
            if problem:
                row.errors.append(problem)
            else:
                row.enroll_in.append(course)

    def _course_problem(self, course, *, takes_seats: bool) -> str | None:
        """Why nobody new can be enrolled in ``course`` now (None: they can). Takes a seat
        of a course with a capacity."""
        if not course.live:
            return _("Curso «%(course)s»: no está publicado.") % {"course": course.title}
        window = _window_error(course, by_staff=self.by_staff)
        if window:
            return window
        if course.pk in self.seats_left and takes_seats:
            if self.seats_left[course.pk] <= 0:
                return _(
                    "Curso «%(course)s»: ya no hay lugares. Tiene cupo para %(capacity)s "
                    "personas y no alcanza para todas las filas de este archivo."
                ) % {"course": course.title, "capacity": course.capacity}
            self.seats_left[course.pk] -= 1
        return None


# --- Applying -------------------------------------------------------------------------------


class ApplyFailed(Exception):
    """Applying found problems (the data changed since the preview, or a row failed while
    writing); nothing was written. ``check`` has every row with its errors;
    ``failed_row`` is ``(row number, message)`` when a row failed while writing (an error
    a new validation may not find again), else None."""

    def __init__(self, check: Check, failed_row: tuple[int, str] | None = None):
        super().__init__("bulk import failed")
        self.check = check
        self.failed_row = failed_row


class _RowFailed(Exception):
    def __init__(self, number: int, message: str):
        super().__init__(message)
        self.number = number
        self.message = message


@dataclass
class Applied:
    bulk_import: BulkImport
    already: bool = False


def _api_error_messages(error: ValidationError, row: RowCheck) -> str:
    typed = {
        "username": row.data.get("username", ""),
        "display_name": row.name,
        "email": row.email,
        "phone": row.data.get("phone", ""),
        "curp": row.data.get("curp", ""),
    }
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        _labelled(name, typed.get(name, ""), message)
        for name, messages in error.message_dict.items()
        for message in messages
    )


def code_sheet_expired(bulk_import: BulkImport, *, now=None) -> bool:
    if bulk_import.applied_at is None:
        return True
    now = now or timezone.now()
    return bulk_import.applied_at + timedelta(days=accounts_api.reset_code_days()) <= now


# An upload queued or being applied for longer than this was given up on (its message was
# lost, its worker died; an application of the largest file takes well under a minute):
# it may be queued again, and the nightly clean-up may delete it.
STALLED_AFTER = timedelta(minutes=15)

# What ``apply_import`` is doing when it calls ``progress(step, done, total)``: checking
# the rows again, creating the accounts (first pass over the rows to write), putting
# everyone in the grupo and the courses (second pass), making the sheet of codes.
STEP_CHECK = "check"
STEP_ACCOUNTS = "accounts"
STEP_ROWS = "rows"
STEP_SHEET = "sheet"

Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def apply_import(
    *, bulk_import: BulkImport, by, base_url: str, progress: Progress | None = None
) -> Applied:
    """Create the accounts, memberships and enrollments of ``bulk_import``, all or nothing.

    Raises ``ApplyFailed`` (nothing written) if any row has an error now or fails while
    writing. Applying an import that was already applied does nothing
    (``Applied.already``); the row lock on the upload makes a second application at the
    same time wait for the first and then do nothing. On success the status is
    ``applied``, the rows (personal data) are cleared, the counts kept in ``summary``,
    the sheet of access codes stored in ``code_sheet``, and the welcome emails queued for
    after the commit. ``base_url`` is the site's address, for the links in the emails and
    on the sheet. ``progress(step, done, total)`` (``STEP_*``) is called as it goes, once
    per row in each pass, from inside the transaction: it must not write to the database.
    """
    progress = progress or _no_progress
    try:
        with transaction.atomic():
            locked = (
                BulkImport.objects.select_for_update()
                .select_related("grupo__sede")
                .get(pk=bulk_import.pk)
            )
            if locked.applied_at is not None:
                return Applied(bulk_import=locked, already=True)
            progress(STEP_CHECK, 0, len(locked.rows))
            check = validate_rows(rows=locked.rows, grupo=locked.grupo, by=by)
            if check.has_errors:
                raise ApplyFailed(check)
            _write(locked, check, by=by, base_url=base_url, progress=progress)
            return Applied(bulk_import=locked)
    except _RowFailed as failed:
        # Rolled back. Check the file again as it stands now, and name the row that failed.
        fresh = BulkImport.objects.select_related("grupo").get(pk=bulk_import.pk)
        check = validate_rows(rows=fresh.rows, grupo=fresh.grupo, by=by)
        check.add_error(failed.number, failed.message)
        raise ApplyFailed(check, failed_row=(failed.number, failed.message)) from failed


def _write(bulk_import: BulkImport, check: Check, *, by, base_url: str, progress: Progress) -> None:
    from lms.enrollment import tasks  # tasks imports this module

    grupo = bulk_import.grupo
    cards = []
    welcome: list[int] = []
    now = timezone.now()
    expires_on = timezone.localtime(now + timedelta(days=accounts_api.reset_code_days())).date()
    rows = [row for row in check.rows if row.status != UNCHANGED]
    # Progress counts the rows of the file: those with nothing to write are done already.
    total = len(check.rows)
    skipped = total - len(rows)
    users = {}
    # First the accounts and their codes: hashing a code is slow on purpose, and nothing
    # else waits for it. The courses are locked (capacity) only in the short second pass.
    for done, row in enumerate(rows, skipped):
        progress(STEP_ACCOUNTS, done, total)
        if row.status != NEW:
            users[row.number] = check.users[row.user_id]
            continue
        try:
            user = accounts_api.register_learner(
                username=row.data["username"],
                password=None,
                display_name=row.name,
                email=row.email,
                phone=row.data.get("phone", ""),
                curp=row.data.get("curp", ""),
            )
        except ValidationError as error:
            raise _RowFailed(row.number, _api_error_messages(error, row)) from error
        users[row.number] = user
        if row.gets_code:
            code = accounts_api.issue_reset_code(user=user, issued_by=by)
            cards.append(
                CodeCard(
                    name=user.public_name,
                    username=user.get_username(),
                    code=accounts_api.format_reset_code(code),
                    expires_on=expires_on,
                )
            )
        elif row.gets_email:
            welcome.append(user.pk)
    # Everyone into the grupo at once: one check that they are all learners, one insert.
    joining = [row for row in rows if row.joins_grupo]
    refused = enrollment_api.add_learners_to_grupo(
        grupo=grupo, users=[users[row.number] for row in joining]
    )
    if refused:
        row = next(row for row in joining if users[row.number] == refused[0])
        message = enrollment_api.STAFF_CANNOT_JOIN
        raise _RowFailed(row.number, _labelled("username", row.username, message))
    for done, row in enumerate(rows, skipped):
        progress(STEP_ROWS, done, total)
        user = users[row.number]
        for course in row.enroll_in:
            try:
                enrollment_api.enroll(user=user, course=course, by=by)
            except enrollment_api.EnrollmentError as error:
                raise _RowFailed(
                    row.number,
                    _("Curso «%(course)s»: %(message)s")
                    % {"course": course.title, "message": error.message},
                ) from error

    totals = check.counts()
    bulk_import.summary = {
        **totals,
        "applied_by": by.get_username(),
        "codes_expire_on": expires_on.isoformat() if cards else None,
    }
    progress(STEP_ROWS, total, total)
    bulk_import.rows = []
    bulk_import.applied_at = now
    bulk_import.status = BulkImport.Status.APPLIED
    if cards:
        progress(STEP_SHEET, total, total)
        from lms.enrollment import codesheet

        with translation.override(settings.LANGUAGE_CODE):
            pdf = codesheet.render(
                cards=cards,
                address=redeem_address(base_url),
                grupo_name=str(grupo.name),
                sede_name=str(grupo.sede.name),
                generated_at=timezone.localtime(now),
            )
        # A random name: the file must not be found by anyone who only knows the import.
        bulk_import.code_sheet.save(
            f"{secrets.token_urlsafe(18)}.pdf", ContentFile(pdf), save=False
        )
    bulk_import.save()
    for user_id in welcome:
        # robust: the accounts exist whatever happens to an email; a failure is logged.
        transaction.on_commit(
            partial(tasks.send_welcome_email_task.delay, user_id, base_url, str(grupo.sede.name)),
            robust=True,
        )


def redeem_address(base_url: str) -> str:
    return base_url.rstrip("/") + reverse("accounts:redeem_code")


@dataclass(frozen=True)
class CodeCard:
    name: str
    username: str
    code: str
    expires_on: date


# --- Welcome email ----------------------------------------------------------------------


def send_welcome_email(*, user_id: int, base_url: str, sede_name: str) -> bool:
    """Email a learner created by bulk enrollment a link to choose their password.

    Does nothing (returns False) if the account is gone, has no email, or already has a
    password: so a retried task never sends a link that is no longer needed.
    """
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email or user.has_usable_password():
        return False
    link = base_url.rstrip("/") + reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "name": user.public_name,
        "username": user.get_username(),
        "sede": sede_name,
        "link": link,
        "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
        "courses": [e.course.title for e in enrollment_api.enrollments_for(user=user)],
        "redeem_address": redeem_address(base_url),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("enrollment/bulk_welcome_subject.txt", context)
        body = render_to_string("enrollment/bulk_welcome_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
    return True


# --- Reading imports and cleaning up ----------------------------------------------------


def imports_in_scope(*, user):
    """The uploads of the grupos of ``user``'s sedes, newest first."""
    return BulkImport.objects.filter(
        grupo__sede__in=enrollment_api.sedes_in_scope(user=user)
    ).select_related("grupo__sede", "uploaded_by")


def earlier_application(bulk_import: BulkImport) -> BulkImport | None:
    """An applied upload of the very same file into the same grupo, if any."""
    return (
        BulkImport.objects.filter(
            grupo_id=bulk_import.grupo_id, sha256=bulk_import.sha256, applied_at__isnull=False
        )
        .exclude(pk=bulk_import.pk)
        .order_by("-applied_at")
        .first()
    )


def cleanup(*, now=None) -> dict[str, int]:
    """Delete uploads not applied within a day (their rows are personal data), except one
    being applied right now, and the sheets of access codes whose codes have expired (the
    file, and the field)."""
    now = now or timezone.now()
    stale, _per_model = (
        BulkImport.objects.filter(applied_at__isnull=True, created_at__lt=now - timedelta(days=1))
        .exclude(
            status__in=[BulkImport.Status.QUEUED, BulkImport.Status.APPLYING],
            status_at__gte=now - STALLED_AFTER,
        )
        .delete()
    )
    sheets = 0
    expired = BulkImport.objects.filter(
        ~Q(code_sheet=""),
        applied_at__lt=now - timedelta(days=accounts_api.reset_code_days()),
    )
    for bulk_import in expired:
        bulk_import.code_sheet.delete(save=False)
        BulkImport.objects.filter(pk=bulk_import.pk).update(code_sheet="")
        sheets += 1
    return {"unapplied_deleted": stale, "code_sheets_deleted": sheets}
