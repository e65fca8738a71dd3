"""The constancia, its signed credential and the verification page say honestly how the
course aligns with its MEVyT module, and print the study time computed from the content."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from courses.models import CoursePage
from lms.certificates.models import Certificate
from lms.enrollment import api as enrollment_api
from tests.helpers import complete

NOT_THE_EXAM = "No sustituye el examen del INEA."


def _pdf_text(certificate: Certificate) -> str:
    with certificate.pdf.open("rb") as handle:
        text = PdfReader(io.BytesIO(handle.read())).pages[0].extract_text()
    return " ".join(text.split())


def _issue(user, course, django_capture_on_commit_callbacks) -> Certificate:
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(user, course)
    return Certificate.objects.get(enrollment=enrollment)


def _align(course: CoursePage, kind: str, note: str = "") -> CoursePage:
    CoursePage.objects.filter(pk=course.pk).update(alignment=kind, alignment_note=note)
    return CoursePage.objects.get(pk=course.pk)


@pytest.mark.parametrize(
    ("kind", "note", "statement"),
    [
        (
            "corresponde",
            "",
            "Corresponde al módulo Fracciones y porcentajes (B3MFP) del MEVyT.",
        ),
        (
            "parcial",
            "fracciones y decimales, sin porcentajes",
            "Se alinea con parte del módulo Fracciones y porcentajes (B3MFP) del MEVyT: "
            "fracciones y decimales, sin porcentajes.",
        ),
        (
            "relacionado",
            "",
            "Se relaciona con el módulo Fracciones y porcentajes (B3MFP) del MEVyT.",
        ),
    ],
)
def test_each_kind_is_printed_signed_and_verifiable(
    client, enrolled, course, django_capture_on_commit_callbacks, kind, note, statement
):
    course = _align(course, kind, note)
    certificate = _issue(enrolled, course, django_capture_on_commit_callbacks)
    assert (certificate.alignment, certificate.alignment_note) == (kind, note)
    expected = f"{statement} {NOT_THE_EXAM}"
    assert certificate.alignment_statement == expected

    text = _pdf_text(certificate)
    assert expected in text
    assert "Alineado con" not in text
    assert text.count(NOT_THE_EXAM) == 1  # the footer says something else

    achievement = certificate.credential["credentialSubject"]["achievement"]
    assert achievement["alignment"][0]["targetDescription"] == expected
    assert achievement["alignment"][0]["targetCode"] == "B3MFP"
    assert expected in achievement["description"]

    data = client.get(f"/verificar/{certificate.folio}.json").json()
    assert (data["alignment"], data["alignment_statement"]) == (kind, expected)
    assert data["alignment_note"] == (note or None)
    html = client.get(f"/verificar/{certificate.folio}/").content.decode()
    assert statement.split(" (")[0] in html and NOT_THE_EXAM in html


def test_hours_are_the_computed_study_time(enrolled, course, django_capture_on_commit_callbacks):
    CoursePage.objects.filter(pk=course.pk).update(study_minutes=205)  # 3 h 25 min
    course = CoursePage.objects.get(pk=course.pk)
    certificate = _issue(enrolled, course, django_capture_on_commit_callbacks)
    certificate.refresh_from_db()
    assert str(certificate.hours) == "3.5" and certificate.hours_text == "3.5 horas"
    assert "Tiempo de estudio: 3.5 horas" in _pdf_text(certificate)
    assert "(3.5 hours)" in _pdf_text(certificate)
    result = certificate.credential["credentialSubject"]["result"][0]["value"]
    assert result == "Tiempo de estudio: 3.5 horas"


def test_whole_hours_print_without_decimals(client, certificate):
    certificate.hours = 4
    certificate.save(update_fields=["hours"])
    certificate.refresh_from_db()
    assert certificate.hours_text == "4 horas"
    assert client.get(f"/verificar/{certificate.folio}.json").json()["hours"] == 4


def test_a_course_without_module_claims_nothing(
    client, make_user, django_capture_on_commit_callbacks
):
    course = CoursePage.objects.get(slug="finanzas-personales")
    assert course.module_id is None and course.alignment == ""
    learner = make_user("sin-modulo")
    enrollment_api.enroll(user=learner, course=course)
    certificate = _issue(learner, course, django_capture_on_commit_callbacks)
    assert (certificate.module_name, certificate.alignment, certificate.alignment_statement) == (
        "",
        "",
        "",
    )
    assert "MEVyT" not in _pdf_text(certificate)
    assert "alignment" not in certificate.credential["credentialSubject"]["achievement"]
    data = client.get(f"/verificar/{certificate.folio}.json").json()
    assert data["alignment"] is None and data["module"] is None


def test_a_certificate_issued_before_kinds_keeps_its_wording(client, certificate):
    """Issued as "Alineado con el módulo del MEVyT" (no kind): its PDF and credential are
    never rewritten, and the verification page repeats that same wording."""
    Certificate.objects.filter(pk=certificate.pk).update(alignment="", alignment_note="")
    certificate.refresh_from_db()
    wording = "Alineado con el módulo del MEVyT: Fracciones y porcentajes (B3MFP)"
    assert certificate.alignment_statement == wording
    data = client.get(f"/verificar/{certificate.folio}.json").json()
    assert data["alignment"] is None and data["alignment_statement"] == wording
    assert wording in client.get(f"/verificar/{certificate.folio}/").content.decode()


@pytest.mark.parametrize("page_size", ["letter", "a4"])
def test_the_longest_partial_statement_fits_the_page(page_size):
    """A partial alignment with the longest note, the longest module name and every other
    text at its longest: nothing overlaps, nothing is cut, the statement is whole."""
    from tests.certificates.test_pdf_layout import (
        LONG_COURSE,
        LONG_MODULE,
        LONG_URL,
        build,
        check_layout,
        check_says,
        read,
        render,
    )

    note = ("prevención de enfermedades, alimentación, presión y azúcar " * 4)[:200].strip()
    certificate = build(
        LONG_COURSE, "B2CVM", LONG_MODULE, Decimal("3.5"), alignment="parcial", alignment_note=note
    )
    page = read(render(certificate, page_size))
    check_layout(page, url=LONG_URL)
    check_says(page, certificate)
    assert certificate.alignment_statement.endswith(NOT_THE_EXAM)
    assert " ".join(page.text().split()).count(NOT_THE_EXAM) == 1
    assert "Tiempo de estudio: 3.5 horas" in " ".join(page.text().split())
