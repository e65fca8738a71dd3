"""The template files a coordinator downloads and fills in (CSV and XLSX)."""

from __future__ import annotations

import codecs
import csv
import io

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from courses import read_models as courses_models
from lms.enrollment.bulk.fileformat import TEMPLATE_HEADERS


def enrollable_courses() -> list:
    """The published courses, in catalog order: what a coordinator may list in ``cursos``."""
    return list(courses_models.CoursePage.objects.live().select_related("module").order_by("path"))


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
