"""The constancia's layout holds whatever the lengths: every shipped course's constancia,
rendered with the longest name the profile allows (150 characters of wide letters), a
200-character issuer, a long signatory and a long public address, on letter and A4, is
read back with pypdf span by span (text, font, size and position) and checked: every span
inside the margins, clear of the images (QR code, logo, signature) and of the signature
line, no two spans overlapping, nothing dropped; only embedded TrueType fonts."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from lms import pdf as shared
from lms.certificates import pdf
from lms.certificates.models import Certificate

LIBRARY = Path(__file__).resolve().parents[2] / "content" / "course_library"
SLUGS = sorted(folder.name for folder in LIBRARY.iterdir() if (folder / "course.yaml").is_file())
COMPLETED_ON = date(2026, 12, 2)
FOLIO = "MW4W-7K9Q-W"  # wide letters of the folio alphabet


def _exactly(words: str, length: int) -> str:
    """Realistic words, repeated, cut to ``length`` characters (a word at the end may be
    cut short, as a typist would when out of room)."""
    text = words
    while len(text) < length:
        text += " " + words
    return text[:length].rstrip() + "M" * (length - len(text[:length].rstrip()))


# Upper case and wide letters (M, W, Ñ, Á): the widest name a learner can type.
LONG_NAME = _exactly(
    "MARÍA GUADALUPE WENDOLYNE MAXIMILIANA ÑÁÑEZ AMÉZQUITA MONTEMAYOR WALDMANN ÁVALOS "
    "MÚJICA MAGAÑA NÁJERA MALDONADO MUÑOZ",
    150,
)
LONG_ISSUER = _exactly(
    "Instituto Estatal de Educación para Adultos de Oaxaca — Plaza Comunitaria «Benito "
    "Juárez García» de la Coordinación de Zona número 12, San Juan Bautista Tuxtepec",
    200,
)
LONG_SIGNATORY = _exactly("Licenciada María de los Ángeles Wenceslao Hernández y Hernández", 200)
LONG_TITLE = _exactly(
    "Coordinadora Estatal de Acreditación y Certificación de la Plaza Comunitaria", 200
)
LONG_URL = (
    "https://aula.plazas-comunitarias.ieea-oaxaca.educacion-adultos.example.gob.mx"
    f"/verificar/{FOLIO}/"
)
# The widest course title the field allows (255), and a long module.
LONG_COURSE = _exactly(
    "Matemáticas para la vida diaria: fracciones, porcentajes, proporciones y el manejo "
    "del dinero en el hogar, el mercado y el trabajo, con ejemplos resueltos paso a "
    "paso",
    255,
)
LONG_MODULE = _exactly("Matemáticas para empezar y números y cuentas del hogar", 200)

BASE_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-BoldOblique",
    "Courier-Oblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-BoldOblique",
    "Helvetica-Oblique",
    "Symbol",
    "Times-Roman",
    "Times-Bold",
    "Times-BoldItalic",
    "Times-Italic",
    "ZapfDingbats",
}
FACES = {"Roman": shared.REGULAR, "Bold": shared.BOLD, "Oblique": shared.ITALIC}
EPSILON = 0.01  # points: touching is not overlapping


@dataclass(frozen=True)
class Span:
    text: str
    font: str
    size: float
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float


def _overlap(a, b) -> bool:
    return (
        min(a.x1, b.x1) - max(a.x0, b.x0) > EPSILON and min(a.y1, b.y1) - max(a.y0, b.y0) > EPSILON
    )


def _multiply(m, n):
    """The PDF matrix product ``m × n`` (six numbers each)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


@dataclass
class Page:
    data: bytes
    reader: PdfReader
    width: float
    height: float
    spans: list[Span]
    images: list[Rect]
    lines: list[Rect]

    def text(self) -> str:
        return " ".join(span.text for span in self.spans)

    def between(self, above: str, below: str) -> list[Span]:
        """The spans under the one reading ``above`` and over the one reading ``below``."""
        top = next(span for span in self.spans if span.text == above).baseline
        bottom = next(span for span in self.spans if span.text == below).baseline
        return [span for span in self.spans if bottom < span.baseline < top]


