"""The constancia as a one-page PDF (reportlab): Spanish, an English line, embedded
fonts (Bitstream Vera, shipped with reportlab, covers accents and ñ), a QR code to the
public verification page. Text stays extractable."""

from __future__ import annotations

import io

import segno
from django.utils import formats, translation
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen import canvas

from lms.pdf import fitted_size, register_fonts


def render(
    *,
    certificate,
    verify_url: str,
    signatory: str = "",
    signatory_title: str = "",
    logo: bytes | None = None,
    page_size: str = "letter",
) -> bytes:
    register_fonts()
    size = A4 if page_size == "a4" else letter
    width, height = size
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=size, pageCompression=1)
    c.setTitle(f"Constancia {certificate.folio}")
    c.setAuthor(certificate.issuer_name)
    c.setSubject(certificate.course_title)
    margin = 0.8 * inch
    c.setStrokeColorRGB(0.04, 0.43, 0.31)
    c.setLineWidth(3)
    c.rect(margin / 2, margin / 2, width - margin, height - margin)
    top = height - 1.3 * inch
    if logo:
        c.drawImage(
            ImageReader(io.BytesIO(logo)),
            margin,
            top - 0.2 * inch,
            width=1.1 * inch,
            height=0.9 * inch,
            preserveAspectRatio=True,
            mask="auto",
        )
    c.setFillColorRGB(0.1, 0.1, 0.1)
    c.setFont("Aula", 12)
    c.drawCentredString(width / 2, top, certificate.issuer_name)
    c.setFont("Aula-Bold", 28)
    c.drawCentredString(width / 2, top - 0.7 * inch, "Constancia de conclusión")
    c.setFont("Aula-Italic", 12)
    c.drawCentredString(width / 2, top - 1.0 * inch, "Certificate of completion")
    c.setFont("Aula", 13)
    c.drawCentredString(width / 2, top - 1.6 * inch, "Se hace constar que")
    name_size = fitted_size(
        c, certificate.learner_name, "Aula-Bold", 26, width - 2 * margin, smallest=9
    )
    c.setFont("Aula-Bold", name_size)
    c.drawCentredString(width / 2, top - 2.1 * inch, certificate.learner_name)
    c.setFont("Aula", 13)
    c.drawCentredString(width / 2, top - 2.6 * inch, "concluyó el curso")
    title_size = fitted_size(
        c, certificate.course_title, "Aula-Bold", 20, width - 2 * margin, smallest=9
    )
    c.setFont("Aula-Bold", title_size)
    c.drawCentredString(width / 2, top - 3.05 * inch, certificate.course_title)
    with translation.override("es-mx"):
        # Spanish month names are not capitalised: "27 de noviembre de 2026".
        date_es = formats.date_format(certificate.completed_on, "j \\d\\e F \\d\\e Y").lower()
    with translation.override("en"):
        date_en = formats.date_format(certificate.completed_on, "F j, Y")
    c.setFont("Aula", 12)
    lines = []
    if certificate.module_name:
        module = certificate.module_name
        if certificate.module_code:
            module += f" ({certificate.module_code})"
        lines.append(f"Alineado con el módulo del MEVyT: {module}")
    lines.append(f"{certificate.hours} horas de estudio · concluido el {date_es}")
    for index, line in enumerate(lines):
        c.drawCentredString(width / 2, top - 3.6 * inch - index * 0.28 * inch, line)
    english = (
        f"This certifies that {certificate.learner_name} completed “{certificate.course_title}” "
        f"({certificate.hours} hours) on {date_en}."
    )
    c.setFont("Aula-Italic", 10.5)
    lines = simpleSplit(english, "Aula-Italic", 10.5, width - 2 * margin)[:3]
    for index, line in enumerate(lines):
        c.drawCentredString(width / 2, top - 4.3 * inch - index * 0.2 * inch, line)
    # Signature block
    base = 2.2 * inch
    c.setLineWidth(0.8)
    c.line(margin + 0.2 * inch, base, margin + 3.2 * inch, base)
    c.setFont("Aula", 11)
    c.drawString(margin + 0.2 * inch, base - 0.22 * inch, signatory or certificate.issuer_name)
    if signatory_title:
        c.setFont("Aula", 9.5)
        c.drawString(margin + 0.2 * inch, base - 0.42 * inch, signatory_title)
    # QR code and folio
    qr = segno.make(verify_url, error="m")
    png = io.BytesIO()
    qr.save(png, kind="png", scale=6, border=1)
    png.seek(0)
    qr_size = 1.45 * inch
    c.drawImage(ImageReader(png), width - margin - qr_size, base - 0.55 * inch, qr_size, qr_size)
    c.setFont("Aula-Bold", 11)
    c.drawRightString(
        width - margin - qr_size - 0.15 * inch, base + 0.55 * inch, f"Folio: {certificate.folio}"
    )
    c.setFont("Aula", 9)
    c.drawRightString(
        width - margin - qr_size - 0.15 * inch, base + 0.33 * inch, "Verifique en / Verify at:"
    )
    c.drawRightString(width - margin - qr_size - 0.15 * inch, base + 0.15 * inch, verify_url)
    c.setFont("Aula", 8.5)
    c.setFillColorRGB(0.3, 0.3, 0.3)
    c.drawCentredString(
        width / 2,
        0.95 * inch,
        "Esta constancia no es un certificado oficial de la SEP ni del INEA; muestra lo que "
        "se estudió en Aula.",
    )
    c.drawCentredString(
        width / 2,
        0.78 * inch,
        "This is not an official SEP/INEA certificate. Signed digitally: verify the folio online.",
    )
    c.showPage()
    c.save()
    return buffer.getvalue()
