"""Each sede's constancias carry its own name, logo, signer and signature, and its
credentials name it as their issuer (with the organisation as ``parentOrg``)."""

import io
import json

import pytest
from django.core.files.images import ImageFile
from django.test import Client
from PIL import Image as PILImage
from pypdf import PdfReader
from wagtail.images import get_image_model

from lms.accounts import api as accounts_api
from lms.certificates import api
from lms.certificates.credentials import issuer_id
from lms.certificates.models import Certificate, IssuerSettings
from lms.enrollment import api as enrollment_api
from tests.certificates import independent
from tests.helpers import complete


def _image(title, colour):
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 60), colour).save(buffer, "PNG")
    return get_image_model().objects.create(
        title=title, file=ImageFile(io.BytesIO(buffer.getvalue()), name=f"{title}.png")
    )


@pytest.fixture
def branded_sede(sedes):
    sede, _coordinator, grupo = sedes["norte"]
    sede.certificate_name = "Plaza Comunitaria Norte de Los Ángeles"
    sede.certificate_logo = _image("logo-norte", (10, 110, 80))
    sede.signatory_name = "Lic. Guadalupe Sánchez Ortiz"
    sede.signatory_title = "Coordinadora de zona"
    sede.signature = _image("firma-norte", (20, 20, 20))
    sede.save()
    return sede, grupo


def _certificate_of(user, course, django_capture_on_commit_callbacks) -> Certificate:
    enrollment_api.enroll(user=user, course=course)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(user, course)
    return Certificate.objects.get(enrollment=enrollment)


def _pdf(certificate):
    with certificate.pdf.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def test_a_learner_of_a_branded_sede_gets_its_constancia(
    branded_sede, make_user, course, django_capture_on_commit_callbacks, fetch
):
    sede, grupo = branded_sede
    learner = make_user("rosa", accounts_api.roles.EDUCANDO, display_name="Rosa Ibáñez")
    enrollment_api.add_to_grupo(user=learner, grupo=grupo)
    certificate = _certificate_of(learner, course, django_capture_on_commit_callbacks)

    assert certificate.sede == sede
    assert certificate.issuer_name == "Plaza Comunitaria Norte de Los Ángeles"
    page = _pdf(certificate).pages[0]
    text = page.extract_text()
    assert "Plaza Comunitaria Norte de Los Ángeles" in text
    assert "Lic. Guadalupe Sánchez Ortiz" in text and "Coordinadora de zona" in text
    assert len(page.images) == 3  # logo, signature, QR code

    credential = certificate.credential
    assert credential["issuer"]["id"] == issuer_id(sede.pk)
    assert credential["issuer"]["name"] == "Plaza Comunitaria Norte de Los Ángeles"
    # Anyone verifies it from the sede's own published profile (same key)...
    assert credential["proof"][0]["verificationMethod"] == f"{issuer_id(sede.pk)}#clave-1"
    assert independent.proof_is_valid(credential, fetch)
    status, _headers, body = fetch(issuer_id(sede.pk))
    assert status == 200
    profile = json.loads(body)
    assert profile["name"] == "Plaza Comunitaria Norte de Los Ángeles"
    assert profile["parentOrg"]["id"] == issuer_id()
    assert api.verify_credential(credential)[0] is True
    # ...and the verification page names the sede.
    html = Client().get(f"/verificar/{certificate.folio}/").content.decode()
    assert "Plaza Comunitaria Norte de Los Ángeles" in html


def test_what_a_sede_leaves_empty_comes_from_the_organisation(
    sedes, make_user, course, django_capture_on_commit_callbacks
):
    issuer = IssuerSettings.load()
    issuer.signatory_name = "Mtra. Elena Ruiz"
    issuer.signatory_title = "Dirección académica"
    issuer.save()
    sede, _coordinator, grupo = sedes["sur"]
    sede.certificate_name = "Consulado de México en Dallas"
    sede.save()
    learner = make_user("jose", accounts_api.roles.EDUCANDO)
    enrollment_api.add_to_grupo(user=learner, grupo=grupo)
    certificate = _certificate_of(learner, course, django_capture_on_commit_callbacks)
    text = _pdf(certificate).pages[0].extract_text()
    assert certificate.issuer_name == "Consulado de México en Dallas"
    assert "Mtra. Elena Ruiz" in text and "Dirección académica" in text


def test_a_sede_that_has_not_named_itself_leaves_it_to_the_organisation(
    sedes, make_user, course, django_capture_on_commit_callbacks
):
    sede, _coordinator, grupo = sedes["sur"]
    sede.signatory_name = "Alguien de la sede"  # a signer alone does not make it the issuer
    sede.save()
    learner = make_user("sin-nombre", accounts_api.roles.EDUCANDO)
    enrollment_api.add_to_grupo(user=learner, grupo=grupo)
    certificate = _certificate_of(learner, course, django_capture_on_commit_callbacks)
    assert certificate.sede is None
    assert certificate.issuer_name == IssuerSettings.load().name
    assert certificate.credential["issuer"]["id"] == issuer_id()
    assert "Alguien de la sede" not in _pdf(certificate).pages[0].extract_text()


def test_a_learner_without_a_sede_gets_the_organisation(
    make_user, course, django_capture_on_commit_callbacks
):
    learner = make_user("sola", accounts_api.roles.EDUCANDO)
    certificate = _certificate_of(learner, course, django_capture_on_commit_callbacks)
    assert certificate.sede is None
    assert certificate.issuer_name == IssuerSettings.load().name
    assert certificate.credential["issuer"]["id"] == issuer_id()


def test_a_sede_that_does_not_exist_has_no_profile(client, db):
    assert client.get("/constancias/emisor/999999/").status_code == 404
    assert client.post("/constancias/emisor/999999/").status_code == 405


def test_an_administrator_sets_the_branding_in_the_admin(client, make_user, sedes):
    sede, coordinator, _grupo = sedes["norte"]
    admin = make_user("admin-sedes", accounts_api.roles.ADMINISTRADOR)
    client.force_login(admin)
    url = f"/admin/snippets/enrollment/sede/edit/{sede.pk}/"
    form = client.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert "En las constancias" in html and 'name="certificate_name"' in html
    assert 'name="signature"' in html
    response = client.post(
        url,
        {
            "name": sede.name,
            "key": sede.key,
            "kind": sede.kind,
            "city": "",
            "state": "",
            "coordinators": [coordinator.pk],
            "active": "on",
            "certificate_name": "Plaza Comunitaria Norte",
            "signatory_name": "Lic. Guadalupe Sánchez",
            "signatory_title": "Coordinadora",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sede.refresh_from_db()
    assert sede.certificate_name == "Plaza Comunitaria Norte"
    assert sede.signatory_name == "Lic. Guadalupe Sánchez"


def test_a_coordinator_cannot_change_the_branding(client, sedes):
    sede, coordinator, _grupo = sedes["norte"]
    client.force_login(coordinator)
    response = client.post(
        f"/admin/snippets/enrollment/sede/edit/{sede.pk}/",
        {"name": sede.name, "key": sede.key, "kind": sede.kind, "certificate_name": "Otra"},
    )
    assert response.status_code in (302, 403)
    sede.refresh_from_db()
    assert sede.certificate_name == ""
