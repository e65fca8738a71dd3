"""What every PDF Aula prints (certificates, sheets of access codes) shares: the fonts,
embedded so accents and ñ print anywhere and the text stays extractable, and fitting a
line to a width."""

from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

# Bitstream Vera, shipped with reportlab.
REGULAR, BOLD, ITALIC = "Aula", "Aula-Bold", "Aula-Italic"
_FONTS = Path(reportlab.__file__).parent / "fonts"
_FILES = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf", ITALIC: "VeraIt.ttf"}


def register_fonts() -> None:
    """Register the three faces once per process."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, file in _FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(_FONTS / file)))


def fitted_size(
    canvas, text: str, font: str, size: float, width: float, *, smallest: float, step: float = 1
) -> float:
    """The largest size up to ``size`` (not below ``smallest``) at which ``text`` fits in
    ``width``."""
    while size > smallest and canvas.stringWidth(text, font, size) > width:
        size -= step
    return size