def read(data: bytes) -> Page:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    spans: list[Span] = []

    def visit(text, cm, tm, font_dict, font_size):
        text = text.strip("\n")
        if not text.strip():
            return
        face = str(font_dict["/BaseFont"]).rsplit("-", 1)[-1]
        font = FACES[face]
        a, _b, _c, d, x, y = _multiply(tm, cm)
        assert a == pytest.approx(d) and a > 0  # no rotated or stretched text
        size = font_size * a
        ascent, descent = shared.ascent_descent(font, size)
        width = shared.text_width(text, font, size)
        spans.append(Span(text, font, size, x, y - descent, x + width, y + ascent, y))

    page.extract_text(visitor_text=visit)
    images, lines = [], []
    matrix, stack, start = (1, 0, 0, 1, 0, 0), [], None
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(matrix)
        elif operator == b"Q":
            matrix = stack.pop()
        elif operator == b"cm":
            matrix = _multiply([float(value) for value in operands], matrix)
        elif operator == b"Do":
            a, _b, _c, d, e, f = matrix
            images.append(Rect(e, f, e + a, f + d))
        elif operator == b"m":
            start = [float(value) for value in operands]
        elif operator == b"l":
            end = [float(value) for value in operands]
            lines.append(Rect(min(start[0], end[0]), start[1], max(start[0], end[0]), end[1]))
    box = page.mediabox
    return Page(data, reader, float(box.width), float(box.height), spans, images, lines)


def check_layout(page: Page, *, url: str) -> None:
    """What must hold on every constancia, whatever it says."""
    assert page.spans
    for span in page.spans:
        assert span.x0 >= pdf.MARGIN - EPSILON, span
        assert span.x1 <= page.width - pdf.MARGIN + EPSILON, span
        assert span.y0 >= pdf.MARGIN - EPSILON, span
        assert span.y1 <= page.height - pdf.MARGIN + EPSILON, span
        for image in page.images:
            assert not _overlap(span, image), (span, image)
    for index, span in enumerate(page.spans):
        for other in page.spans[index + 1 :]:
            assert not _overlap(span, other), (span, other)
    for index, image in enumerate(page.images):
        assert not any(_overlap(image, other) for other in page.images[index + 1 :])
        assert image.x0 >= pdf.MARGIN - EPSILON and image.x1 <= page.width - pdf.MARGIN + EPSILON
        assert image.y0 >= pdf.MARGIN - EPSILON and image.y1 <= page.height - pdf.MARGIN + EPSILON
    # The signature line: no text crosses or touches it, nor any image.
    (line,) = page.lines
    assert line.y0 == line.y1
    for item in [*page.spans, *page.images]:
        crosses = item.x0 < line.x1 and item.x1 > line.x0 and item.y0 < line.y0 < item.y1
        assert not crosses, item
    # The address, whole, between the end of the signature line and the QR code.
    qr = max(page.images, key=lambda image: image.x1)
    shown = url.removeprefix("https://")
    label = next(span for span in page.spans if span.text == "Verifique en / Verify at:")
    address = [span for span in page.spans if span.baseline < label.baseline and span.x0 > line.x1]
    assert "".join(span.text for span in address) == shown
    for span in address:
        assert line.x1 < span.x0 and span.x1 < qr.x0, span
    # Fonts: only the embedded TrueType faces, no base-14 font (reportlab's Helvetica).
    fonts = page.reader.pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 3
    for font in fonts.values():
        font = font.get_object()
        assert font["/Subtype"] == "/TrueType"
        assert str(font["/BaseFont"]).split("+")[-1].lstrip("/") not in BASE_14
        assert "/FontFile2" in font["/FontDescriptor"].get_object()
    assert b"Helvetica" not in page.data


def check_says(page: Page, certificate: Certificate) -> None:
    """Nothing dropped: the name, the course and the English sentence, whole."""
    name = page.between("Se hace constar que", "concluyó el curso")
    assert " ".join(span.text for span in name) == certificate.learner_name
    assert len(name) <= 2
    assert {span.font for span in name} == {shared.BOLD}
    course = [
        span
        for span in page.spans
        if span.font == shared.BOLD
        and span.baseline
        < next(span for span in page.spans if span.text == "concluyó el curso").baseline
        and not span.text.startswith("Folio")
    ]
    assert " ".join(span.text for span in course) == certificate.course_title
    english = [
        span
        for span in page.spans
        if span.font == shared.ITALIC and span.text != "Certificate of completion"
    ]
    hours = f"{certificate.hours} hours" if certificate.hours != 1 else "1 hour"
    assert " ".join(span.text for span in english) == (
        f"This certifies that {certificate.learner_name} completed "
        f"“{certificate.course_title}” ({hours}) on December 2, 2026."
    )
    text = page.text()
    # Spanish month names in lower case.
    assert "concluido el 2 de diciembre de 2026" in text
    assert certificate.folio in text
    assert LONG_ISSUER.split()[0] in text


