"""The bulk-enrollment file: its columns, its limits, what a cell says, and the Spanish
messages for a file that cannot be read. Shared by ``reading``, ``cells``, the template
files and ``validation``."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext_lazy

from content.api import normalize_text

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

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other old Office


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


def max_rows() -> int:
    """The most rows a file may have (read at each call: tests and settings change it)."""
    return int(settings.AULA_BULK_MAX_ROWS)


def normalise_header(value: str) -> str:
    return normalize_text(value.replace("\ufeff", "")).strip(" *:")


def cell_text(value) -> str:
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
