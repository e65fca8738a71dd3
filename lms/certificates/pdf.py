"""The constancia as a one-page PDF (reportlab): Spanish, an English line, embedded
fonts (Bitstream Vera, shipped with reportlab, covers accents and ñ; no other font is
referenced), the sede's logo and signature when it has them, a QR code to the public
verification page. Text stays extractable.

The page is laid out as boxes that cannot overlap, whatever the lengths of the name (150
characters), the course title (255), the issuer's name (200), the signatory or the
address: the footer and the signature block are placed from the bottom up, the rest from
the top down in the room left between them. A long text shrinks to a readable size, then
wraps, then shrinks further (``lms.pdf.fit_lines``); nothing is ever cut, and when the
whole does not fit every size and space shrinks together."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import segno
from PIL import Image, ImageOps
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import inch as _inch
from reportlab.lib.utils import ImageReader

from lms.dates import written_date
from lms.pdf import BOLD, ITALIC, REGULAR, ascent_descent, fit_lines, new_canvas

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from lms.certificates.models import Certificate

logger = logging.getLogger(__name__)

INCH: float = _inch
PAGE_SIZES: dict[str, tuple[float, float]] = {"letter": letter, "a4": A4}
# No text comes closer than this to an edge of the page; the frame is drawn half-way.
MARGIN: float = 0.8 * INCH
QR_SIZE: float = 1.45 * INCH
LOGO_BOX: tuple[float, float] = (1.1 * INCH, 0.9 * INCH)
# The signature line is as wide as this box, which holds the image of the signature.
SIGNATURE_BOX: tuple[float, float] = (2.8 * INCH, 0.6 * INCH)
GAP: float = 0.2 * INCH  # between the blocks at the bottom, and above them
IMAGE_DPI = 300  # images are stored at most at this resolution for their box
QR_SCALE = 6  # pixels per module of the QR code's image
QR_BORDER = 1  # light modules around it

Colour = tuple[float, float, float]
GREEN: Colour = (0.04, 0.43, 0.31)
INK: Colour = (0.1, 0.1, 0.1)
GREY: Colour = (0.3, 0.3, 0.3)

DISCLAIMER_ES = (
    "Esta constancia no es un certificado oficial de la SEP ni del INEA; muestra lo que se "
    "estudió en Aula."
)
DISCLAIMER_EN = (
    "This is not an official SEP/INEA certificate. Signed digitally: verify the folio online."
)


def date_es(day: date) -> str:
    """ "2 de diciembre de 2026": Spanish month names are not capitalised."""
    return written_date(day, "es-mx")


def date_en(day: date) -> str:
    """ "December 2, 2026"."""
    return written_date(day, "en")


@dataclass(frozen=True)
class _Text:
    """Lines of one font and size, and the space above them."""

    lines: tuple[str, ...]
    font: str
    size: float
    colour: Colour = INK
    gap: float = 0

    @property
    def leading(self) -> float:
        return 1.2 * self.size

    @property
    def height(self) -> float:
        ascent, descent = ascent_descent(self.font, self.size)
        return ascent + descent + (len(self.lines) - 1) * self.leading

    def draw(
        self, c: Canvas, x: float, top: float, align: Literal["centre", "left", "right"]
    ) -> None:
        """Draw with the top of the first line at ``top``; ``x`` is the centre, the left
        or the right end of the lines."""
        c.setFont(self.font, self.size)
        c.setFillColorRGB(*self.colour)
        baseline = top - ascent_descent(self.font, self.size)[0]
        for line in self.lines:
            if align == "centre":
                c.drawCentredString(x, baseline, line)
            elif align == "right":
                c.drawRightString(x, baseline, line)
            else:
                c.drawString(x, baseline, line)
            baseline -= self.leading


@lru_cache(maxsize=2048)
def _fit(
    text: str,
    font: str,
    width: float,
    *,
    size: float,
    smallest: float,
    wrap_at: float | None = None,
    max_lines: int | None = 1,
    colour: Colour = INK,
    gap: float = 0,
    balance: bool = True,
) -> _Text:
    fitted, lines = fit_lines(
        text,
        font,
        width=width,
        size=size,
        smallest=smallest,
        wrap_at=wrap_at,
        max_lines=max_lines,
        balance=balance,
    )
    # Cached (its result depends on its arguments only, and _Text is frozen): the fixed
    # texts (headings, disclaimers) and each size ``_body`` tries are fitted once a process.
    return _Text(tuple(lines), font, fitted, colour, gap)


def _stack_height(blocks: list[_Text]) -> float:
    return sum(block.gap + block.height for block in blocks)


def _draw_stack(
    c: Canvas, blocks: list[_Text], x: float, top: float, align: Literal["centre", "left", "right"]
) -> float:
    """Draw ``blocks`` one under the other from ``top``; returns where the last ends."""
    for block in blocks:
        top -= block.gap
        block.draw(c, x, top, align)
        top -= block.height
    return top


@dataclass(frozen=True)
class _Picture:
    reader: ImageReader
    width: float  # its size on the page, in its box with its proportions
    height: float


def _picture(
    data: bytes | None, box: tuple[float, float], what: str, folio: str
) -> _Picture | None:
    """``data`` as an image scaled to fit ``box`` with its proportions, or None when there
    is none or it is not an image Pillow reads (logged: the constancia is issued without
    it). Large images are reduced to ``IMAGE_DPI`` for the box, so the PDF stays small."""
    if not data:
        return None
    # Decoded and scaled once a process per image and box (a sede's logo and signature
    # are on every constancia it issues; reportlab then reuses the reader's pixels), keyed
    # by the content: a changed image is another key. Failures are not kept: each
    # constancia logs its own warning.
    key = (hashlib.sha256(data).digest(), box)
    if (picture := _PICTURES.get(key)) is None:
        try:
            picture = _decoded_picture(data, box)
        except Exception:  # any unreadable, truncated or unsupported file
            logger.warning(
                "Constancia %s: %s no es una imagen legible; se emite sin ella.",
                folio,
                what,
                exc_info=True,
            )
            return None
        if len(_PICTURES) >= _PICTURES_KEPT:
            del _PICTURES[next(iter(_PICTURES))]  # the oldest
        _PICTURES[key] = picture
    return picture


_PICTURES: dict[tuple[bytes, tuple[float, float]], _Picture] = {}
_PICTURES_KEPT = 32


def _decoded_picture(data: bytes, box: tuple[float, float]) -> _Picture:
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        image = ImageOps.exif_transpose(opened)  # a photo taken sideways
    if image.mode not in ("RGB", "RGBA", "L"):
        transparent = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    pixels_w, pixels_h = image.size  # its proportions, before any rounding
    image.thumbnail((round(box[0] / 72 * IMAGE_DPI), round(box[1] / 72 * IMAGE_DPI)))
    scale = min(box[0] / pixels_w, box[1] / pixels_h)
    return _Picture(ImageReader(image), pixels_w * scale, pixels_h * scale)


def _qr_image(verify_url: str) -> Image.Image:
    """The QR code of ``verify_url`` (error correction M, the mask segno chooses) as a
    black-and-white greyscale image, ``QR_SCALE`` pixels a module with a ``QR_BORDER``:
    the same pixels as segno's PNG at that scale, built without writing and reading back
    a PNG, and in one grey channel rather than the three reportlab made of the PNG."""
    qr = segno.make(verify_url, error="m")
    side = int(qr.symbol_size(scale=1, border=QR_BORDER)[0])
    modules = bytes(
        0 if dark else 255 for row in qr.matrix_iter(scale=1, border=QR_BORDER) for dark in row
    )
    image = Image.frombytes("L", (side, side), modules)
    return image.resize((side * QR_SCALE, side * QR_SCALE), Image.Resampling.NEAREST)


def _place(c: Canvas, picture: _Picture, x: float, y: float, what: str, folio: str) -> None:
    try:
        c.drawImage(picture.reader, x, y, picture.width, picture.height, mask="auto")
    except Exception:
        logger.warning(
            "Constancia %s: no se pudo dibujar %s; se emite sin ella.", folio, what, exc_info=True
        )


def render(
    *,
    certificate: Certificate,
    verify_url: str,
    issuer_name: str | None = None,
    logo: bytes | None = None,
    signatory: str = "",
    signatory_title: str = "",
    signature: bytes | None = None,
    page_size: str = "letter",
) -> bytes:
    """The constancia as PDF bytes. ``issuer_name`` (the sede's displayed name) defaults
    to the certificate's; ``logo`` and ``signature`` are image files (PNG, JPEG…), left
    out with a warning when unreadable; ``page_size`` is "letter" or "a4"."""
    issuer = issuer_name or certificate.issuer_name
    width, height = PAGE_SIZES.get(page_size.lower(), letter)
    buffer = io.BytesIO()
    c = new_canvas(buffer, pagesize=(width, height))
    c.setTitle(f"Constancia {certificate.folio}")
    c.setAuthor(issuer)
    c.setSubject(certificate.course_title)
    c.setCreator("Aula")
    _frame(c, width, height)
    folio = certificate.folio
    logo_picture = _picture(logo, LOGO_BOX, "el logotipo", folio)
    signature_picture = _picture(signature, SIGNATURE_BOX, "la firma", folio)
    footer_top = _footer(c, width)
    bottom = _signature_block(
        c,
        width,
        footer_top,
        signatory=signatory or issuer,
        signatory_title=signatory_title,
        picture=signature_picture,
        folio=folio,
        verify_url=verify_url,
    )
    _body(c, certificate, issuer, logo_picture, width, top=height - MARGIN, bottom=bottom + GAP)
    c.showPage()
    c.save()
    return buffer.getvalue()


def _frame(c: Canvas, width: float, height: float) -> None:
    c.setStrokeColorRGB(*GREEN)
    c.setLineWidth(3)
    c.rect(MARGIN / 2, MARGIN / 2, width - MARGIN, height - MARGIN)
    c.setLineWidth(0.75)
    inset = MARGIN / 2 + 6
    c.rect(inset, inset, width - 2 * inset, height - 2 * inset)


def _footer(c: Canvas, width: float) -> float:
    """The disclaimers at the foot of the page; returns where they end above."""
    inner = width - 2 * MARGIN
    blocks = [
        _fit(DISCLAIMER_ES, REGULAR, inner, size=8.5, smallest=6, max_lines=None, colour=GREY),
        _fit(
            DISCLAIMER_EN, REGULAR, inner, size=8.5, smallest=6, max_lines=None, colour=GREY, gap=2
        ),
    ]
    top = MARGIN + _stack_height(blocks)
    _draw_stack(c, blocks, width / 2, top, "centre")
    return top


def _signature_block(
    c: Canvas,
    width: float,
    footer_top: float,
    *,
    signatory: str,
    signatory_title: str,
    picture: _Picture | None,
    folio: str,
    verify_url: str,
) -> float:
    """The signature (image, line, name and title) at the left, the QR code at the right
    and the folio and address between them, above the footer; returns where the block
    ends above. The address stays between the end of the signature line and the QR code."""
    line_w = SIGNATURE_BOX[0]
    left = MARGIN
    under = [_fit(signatory, REGULAR, line_w, size=11, wrap_at=9, max_lines=2, smallest=7, gap=5)]
    if signatory_title:
        under.append(
            _fit(
                signatory_title,
                REGULAR,
                line_w,
                size=9.5,
                wrap_at=8,
                max_lines=2,
                smallest=6.5,
                colour=GREY,
                gap=2,
            )
        )
    qr_y = footer_top + GAP
    base = max(qr_y + 0.45 * INCH, footer_top + GAP + _stack_height(under))
    c.setStrokeColorRGB(*INK)
    c.setLineWidth(0.8)
    c.line(left, base, left + line_w, base)
    _draw_stack(c, under, left + line_w / 2, base, "centre")
    if picture:
        x = left + (line_w - picture.width) / 2
        _place(c, picture, x, base + 3, "la firma", folio)
    signature_top = base + 3 + SIGNATURE_BOX[1]

    qr_x = width - MARGIN - QR_SIZE
    c.drawImage(ImageReader(_qr_image(verify_url)), qr_x, qr_y, QR_SIZE, QR_SIZE)

    column_right = qr_x - 0.15 * INCH
    column_w = column_right - (left + line_w + 0.2 * INCH)
    column: list[_Text] = []
    for size, smallest in ((9, 7.5), (7.5, 6)):
        column = [
            _fit(f"Folio: {folio}", BOLD, column_w, size=11, smallest=7, max_lines=None),
            _fit(
                "Verifique en / Verify at:",
                REGULAR,
                column_w,
                size=9,
                smallest=6,
                max_lines=None,
                colour=GREY,
                gap=4,
            ),
            _fit(
                verify_url.removeprefix("https://"),  # what one types
                REGULAR,
                column_w,
                size=size,
                wrap_at=smallest,
                smallest=smallest,
                max_lines=None,
                gap=2,
                balance=False,
            ),
        ]
        if _stack_height(column) <= QR_SIZE:
            break
    column_h = _stack_height(column)
    # Beside the QR code, centred on it; a taller column starts at its foot and rises.
    column_top = qr_y + max((QR_SIZE + column_h) / 2, column_h)
    _draw_stack(c, column, column_right, column_top, "right")
    return max(signature_top, qr_y + QR_SIZE, column_top)


def _body(
    c: Canvas,
    certificate: Certificate,
    issuer: str,
    logo: _Picture | None,
    width: float,
    *,
    top: float,
    bottom: float,
) -> None:
    """The heading (logo and issuer) at ``top``, then what the constancia says, in the
    room down to ``bottom``: at the sizes below when it fits, else all smaller."""
    inner = width - 2 * MARGIN
    logo_w, logo_h = (logo.width, logo.height) if logo else (0.0, 0.0)
    # The issuer's name is centred on the page, or beside the logo (a letterhead).
    beside = 0.2 * INCH
    issuer_w = inner - logo_w - beside if logo else inner
    room = top - bottom
    scale = 1.0
    while True:
        heading, blocks = _body_blocks(certificate, issuer, inner, issuer_w, scale)
        heading_h = max(logo_h, heading.height)
        needed = heading_h + _stack_height(blocks)
        if needed <= room or scale <= 0.3:
            break
        scale = round(scale - 0.05, 2)
    spare = max(room - needed, 0)
    # Spare room first widens the spaces between blocks (at most doubles them), and what
    # is left centres the text between the heading and the signature block.
    gaps = sum(block.gap for block in blocks)
    widen = min(spare, gaps)
    blocks = [
        replace(block, gap=block.gap + (widen * block.gap / gaps if gaps else 0))
        for block in blocks
    ]
    if logo:
        _place(c, logo, MARGIN, top - logo_h, "el logotipo", certificate.folio)
    heading_top = top - (heading_h - heading.height) / 2
    if logo:
        heading.draw(c, MARGIN + logo_w + beside, heading_top, "left")
    else:
        heading.draw(c, width / 2, heading_top, "centre")
    _draw_stack(c, blocks, width / 2, top - heading_h - (spare - widen) / 2, "centre")


def _body_blocks(
    certificate: Certificate, issuer: str, inner: float, issuer_w: float, scale: float
) -> tuple[_Text, list[_Text]]:
    """The issuer's name, and the blocks under it, with every size and space times
    ``scale``."""

    def fit(
        text: str,
        font: str,
        size: float,
        smallest: float,
        *,
        wrap_at: float | None = None,
        max_lines: int | None = 1,
        colour: Colour = INK,
        gap: float = 0,
        balance: bool = True,
    ) -> _Text:
        return _fit(
            text,
            font,
            inner,
            size=size * scale,
            smallest=smallest * scale,
            wrap_at=None if wrap_at is None else wrap_at * scale,
            max_lines=max_lines,
            colour=colour,
            gap=gap * scale,
            balance=balance,
        )

    heading = _fit(
        issuer,
        REGULAR,
        issuer_w,
        size=13 * scale,
        wrap_at=11 * scale,
        max_lines=3,
        smallest=8 * scale,
    )
    hours = certificate.hours_text
    english_hours = hours.replace("horas", "hours").replace("hora", "hour")
    blocks = [
        fit("Constancia de conclusión", BOLD, 28, 14, max_lines=None, colour=GREEN, gap=16),
        fit("Certificate of completion", ITALIC, 12, 7, max_lines=None, colour=GREY, gap=3),
        fit("Se hace constar que", REGULAR, 13, 8, gap=22),
        # A name shrinks to 16 pt on one line, then takes two lines, shrinking further.
        fit(certificate.learner_name, BOLD, 26, 8, wrap_at=16, max_lines=2, gap=8),
        fit("concluyó el curso", REGULAR, 13, 8, gap=8),
        fit(certificate.course_title, BOLD, 20, 9, wrap_at=14, max_lines=2, gap=6),
    ]
    if certificate.module_name:
        # The kind of alignment it was issued under, then "No sustituye el examen del
        # INEA." (the footer says it is not an official certificate: another point).
        blocks.append(
            fit(
                certificate.alignment_statement,
                REGULAR,
                12,
                9,
                wrap_at=10,
                max_lines=None,
                gap=16,
            )
        )
    blocks.append(
        fit(
            f"Tiempo de estudio: {hours} · concluido el {date_es(certificate.completed_on)}",
            REGULAR,
            12,
            8,
            max_lines=None,
            gap=4 if certificate.module_name else 16,
        )
    )
    english = (
        f"This certifies that {certificate.learner_name} completed “{certificate.course_title}” "
        f"({english_hours}) on {date_en(certificate.completed_on)}."
    )
    # As many lines as it takes: never cut.
    blocks.append(fit(english, ITALIC, 10.5, 10.5, max_lines=None, colour=GREY, gap=16))
    return heading, blocks