def build(title: str, module_code: str, module_name: str, hours: int, **fields) -> Certificate:
    """A certificate as issuing builds it, in memory."""
    values = {
        "folio": FOLIO,
        "learner_name": LONG_NAME,
        "course_title": title,
        "module_code": module_code,
        "module_name": module_name,
        "hours": hours,
        "completed_on": COMPLETED_ON,
        "issuer_name": "Aula — Plazas Comunitarias",
    }
    return Certificate(**(values | fields))


def render(certificate: Certificate, page_size: str, **options) -> bytes:
    values = {
        "verify_url": LONG_URL,
        "issuer_name": LONG_ISSUER,
        "signatory": LONG_SIGNATORY,
        "signatory_title": LONG_TITLE,
    }
    return pdf.render(certificate=certificate, page_size=page_size, **(values | options))


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    """Each shipped course's title, module and hours, as the test database holds them
    (conftest imports the library), else as its course.yaml says."""
    from courses.models import CoursePage

    courses = {}
    with django_db_blocker.unblock():
        pages = CoursePage.objects.select_related("module").filter(slug__in=SLUGS)
        for page in pages:
            module = page.module
            courses[page.slug] = (
                page.title,
                module.code if module else "",
                module.name if module else "",
                page.estimated_hours,
            )
    for slug in SLUGS:
        if slug not in courses:
            manifest = yaml.safe_load((LIBRARY / slug / "course.yaml").read_text("utf-8"))
            module = manifest.get("module", "")
            courses[slug] = (manifest["title"], module, module, manifest["estimated_hours"])
    return courses


def test_the_long_inputs_are_as_long_as_allowed():
    assert len(LONG_NAME) == 150 and " " in LONG_NAME and {*"MWÑÁ"} <= set(LONG_NAME)
    assert len(LONG_ISSUER) == 200 == Certificate._meta.get_field("issuer_name").max_length
    assert len(LONG_COURSE) == 255 == Certificate._meta.get_field("course_title").max_length
    assert len(LONG_SIGNATORY) == len(LONG_TITLE) == 200
    assert SLUGS


@pytest.mark.parametrize("page_size", ["letter", "a4"])
@pytest.mark.parametrize("slug", SLUGS)
def test_each_shipped_course_with_the_longest_texts(shipped, slug, page_size):
    certificate = build(*shipped[slug])
    page = read(render(certificate, page_size))
    expected = {"letter": (612, 792), "a4": (595.28, 841.89)}[page_size]
    assert (page.width, page.height) == pytest.approx(expected, abs=0.01)
    check_layout(page, url=LONG_URL)
    check_says(page, certificate)
    assert len(page.images) == 1  # the QR code


@pytest.mark.parametrize("page_size", ["letter", "a4"])
def test_longest_course_title_and_module(page_size):
    certificate = build(LONG_COURSE, "B3MFP", LONG_MODULE, 1, learner_name=LONG_NAME)
    page = read(render(certificate, page_size, logo=_png((800, 300))))
    check_layout(page, url=LONG_URL)
    check_says(page, certificate)
    text = page.text()
    for word in LONG_MODULE.split():
        assert word in text


def test_short_texts_keep_their_sizes():
    """A usual constancia: the name large on one line, the title on one line."""
    certificate = build(
        "Fracciones y porcentajes",
        "B3MFP",
        "Fracciones y porcentajes",
        12,
        learner_name="María Peña Núñez",
    )
    url = f"https://aula.example.org/verificar/{FOLIO}/"
    page = read(pdf.render(certificate=certificate, verify_url=url, signatory="Lic. Ana Ruiz"))
    check_layout(page, url=url)
    (name,) = page.between("Se hace constar que", "concluyó el curso")
    assert name.text == "María Peña Núñez" and name.size == 26
    assert "Aula — Plazas Comunitarias" in page.text()  # the certificate's issuer


