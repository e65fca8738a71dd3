import io
import json
from unittest import mock

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from pypdf import PdfReader
from wagtail.log_actions import registry as log_registry
from wagtail.models import ModelLogEntry

from lms.certificates import api, folio, signing
from lms.certificates.models import Certificate
from lms.certificates.tasks import sweep_missing_certificates
from lms.enrollment.models import Enrollment

# ``complete`` is still imported from here by tests/accounts/test_access_records.py and
# tests/test_admin_authorization.py, until they import it from tests.helpers.
from tests.helpers import certificate_receiver_muted, complete


class TestFolio:
    def test_new_folios_are_valid_and_readable(self):
        for _ in range(50):
            value = folio.new_folio()
            assert folio.normalize(value) == value
            assert len(value) == 11 and value[4] == value[9] == "-"
            assert not set(value) & set("ILOU")

    def test_typing_is_forgiving(self):
        value = folio.new_folio()
        assert folio.normalize(value.lower().replace("-", " ")) == value

    def test_a_mistyped_character_is_caught(self):
        value = folio.new_folio()
        body = value.replace("-", "")
        for index in range(8):
            wrong = folio.ALPHABET[(folio.ALPHABET.index(body[index]) + 1) % 32]
            typo = body[:index] + wrong + body[index + 1 :]
            assert folio.normalize(typo) is None, typo
        fixed = "7K3M9QXT"
        fixed_folio = fixed + folio.check_char(fixed)
        assert folio.normalize(fixed_folio)
        for index in range(7):  # every swap of two different neighbours
            swapped = fixed[:index] + fixed[index + 1] + fixed[index] + fixed[index + 2 :]
            assert folio.normalize(swapped + fixed_folio[-1]) is None, swapped


class TestSigning:
    def test_sign_and_verify(self):
        signed = signing.sign(
            {"@context": ["x"], "name": "Peña"},
            verification_method="k",
            created="2026-11-28T00:00:00+00:00",
        )
        public = signing.private_key().public_key()
        assert signing.verify(signed, public)
        tampered = {**signed, "name": "Pena"}
        assert not signing.verify(tampered, public)

    def test_multikey_round_trip(self):
        value = signing.public_key_multibase()
        assert value.startswith("z6Mk")
        assert signing.public_key_from_multibase(value).public_bytes_raw() == (
            signing.private_key().public_key().public_bytes_raw()
        )


class TestIssue:
    def test_completion_issues_one_certificate_with_its_pdf(self, certificate, course):
        assert certificate.learner_name == "María Peña Núñez"
        assert certificate.course_title == course.title
        assert (certificate.module_code, certificate.hours) == ("B3MFP", course.estimated_hours)
        assert folio.normalize(certificate.folio) == certificate.folio
        assert certificate.pdf.name == f"constancias/{certificate.uuid}.pdf"
        assert api.issue_certificate(enrollment_id=certificate.enrollment_id) == certificate
        assert Certificate.objects.count() == 1

    def test_pdf_text_fonts_and_qr(self, certificate):
        data = certificate.pdf.open("rb").read()
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1
        assert reader.pages[0].mediabox.width == 612  # US letter
        text = reader.pages[0].extract_text()
        for expected in (
            "Constancia de conclusión",
            "María Peña Núñez",
            "Fracciones y porcentajes",
            "Certificate of completion",
            certificate.folio,
            "B3MFP",
            "no es un certificado oficial de la SEP ni del INEA",
        ):
            assert expected in text, expected
        assert b"/FontFile2" in data  # TrueType fonts embedded
        assert reader.pages[0].images  # the QR code

    def test_signed_credential(self, certificate):
        credential = certificate.credential
        assert "OpenBadgeCredential" in credential["type"]
        assert credential["credentialSubject"]["name"] == "María Peña Núñez"
        assert credential["proof"][0]["cryptosuite"] == "eddsa-jcs-2022"
        assert api.verify_credential(credential) == (
            True,
            f"Constancia válida, firmada por {certificate.issuer_name}.",
        )

    def test_email_with_the_link(self, certificate):
        assert len(mail.outbox) == 1
        assert certificate.folio in mail.outbox[0].body
        assert "/verificar/" in mail.outbox[0].body

    def test_storage_outage_leaves_no_row(self, enrolled, course):
        with certificate_receiver_muted():
            enrollment = complete(enrolled, course)
        with (
            mock.patch(
                "django.core.files.storage.FileSystemStorage._save",
                side_effect=OSError("disco lleno"),
            ),
            pytest.raises(OSError),
        ):
            api.issue_certificate(enrollment_id=enrollment.pk)
        assert not Certificate.objects.exists()
        assert api.missing_certificates() == [enrollment.pk]
        assert sweep_missing_certificates() == 1  # eager here: issues right away
        assert Certificate.objects.filter(enrollment=enrollment).count() == 1
        assert api.missing_certificates() == []

    @pytest.mark.parametrize(
        ("backoff_max", "expected"), [(600, [5, 10, 160, 600]), (2, [2, 2, 2, 2])]
    )
    def test_storage_outages_are_retried_with_a_backoff_up_to_the_setting(
        self, settings, backoff_max, expected
    ):
        """The retry policy (lms/certificates/tasks.py) reads the limit when it retries,
        so AULA_CERTIFICATE_RETRY_BACKOFF_MAX in a worker's environment counts."""
        from celery.exceptions import Retry

        from lms.certificates.tasks import issue_certificate_task

        settings.AULA_CERTIFICATE_RETRY_BACKOFF_MAX = backoff_max
        countdowns = []

        def retry(*, exc, countdown):
            countdowns.append(countdown)
            return Retry(exc=exc, when=countdown)

        with (
            mock.patch.object(api, "issue_certificate", side_effect=OSError("disco lleno")),
            mock.patch.object(issue_certificate_task, "retry", side_effect=retry),
            # The longest wait the jitter allows, so the test is exact.
            mock.patch("celery.utils.time.random.randrange", side_effect=lambda stop: stop - 1),
        ):
            for retries in (0, 1, 5, 10):
                issue_certificate_task.push_request(retries=retries)
                try:
                    with pytest.raises(Retry):
                        issue_certificate_task.run(1)
                finally:
                    issue_certificate_task.pop_request()
        assert countdowns == expected

    def test_not_completed_gets_nothing(self, enrolled, course):
        enrollment = Enrollment.objects.get(user=enrolled)
        assert api.issue_certificate(enrollment_id=enrollment.pk) is None


