"""The printable sheet of one-time access codes (reportlab, US letter).

One card per learner, eight to a page, with dashed cut lines: the coordinator prints it,
cuts it and hands each person their card. A card says who it is for, the username, the
code, when it expires, where to go (written out and as a QR code) and what to do, in three
short lines. Fonts are embedded (Bitstream Vera, shipped with reportlab: accents and ñ)
and the text stays extractable.

Applying an upload makes the sheet (``render``) in its transaction, the only time the
codes exist in plain text; the sheet can be downloaded until its codes expire
(``code_sheet_expired``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import segno
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

from lms.accounts import api as accounts_api
from lms.enrollment.models import BulkImport
from lms.pdf import BOLD, REGULAR, fitted_size, new_canvas, register_fonts

COLUMNS = 2
ROWS = 4
MARGIN = 0.45 * inch
HEADER = 0.55 * inch
PADDING = 0.14 * inch
QR_SIZE = 0.95 * inch


@dataclass(frozen=True)
class CodeCard:
    name: str
    username: str
    code: str
    expires_on: date


def redeem_address(base_url: str) -> str:
    """Where a code is used: printed on the cards, and in the welcome emails."""
    return base_url.rstrip("/") + reverse("accounts:redeem_code")


def code_sheet_expired(bulk_import: BulkImport, *, now=None) -> bool:
    if bulk_import.applied_at is None:
        return True
    now = now or timezone.now()
    return bulk_import.applied_at + timedelta(days=accounts_api.reset_code_days()) <= now


def _shorten(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> str:
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


QR_FORM = "aula-qr"


def _define_qr(c: canvas.Canvas, matrix, size: float) -> None:
    """Define the QR code once as a PDF form (vector modules, sharp when printed) that
    every card places with ``doForm``: one address for all the cards, so drawing its
    modules on each card would only make a sheet of 2,000 cards slower and bigger.
    Each run of dark modules in a row is one rectangle."""
    count = len(matrix)
    module = size / count
    c.beginForm(QR_FORM, lowerx=0, lowery=0, upperx=size, uppery=size)
    c.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        y = size - (row_index + 1) * module
        col_index = 0
        while col_index < count:
            if not row[col_index]:
                col_index += 1
                continue
            start = col_index
            while col_index < count and row[col_index]:
                col_index += 1
            c.rect(start * module, y, (col_index - start) * module, module, stroke=0, fill=1)
    c.endForm()


def _place_qr(c: canvas.Canvas, x: float, y: float) -> None:
    """The QR code with ``(x, y)`` its lower-left corner."""
    c.saveState()
    c.translate(x, y)
    c.doForm(QR_FORM)
    c.restoreState()


def render(
    *,
    cards: Sequence[CodeCard],
    address: str,
    grupo_name: str,
    sede_name: str,
    generated_at: datetime,
) -> bytes:
    """The sheet as PDF bytes. ``cards`` have ``name``, ``username``, ``code`` (formatted,
    "ABCD-EFGH") and ``expires_on``; ``address`` is where the code is used (the full
    URL)."""
    register_fonts()
    width, height = letter
    buffer = io.BytesIO()
    c = new_canvas(buffer, pagesize=letter)
    c.setTitle(_("Códigos de acceso a Aula"))
    c.setSubject(f"{grupo_name} · {sede_name}")
    qr = segno.make(address, error="m")
    matrix = [list(row) for row in qr.matrix]
    _define_qr(c, matrix, QR_SIZE)
    shown_address = address.removeprefix("https://")
    card_w = (width - 2 * MARGIN) / COLUMNS
    card_h = (height - 2 * MARGIN - HEADER) / ROWS
    per_page = COLUMNS * ROWS
    pages = max((len(cards) + per_page - 1) // per_page, 1)
    for page in range(pages):
        top = height - MARGIN
        c.setFillColorRGB(0.1, 0.1, 0.1)
        folio = _("Hoja %(page)s de %(pages)s · %(date)s") % {
            "page": page + 1,
            "pages": pages,
            "date": generated_at.strftime("%d/%m/%Y"),
        }
        c.setFont(REGULAR, 8.5)
        c.drawRightString(width - MARGIN, top - 12, folio)
        heading = _("Códigos de acceso · %(grupo)s · %(sede)s") % {
            "grupo": grupo_name,
            "sede": sede_name,
        }
        room = width - 2 * MARGIN - c.stringWidth(folio, REGULAR, 8.5) - 12
        size = fitted_size(c, heading, BOLD, 11, room, smallest=6, step=0.5)
        c.setFont(BOLD, size)
        c.drawString(MARGIN, top - 12, _shorten(c, heading, BOLD, size, room))
        advice = _(
            "Recorte por las líneas punteadas y entregue a cada persona su tarjeta. "
            "Guarde esta hoja en un lugar seguro."
        )
        c.setFont(
            REGULAR, fitted_size(c, advice, REGULAR, 8.5, width - 2 * MARGIN, smallest=6, step=0.5)
        )
        c.drawString(MARGIN, top - 26, advice)
        for slot, card in enumerate(cards[page * per_page : (page + 1) * per_page]):
            column, row = slot % COLUMNS, slot // COLUMNS
            x = MARGIN + column * card_w
            y = top - HEADER - (row + 1) * card_h
            _card(c, card, x, y, card_w, card_h, shown_address)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _card(c, card, x, y, w, h, address) -> None:
    # Cut lines: a dashed frame around every card.
    c.saveState()
    c.setStrokeColorRGB(0.55, 0.55, 0.55)
    c.setLineWidth(0.6)
    c.setDash(4, 3)
    c.rect(x, y, w, h, stroke=1, fill=0)
    c.restoreState()

    left = x + PADDING
    inner = w - 2 * PADDING
    beside_qr = inner - QR_SIZE - 0.1 * inch
    line = y + h - PADDING
    _place_qr(c, x + w - PADDING - QR_SIZE, y + h - PADDING - QR_SIZE)
    c.setFillColorRGB(0.04, 0.43, 0.31)
    c.setFont(BOLD, 9)
    line -= 9
    c.drawString(left, line, _("Aula · Su acceso"))
    c.setFillColorRGB(0.1, 0.1, 0.1)
    # The name: one line if it fits at a readable size, else two.
    size = fitted_size(c, card.name, BOLD, 12, beside_qr, smallest=6, step=0.5)
    names = [card.name]
    if size < 10:
        size = 10
        names = simpleSplit(card.name, BOLD, size, beside_qr)[:2]
        names = [_shorten(c, name, BOLD, size, beside_qr) for name in names]
    c.setFont(BOLD, size)
    for name in names:
        line -= size + 3
        c.drawString(left, line, name)
    # The username is never shortened: the learner must type it exactly.
    label = _("Usuario:") + " "
    offset = c.stringWidth(label, REGULAR, 10)
    size = fitted_size(c, card.username, BOLD, 10.5, beside_qr - offset, smallest=6, step=0.5)
    line -= 14
    c.setFont(REGULAR, 10)
    c.drawString(left, line, label)
    if size >= 9:
        c.setFont(BOLD, size)
        c.drawString(left + offset, line, card.username)
    else:
        c.setFont(BOLD, 9)
        for part in _pieces(c, card.username, BOLD, 9, beside_qr):
            line -= 11
            c.drawString(left, line, part)
    line -= 21
    label = _("Código:") + " "
    c.setFont(REGULAR, 10)
    c.drawString(left, line, label)
    c.setFont(BOLD, 17)
    c.drawString(left + c.stringWidth(label, REGULAR, 10), line, card.code)
    c.setFont(REGULAR, 8.5)
    line -= 13
    c.drawString(
        left,
        line,
        _("Vence el %(date)s. Sirve una sola vez.")
        % {"date": card.expires_on.strftime("%d/%m/%Y")},
    )
    line -= 14
    _label_and_value(c, left, line, _("Entre a:"), address, 9.5, inner)
    steps = [
        _("1. Abra esa dirección en su teléfono, o escanee el cuadro."),
        _("2. Escriba su usuario y este código, y elija una contraseña."),
        _("3. Anote su contraseña: con ella entrará a Aula desde hoy."),
    ]
    line -= 2
    c.setFont(REGULAR, 8.5)
    for step in steps:
        for part in simpleSplit(step, REGULAR, 8.5, inner):
            line -= 11
            c.drawString(left, line, part)


def _pieces(c, text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` cut anywhere (a username has no spaces) into lines that fit ``width``."""
    pieces, current = [], ""
    for char in text:
        if current and c.stringWidth(current + char, font, size) > width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current]


def _label_and_value(c, x, y, label, value, size, width) -> None:
    """``label`` in regular type and ``value`` in bold after it, shrunk to fit ``width``."""
    label += " "
    c.setFont(REGULAR, size)
    c.drawString(x, y, label)
    offset = c.stringWidth(label, REGULAR, size)
    fitted = fitted_size(c, value, BOLD, size, width - offset, smallest=6, step=0.5)
    c.setFont(BOLD, fitted)
    c.drawString(x + offset, y, _shorten(c, value, BOLD, fitted, width - offset))