def _png(size, mode="RGBA", colour=(10, 60, 200, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour[: len(mode)]).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("page_size", ["letter", "a4"])
def test_logo_and_signature_in_their_boxes(page_size):
    """A wide signature (a phone photo: large) is scaled into its box above the line with
    its proportions and stored at print resolution; the logo sits at the top left."""
    certificate = build("Salud y prevención", "B2CVM", "Salud y prevención", 8)
    cmyk = io.BytesIO()
    Image.new("CMYK", (400, 300), (0, 200, 200, 0)).save(cmyk, "JPEG")
    page = read(render(certificate, page_size, logo=cmyk.getvalue(), signature=_png((4000, 1000))))
    check_layout(page, url=LONG_URL)
    check_says(page, certificate)
    assert len(page.images) == 3
    (line,) = page.lines
    signature = next(image for image in page.images if image.y0 > line.y0 and image.x1 <= line.x1)
    box_w, box_h = pdf.SIGNATURE_BOX
    drawn_w, drawn_h = signature.x1 - signature.x0, signature.y1 - signature.y0
    assert drawn_w / drawn_h == pytest.approx(4.0)
    assert drawn_w <= box_w + EPSILON and drawn_h == pytest.approx(box_h)
    assert signature.y0 > line.y0 and signature.y1 <= line.y0 + 3 + box_h + EPSILON
    assert (signature.x0 + signature.x1) / 2 == pytest.approx((line.x0 + line.x1) / 2)
    logo = next(image for image in page.images if image.y1 > page.height / 2)
    assert logo.x0 == pytest.approx(pdf.MARGIN)
    assert logo.y1 == pytest.approx(page.height - pdf.MARGIN)
    assert (logo.x1 - logo.x0) / (logo.y1 - logo.y0) == pytest.approx(400 / 300)
    widths = [
        int(xobject.get_object()["/Width"])
        for xobject in page.reader.pages[0]["/Resources"]["/XObject"].values()
    ]
    assert max(widths) <= box_w / 72 * pdf.IMAGE_DPI  # 4000 px reduced to 720
    assert len(page.data) < 200_000


def test_unreadable_images_are_left_out_with_a_warning(caplog):
    certificate = build("Nuestros documentos", "", "", 8)
    truncated = _png((300, 100), "RGB", (200, 30, 30))
    truncated = truncated[: len(truncated) // 2]
    with caplog.at_level(logging.WARNING, logger="lms.certificates.pdf"):
        page = read(render(certificate, "letter", logo=b"no es una imagen", signature=truncated))
    check_layout(page, url=LONG_URL)
    check_says(page, certificate)
    assert len(page.images) == 1  # the QR code only
    warnings = [record.getMessage() for record in caplog.records]
    assert any("el logotipo" in message for message in warnings)
    assert any("la firma" in message for message in warnings)


def test_dates_in_spanish_and_english():
    assert pdf.date_es(date(2026, 12, 2)) == "2 de diciembre de 2026"
    assert pdf.date_es(date(2027, 1, 15)) == "15 de enero de 2027"
    assert pdf.date_en(date(2026, 12, 2)) == "December 2, 2026"


class TestFitLines:
    """``lms.pdf.fit_lines``: shrink to the wrapping size, wrap up to the most lines,
    shrink further, and at the smallest size take as many lines as needed, never cut."""

    def test_shrinks_on_one_line_first(self):
        size, lines = shared.fit_lines(
            "María Peña Núñez", shared.BOLD, width=200, size=26, wrap_at=16, max_lines=2, smallest=8
        )
        assert lines == ["María Peña Núñez"] and 16 <= size < 26
        assert shared.text_width(lines[0], shared.BOLD, size) <= 200

    def test_then_two_even_lines_then_smaller(self):
        text = "María Guadalupe Hernández López de la Cruz Santiago"
        size, lines = shared.fit_lines(
            text, shared.BOLD, width=200, size=26, wrap_at=16, max_lines=2, smallest=8
        )
        assert len(lines) == 2 and " ".join(lines) == text and size < 16
        widths = [shared.text_width(line, shared.BOLD, size) for line in lines]
        assert max(widths) <= 200 and min(widths) > 0.6 * max(widths)

    def test_never_cuts_text(self):
        text = LONG_NAME + " " + LONG_NAME
        size, lines = shared.fit_lines(
            text, shared.BOLD, width=200, size=26, wrap_at=16, max_lines=2, smallest=8
        )
        assert size == 8 and len(lines) > 2 and " ".join(lines) == text
        assert all(shared.text_width(line, shared.BOLD, 8) <= 200 for line in lines)

    def test_a_word_wider_than_the_line_is_cut_after_a_slash(self):
        url = "aula.example.org/verificar/ABCD-EFGH-J/"
        size, lines = shared.fit_lines(
            url, shared.REGULAR, width=100, size=9, smallest=9, max_lines=None
        )
        assert "".join(lines) == url and len(lines) > 1
        assert lines[0].endswith("/")
        assert all(shared.text_width(line, shared.REGULAR, size) <= 100 for line in lines)
