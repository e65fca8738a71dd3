"""Revocation that lasts and that any verifier sees (W3C Bitstring Status List v1.0).

The third-party checks use ``tests/certificates/independent.py``, which knows nothing of
Aula's code: it fetches the published documents by their URLs and reads them by the
specifications.
"""

from urllib.parse import urlsplit

import pytest
from django.core import mail

from lms.certificates import api, status_list
from lms.certificates.models import Certificate
from lms.certificates.tasks import issue_certificate_task, sweep_missing_certificates
from tests.certificates import independent


def test_every_credential_points_to_its_bit(certificate):
    entry = certificate.credential["credentialStatus"]
    number, position = divmod(certificate.status_index, status_list.SIZE)
    assert entry == {
        "id": f"{status_list.list_url(number)}#{position}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(position),
        "statusListCredential": status_list.list_url(number),
    }
    assert urlsplit(entry["statusListCredential"]).path == f"/constancias/estado/{number}/"


def test_a_stranger_sees_the_revocation_in_the_published_list(certificate, fetch):
    credential = certificate.credential
    assert independent.proof_is_valid(credential, fetch)
    assert independent.status_bit(credential, fetch) is False

    api.revoke(certificate=certificate, by=None, reason="Se emitió por error.")

    # At once: no cache to wait for on the server side.
    assert independent.status_bit(credential, fetch) is True
    # The credential itself is untouched (its proof still holds): only the list changed.
    assert independent.proof_is_valid(credential, fetch)
    assert api.verify_credential(credential)[0] is False


def test_only_its_own_bit_flips(certificate, fetch, enrolled, course):
    other = Certificate.objects.exclude(pk=certificate.pk).first()
    assert other is None  # one certificate so far
    new = api.reissue(
        certificate=certificate, by=None, learner_name="María Peña", reason="Nombre corregido."
    )
    assert new.status_index != certificate.status_index
    assert independent.status_bit(certificate.credential, fetch) is True
    assert independent.status_bit(new.credential, fetch) is False
    assert api.verify_credential(new.credential)[0] is True


