"""What every PDF Aula prints (certificates, sheets of access codes) shares: the fonts,
embedded so accents and ñ print anywhere and the text stays extractable, a canvas that
references no other font, and fitting text to a width (shrinking, wrapping)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas

# Bitstream Vera, shipped with reportlab.
REGULAR, BOLD, ITALIC = "Aula", "Aula-Bold", "Aula-Italic"
_FONTS = Path(reportlab.__file__).parent / "fonts"
_FILES = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf", ITALIC: "VeraIt.ttf"}
# Where a word too long for its line (an address, a name without spaces) is best cut.
_BREAK_AFTER = "/.-_?&=·"


def register_fonts() -> None:
    """Register the three faces once per process."""
    registered = set(pdfmetrics.getRegisteredFontNames())
    for name, file in _FILES.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(_FONTS / file)))


def new_canvas(output: IO[bytes], *, pagesize: tuple[float, float]) -> pdfcanvas.Canvas:
    """A compressed canvas that starts with Aula's font: reportlab's starts with Helvetica,
    which the PDF would then list without embedding it."""
    register_fonts()
    return pdfcanvas.Canvas(output, pagesize=pagesize, pageCompression=1, initialFontName=REGULAR)


def fitted_size(
    canvas: pdfcanvas.Canvas,
    text: str,
    font: str,
    size: float,
    width: float,
    *,
    smallest: float,
    step: float = 1,
) -> float:
    """The largest size up to ``size`` (not below ``smallest``) at which ``text`` fits in
    ``width``."""
    while size > smallest and canvas.stringWidth(text, font, size) > width:
        size -= step
    return size


def text_width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _cut(word: str, font: str, size: float, width: float) -> list[str]:
    """``word`` cut into pieces that fit ``width``: after a slash, dot or hyphen when one
    of those falls in the piece, else wherever the piece is full (never an empty piece)."""
    pieces = []
    while text_width(word, font, size) > width and len(word) > 1:
        end = 1
        while end < len(word) and text_width(word[: end + 1], font, size) <= width:
            end += 1
        # After the last slash in the piece, else the last dot, hyphen…, when that leaves
        # at least a third of the line filled.
        for marks in ("/", _BREAK_AFTER):
            breaks = [index + 1 for index in range(end - 1) if word[index] in marks]
            if breaks and breaks[-1] > end // 3:
                end = breaks[-1]
                break
        pieces.append(word[:end])
        word = word[end:]
    return [*pieces, word]


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width``, word by word; a word wider than the line
    alone is cut (``_cut``), never left to run off. Nothing is dropped."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        *full, current = _cut(word, font, size, width)
        lines.extend(full)
    if current:
        lines.append(current)
    return lines or [""]


def _balanced(text: str, font: str, size: float, width: float) -> list[str]:
    """Wrapped in as few lines as at ``width``, but with lines as even as possible (a
    centred name or title reads better as two halves than as a line and a word)."""
    lines = wrap(text, font, size, width)
    if len(lines) < 2:
        return lines
    widest_word = max(text_width(word, font, size) for word in text.split())
    low, high = min(widest_word, width), width
    for _ in range(14):
        middle = (low + high) / 2
        if len(wrap(text, font, size, middle)) <= len(lines):
            high = middle
        else:
            low = middle
    return wrap(text, font, size, high)


def _sizes(start: float, stop: float, step: float) -> list[float]:
    """``start``, ``start - step``… down to ``stop``, both included."""
    stop = min(stop, start)
    sizes = []
    size = start
    while size > stop + 1e-6:
        sizes.append(size)
        size = round(size - step, 3)
    return [*sizes, stop]


def fit_lines(
    text: str,
    font: str,
    *,
    width: float,
    size: float,
    smallest: float,
    wrap_at: float | None = None,
    max_lines: int | None = 1,
    step: float = 0.5,
    balance: bool = False,
) -> tuple[float, list[str]]:
    """The size and lines of ``text`` in a box ``width`` wide, never wider, nothing cut:

    1. one line, shrinking from ``size`` down to ``wrap_at`` (``smallest`` when None);
    2. wrapped in up to ``max_lines`` lines (any number when None), shrinking from
       ``wrap_at`` down to ``smallest``;
    3. at ``smallest``, in as many lines as it takes.

    ``balance`` evens out the lines of a wrapped text (for centred lines)."""
    text = " ".join(text.split())
    wrap_at = smallest if wrap_at is None else min(max(wrap_at, smallest), size)
    for candidate in _sizes(size, wrap_at, step):
        if text_width(text, font, candidate) <= width:
            return candidate, [text]
    lines: list[str] = []
    for candidate in _sizes(wrap_at, smallest, step):
        lines = wrap(text, font, candidate, width)
        if max_lines is None or len(lines) <= max_lines:
            break
    if balance:
        lines = _balanced(text, font, candidate, width)
    return candidate, lines


def ascent_descent(font: str, size: float) -> tuple[float, float]:
    """How far a line of ``font`` at ``size`` reaches above and below its baseline (the
    descent as a positive distance)."""
    ascent, descent = pdfmetrics.getAscentDescent(font, size)
    return float(ascent), float(-descent)