class TestVerification:
    def test_valid(self, client, certificate):
        response = client.get(f"/verificar/{certificate.folio}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Constancia válida" in html and "María Peña Núñez" in html
        assert "maria@example.org" not in html and certificate.user.username not in html

    def test_typed_loosely_redirects_to_the_canonical_folio(self, client, certificate):
        response = client.get(f"/verificar/{certificate.folio.replace('-', '').lower()}/")
        assert response.status_code == 302
        assert response["Location"] == f"/verificar/{certificate.folio}/"

    def test_json(self, client, certificate):
        data = client.get(f"/verificar/{certificate.folio}.json").json()
        assert data["status"] == "valid" and data["name"] == "María Peña Núñez"
        assert set(data) == {
            "folio",
            "status",
            "name",
            "course",
            "module",
            "hours",
            "completed_on",
            "issuer",
            "issued_at",
            "credentialStatus",
            "alignment",
            "alignment_note",
            "alignment_statement",
        }
        # Where any verifier finds its revocation bit (tests/certificates/test_status_list.py).
        assert data["credentialStatus"] == certificate.credential["credentialStatus"]

    def test_unknown_and_malformed(self, client, db):
        good_shape = folio.new_folio()
        assert client.get(f"/verificar/{good_shape}/").status_code == 404
        response = client.get("/verificar/ABCD-EFGH-Z/")
        assert response.status_code == 404 and "no es un folio válido" in response.content.decode()
        assert client.get("/verificar/ABCD.json").json()["status"] == "malformed"

    def test_english(self, client, certificate):
        client.post("/idioma/", {"language": "en", "next": "/"})
        html = client.get(f"/verificar/{certificate.folio}/").content.decode()
        assert "Valid certificate" in html and "Constancia válida" not in html
        assert '<html lang="en">' in html

    def test_rate_limited(self, client, certificate, settings):
        from django.core.cache import cache

        cache.clear()
        statuses = [
            client.get(f"/verificar/{certificate.folio}.json").status_code for _ in range(31)
        ]
        assert statuses[:30] == [200] * 30 and statuses[30] == 429
        cache.clear()

    def test_issuer_key_is_published(self, client, certificate):
        profile = client.get("/.well-known/aula-issuer.json").json()
        method = profile["verificationMethod"][0]
        assert certificate.credential["proof"][0]["verificationMethod"] == method["id"]
        public = signing.public_key_from_multibase(method["publicKeyMultibase"])
        assert signing.verify(certificate.credential, public)


class TestRevokeAndReissue:
    def test_revoke_needs_a_reason_and_is_logged(self, certificate, coordinador, client):
        with pytest.raises(api.CertificateError):
            api.revoke(certificate=certificate, by=coordinador, reason=" ")
        api.revoke(certificate=certificate, by=coordinador, reason="Error en el nombre")
        # In the sede-scoped audit log (lms/enrollment/audit.py), not Wagtail's general one.
        entry = log_registry.get_logs_for_instance(certificate).get(
            action="aula.certificate.revoke"
        )
        assert not ModelLogEntry.objects.filter(action="aula.certificate.revoke").exists()
        assert entry.data["reason"] == "Error en el nombre" and entry.user_id == coordinador.pk
        html = client.get(f"/verificar/{certificate.folio}/").content.decode()
        assert "Constancia anulada el" in html
        assert client.get(f"/verificar/{certificate.folio}.json").json()["status"] == "revoked"
        assert api.verify_credential(certificate.credential)[0] is False

    def test_reissue_with_a_corrected_name(self, certificate, coordinador, client):
        new = api.reissue(
            certificate=certificate,
            by=coordinador,
            learner_name="María de la Peña Núñez",
            reason="Nombre corregido",
        )
        certificate.refresh_from_db()
        assert certificate.revoked_at and certificate.replaced_by == new
        assert new.folio != certificate.folio and new.learner_name == "María de la Peña Núñez"
        assert client.get(f"/verificar/{certificate.folio}.json").json()["replaced_by"] == new.folio
        assert api.verify_credential(new.credential)[0]

    def test_reissue_of_an_enrollment_no_longer_completed_changes_nothing(
        self, certificate, coordinador
    ):
        """Nothing in Aula undoes a completion today; if a correction ever does, re-issuing
        refuses with a reason and the certificate in hand stays valid (one transaction)."""
        Enrollment.objects.filter(pk=certificate.enrollment_id).update(completed_at=None)
        with pytest.raises(api.CertificateError) as refused:
            api.reissue(
                certificate=certificate, by=coordinador, learner_name="Otra", reason="Nombre"
            )
        assert refused.value.code == "not_completed"
        certificate.refresh_from_db()
        assert certificate.revoked_at is None and certificate.replaced_by is None
        assert Certificate.objects.filter(enrollment_id=certificate.enrollment_id).count() == 1

    def test_commands(self, certificate, coordinador, tmp_path, capsys):
        path = tmp_path / "c.json"
        path.write_text(json.dumps(certificate.credential), encoding="utf-8")
        call_command("verify_certificate", str(path))
        assert "Constancia válida" in capsys.readouterr().out
        tampered = {**certificate.credential, "name": "Otra"}
        path.write_text(json.dumps(tampered), encoding="utf-8")
        with pytest.raises(CommandError, match="firma no es válida"):
            call_command("verify_certificate", str(path))
        call_command(
            "revoke_certificate",
            certificate.folio,
            "--motivo",
            "Duplicada",
            "--por",
            coordinador.username,
        )
        with pytest.raises(CommandError, match="anulada"):
            call_command("verify_certificate", certificate.folio)


class TestDownloads:
    def test_owner_downloads_pdf_and_credential(self, client, certificate):
        client.force_login(certificate.user)
        response = client.get(f"/mis-cursos/constancias/{certificate.uuid}/pdf/")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        credential = client.get(f"/mis-cursos/constancias/{certificate.uuid}/credencial/")
        assert json.loads(credential.content)["id"] == f"urn:uuid:{certificate.uuid}"
        html = client.get("/mis-cursos/").content.decode()
        assert certificate.folio in html and "Descargar constancia" in html

    def test_others_get_404_and_anonymous_logs_in(self, client, certificate, make_user):
        url = f"/mis-cursos/constancias/{certificate.uuid}/pdf/"
        assert client.get(url).status_code == 302
        client.force_login(make_user("otra-educanda"))
        assert client.get(url).status_code == 404
        assert (
            client.get(f"/mis-cursos/constancias/{certificate.uuid}/credencial/").status_code == 404
        )


def test_deleting_the_account_keeps_the_certificate_verifiable(client, certificate):
    from lms.accounts import api as accounts_api

    accounts_api.delete_account(user=certificate.user)
    certificate.refresh_from_db()
    assert certificate.user_id is None and certificate.enrollment_id is None
    assert client.get(f"/verificar/{certificate.folio}.json").json()["status"] == "valid"
    assert api.verify_credential(certificate.credential)[0]


def test_a_failure_to_issue_never_breaks_the_completion(
    enrolled, course, django_capture_on_commit_callbacks
):
    """Eager mode with a storage fault: the completion stands, the sweep issues later."""
    with (
        mock.patch(
            "django.core.files.storage.FileSystemStorage._save", side_effect=OSError("disco lleno")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enrollment = complete(enrolled, course)
    assert enrollment.completed_at is not None
    assert not Certificate.objects.exists()
    assert api.missing_certificates() == [enrollment.pk]