def test_the_list_is_cached_sensibly(certificate, client, django_assert_max_num_queries):
    path = urlsplit(certificate.credential["credentialStatus"]["statusListCredential"]).path
    first = client.get(path)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/vc+ld+json"
    assert first["Cache-Control"] == f"public, max-age={status_list.MAX_AGE}"
    assert first["Access-Control-Allow-Origin"] == "*"
    # Unchanged: the same bytes (same ETag), and a revalidation costs no body.
    with django_assert_max_num_queries(3):
        again = client.get(path, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    api.revoke(certificate=certificate, by=None, reason="Duplicada.")
    changed = client.get(path, headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_lists_that_do_not_exist_and_writes(client, certificate):
    number = certificate.status_index // status_list.SIZE
    assert client.get(f"/constancias/estado/{number + 1}/").status_code == 404
    assert client.get("/constancias/estado/-1/").status_code == 404
    assert client.post(f"/constancias/estado/{number}/").status_code == 405


def test_a_credential_pointing_elsewhere_is_not_trusted(certificate):
    from lms.certificates import signing
    from lms.certificates.credentials import issuer_id

    document = {k: v for k, v in certificate.credential.items() if k != "proof"}
    document["credentialStatus"] = {
        **document["credentialStatus"],
        "statusListCredential": "https://example.org/estado/0/",
    }
    forged = signing.sign(
        document, verification_method=f"{issuer_id()}#clave-1", created="2026-12-03T00:00:00"
    )
    assert api.verify_credential(forged)[0] is False


def test_indexes_are_random_and_unique(db):
    picked = {status_list.free_index() for _ in range(50)}
    assert len(picked) > 45  # random, not sequential
    assert all(0 <= index < status_list.SIZE for index in picked)


def test_encoding_round_trip():
    encoded = status_list.encode([0, 7, 8, status_list.SIZE - 1])
    bits = status_list.decode(encoded)
    assert len(bits) == status_list.SIZE // 8
    assert bits[0] == 0b1000_0001 and bits[1] == 0b1000_0000 and bits[-1] == 0b0000_0001
    assert [i for i in range(status_list.SIZE) if status_list.is_set(bits, i)] == [
        0,
        7,
        8,
        status_list.SIZE - 1,
    ]


class TestARevocationLasts:
    def test_the_sweep_does_not_count_a_revoked_certificate_as_missing(self, certificate):
        api.revoke(certificate=certificate, by=None, reason="Se emitió por error.")
        assert certificate.enrollment_id not in api.missing_certificates()
        mail.outbox.clear()
        assert sweep_missing_certificates() == 0
        assert Certificate.objects.filter(enrollment_id=certificate.enrollment_id).count() == 1
        assert mail.outbox == []

    def test_a_repeated_or_retried_message_does_not_undo_it(self, certificate):
        api.revoke(certificate=certificate, by=None, reason="Se emitió por error.")
        mail.outbox.clear()
        # The same task again (a duplicate message, a retry): it answers the revoked one.
        assert issue_certificate_task.run(certificate.enrollment_id) == certificate.folio
        assert api.issue_certificate(enrollment_id=certificate.enrollment_id) == certificate
        assert list(Certificate.objects.filter(enrollment_id=certificate.enrollment_id)) == [
            certificate
        ]
        assert mail.outbox == []

    def test_only_a_reissue_makes_a_successor(self, certificate):
        api.revoke(certificate=certificate, by=None, reason="Nombre equivocado.")
        certificate.refresh_from_db()
        with pytest.raises(api.CertificateError):  # already revoked: reissue revokes first
            api.reissue(certificate=certificate, by=None, learner_name="M. Peña", reason="x")
        assert Certificate.objects.filter(enrollment_id=certificate.enrollment_id).count() == 1


def test_certificates_from_before_the_lists_get_their_bit(certificate, fetch):
    """The data migration: an older certificate (no bit, no status entry) gets a bit and
    its credential gains the entry, signed again with the same key."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("lms.certificates.migrations.0002_status_index")
    old = {k: v for k, v in certificate.credential.items() if k != "credentialStatus"}
    Certificate.objects.filter(pk=certificate.pk).update(status_index=None, credential=old)

    migration.give_every_certificate_its_bit(apps, None)

    certificate.refresh_from_db()
    assert certificate.status_index is not None
    assert certificate.credential["credentialStatus"] == status_list.entry(certificate)
    assert independent.proof_is_valid(certificate.credential, fetch)
    assert independent.status_bit(certificate.credential, fetch) is False
    assert api.verify_credential(certificate.credential)[0] is True


def test_the_command_line_check_reads_the_list(certificate, tmp_path):
    import json

    from django.core.management import CommandError, call_command

    saved = tmp_path / "constancia.json"
    saved.write_text(json.dumps(certificate.credential), encoding="utf-8")
    call_command("verify_certificate", str(saved))
    api.revoke(certificate=certificate, by=None, reason="Se emitió por error.")
    with pytest.raises(CommandError, match="anulada"):
        call_command("verify_certificate", str(saved))


def test_a_credential_signed_with_one_proof_object_still_verifies(certificate):
    """Constancias issued before 2026-12-03 hold their proof as an object, not a list."""
    from lms.certificates import signing

    (proof,) = certificate.credential["proof"]
    earlier = {**certificate.credential, "proof": proof}
    assert signing.verify(earlier, signing.private_key().public_key())
    assert api.verify_credential(earlier)[0] is True
    tampered = {**earlier, "name": "Otra cosa"}
    assert not signing.verify(tampered, signing.private_key().public_key())


def test_the_cached_list_follows_the_address_and_the_key(certificate, settings):
    """The signed list is cached, but never across a change of what it was signed with."""
    import base64

    from lms.certificates import signing

    number = certificate.status_index // status_list.SIZE
    before = status_list.status_list_credential(number)
    settings.AULA_PUBLIC_URL = "https://otra.example.org"
    moved = status_list.status_list_credential(number)
    assert moved["id"].startswith("https://otra.example.org/constancias/estado/")
    settings.AULA_SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()
    rekeyed = status_list.status_list_credential(number)
    assert signing.verify(rekeyed, signing.private_key().public_key())
    assert rekeyed["proof"] != moved["proof"] != before["proof"]
