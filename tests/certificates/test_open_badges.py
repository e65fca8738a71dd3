"""Open Badges 3.0 conformance of the credentials Aula signs, checked against the published
documents (tests/certificates/ob3/, sources in SOURCES.md there) and never the network:

- the 1EdTech JSON Schema of an ``AchievementCredential`` (and its ``Profile`` for the
  issuer), with the ``date-time`` and ``date`` formats asserted;
- the JSON-LD contexts (VC 2.0, Open Badges 3.0.3, CID 1.0): expanded with a document
  loader that serves only those files, every property and value of the credential must
  survive, with a full IRI (an undefined term is silently dropped by JSON-LD processing,
  and so by any verifier or wallet that reads the credential as linked data);
- the recipient's identifiers, recomputed here as the spec describes them;
- the ``eddsa-jcs-2022`` proof, verified without Aula's code (RFC 8785 canonicalisation
  from the ``rfc8785`` package, Ed25519 from ``cryptography``) against the key the issuer
  publishes.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client
from jsonschema import Draft201909Validator, FormatChecker
from pyld import jsonld
from referencing import Registry, Resource

from lms.certificates import api
from lms.certificates.models import Certificate
from tests.certificates import independent
from tests.helpers import complete

OB3 = Path(__file__).parent / "ob3"
SCHEMA_FILE = OB3 / "ob_v3p0_achievementcredential_schema.json"
# The published documents, by the address credentials name them with.
CONTEXTS = {
    "https://www.w3.org/ns/credentials/v2": OB3 / "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": OB3
    / "ob-v3p0-context-3.0.3.json",
    "https://www.w3.org/ns/cid/v1": OB3 / "cid-v1.jsonld",
}
DIGESTS = {
    SCHEMA_FILE: "86a141ff0c1b1a6b4e08460f786a8ffe0f737d8256a86243d134a2e6450efe4d",
    # The digests the VC 2.0 and CID 1.0 Recommendations publish for their contexts.
    CONTEXTS["https://www.w3.org/ns/credentials/v2"]: (
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"
    ),
    CONTEXTS["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]: (
        "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84"
    ),
    CONTEXTS["https://www.w3.org/ns/cid/v1"]: (
        "ea216ecc1cb02cd39b693dba2250141e270ba0bf95890be107dd9a9e8e43de85"
    ),
}
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
LEARNER = "María Peña Núñez"  # conftest's ``certificate``

# --- JSON Schema ------------------------------------------------------------------------

FORMATS = FormatChecker(formats=())
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 ``date-time``, with its offset (Open Badges' DateTimeZ)."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.date.fromisoformat(value))


REGISTRY: Registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))


def _schema_errors(document: dict[str, Any], definition: str | None = None) -> list[str]:
    """What the 1EdTech schema (or one of its ``$defs``) finds wrong with ``document``."""
    schema = SCHEMA if definition is None else {"$ref": f"{SCHEMA['$id']}#/$defs/{definition}"}
    validator = Draft201909Validator(schema, registry=REGISTRY, format_checker=FORMATS)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


# --- JSON-LD ----------------------------------------------------------------------------


def _offline_loader(url: str, options: object = None) -> dict[str, Any]:
    """Serves the stored contexts, and nothing else."""
    if url not in CONTEXTS:
        raise AssertionError(f"the JSON-LD processor asked for {url}, which is not stored")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(CONTEXTS[url].read_text(encoding="utf-8")),
    }


def _leaves(value: Any) -> int:
    """How many scalar values a JSON document holds, its ``@context`` aside."""
    if isinstance(value, dict):
        return sum(_leaves(item) for key, item in value.items() if key != "@context")
    if isinstance(value, list):
        return sum(_leaves(item) for item in value)
    return 1


def _expanded_leaves(value: Any, problems: list[str]) -> int:
    """The same count over an expanded document: a value object is one value, a node's
    ``@id`` one, each of its ``@type``s one. Notes any property or type that is not a full
    IRI (an undefined type term is kept as a relative IRI, not dropped)."""
    if isinstance(value, list):
        return sum(_expanded_leaves(item, problems) for item in value)
    if not isinstance(value, dict):
        return 1
    if "@value" in value:
        return 1
    count = 0
    for key, item in value.items():
        if key == "@id":
            if ":" not in item:
                problems.append(f"id {item!r} is not a full IRI")
            count += 1
        elif key == "@type":
            types = item if isinstance(item, list) else [item]
            problems += [f"type {t!r} is not a full IRI" for t in types if "://" not in t]
            count += len(types)
        else:
            # Keywords (``@graph`` of a proof, ``@list``) hold nodes or values.
            if not key.startswith(("http://", "https://", "@")):
                problems.append(f"property {key!r} is not a full IRI")
            count += _expanded_leaves(item, problems)
    return count


def _expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The document expanded offline; fails on any property JSON-LD drops, and on any
    value, property or type that did not come through whole."""
    dropped: list[str | None] = []
    expanded = jsonld.expand(
        copy.deepcopy(document),
        # No base: a relative IRI stays relative, and is reported.
        {"documentLoader": _offline_loader, "base": None},
        on_property_dropped=dropped.append,
    )
    assert dropped == [], f"JSON-LD dropped {dropped}: no context defines them"
    problems: list[str] = []
    assert _expanded_leaves(expanded, problems) == _leaves(document), "values were lost"
    assert problems == []
    return expanded


def _values(node: dict[str, Any], iri: str) -> list[Any]:
    return [item.get("@value", item.get("@id")) for item in node.get(iri, [])]


OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
CRED = "https://www.w3.org/2018/credentials#"
SEC = "https://w3id.org/security#"
SCHEMA_ORG_NAME = "https://schema.org/name"


# --- an independent eddsa-jcs-2022 verifier -----------------------------------------------

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58btc(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + _BASE58.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _verify_eddsa_jcs_2022(signed: dict[str, Any], controller: dict[str, Any]) -> bool:
    """W3C Data Integrity EdDSA Cryptosuites v1.0, ``eddsa-jcs-2022``: the proof options
    (the proof without ``proofValue``, with the document's ``@context``) and the document
    without its proof are canonicalised with JCS and hashed with SHA-256; the signature is
    over the two hashes, options first. The key is the Multikey the controller document
    lists under ``assertionMethod``."""
    document = copy.deepcopy(signed)
    (proof,) = document.pop("proof")  # Open Badges 3.0: a list of proofs; Aula signs one
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    options["@context"] = document["@context"]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    method = proof["verificationMethod"]
    assert method in controller["assertionMethod"]
    (key,) = [m for m in controller["verificationMethod"] if m["id"] == method]
    assert key["type"] == "Multikey" and key["controller"] == controller["id"]
    assert key["publicKeyMultibase"].startswith("z") and proof["proofValue"].startswith("z")
    raw = _base58btc(key["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01" and len(raw) == 34  # multicodec ed25519-pub
    data = (
        hashlib.sha256(rfc8785.dumps(options)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )
    try:
        Ed25519PublicKey.from_public_bytes(raw[2:]).verify(
            _base58btc(proof["proofValue"][1:]), data
        )
    except InvalidSignature:
        return False
    return True


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET a URL of this site as a stranger would (for ``independent``)."""
    response = Client().get(urlsplit(url).path)
    return response.status_code, dict(response.headers), response.content


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def certificate_without_module(enrolled, course, django_capture_on_commit_callbacks):
    """The constancia of a course that prepares for no MEVyT module."""
    type(course).objects.filter(pk=course.pk).update(module=None)
    enrolled.display_name = LEARNER
    enrolled.save()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(enrolled, course)
    return Certificate.objects.get(enrollment=enrollment)


@pytest.fixture
def sede_certificate(enrolled, course, sedes, django_capture_on_commit_callbacks):
    """A constancia issued in the name of the learner's sede (its own issuer profile)."""
    sede, _coordinator, grupo = sedes["norte"]
    sede.certificate_name = "Plaza Comunitaria Norte"  # it issues under its own name
    sede.save()
    grupo.learners.add(enrolled)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(enrolled, course)
    certificate = Certificate.objects.get(enrollment=enrollment)
    assert certificate.sede_id == sede.pk
    return certificate


# --- the tests --------------------------------------------------------------------------


def test_the_stored_documents_are_the_published_ones():
    for path, digest in DIGESTS.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path.name
    Draft201909Validator.check_schema(SCHEMA)
    # The Bitstring Status List terms are in the VC 2.0 context itself.
    terms = json.loads(CONTEXTS["https://www.w3.org/ns/credentials/v2"].read_bytes())
    assert {"BitstringStatusListEntry", "BitstringStatusListCredential"} <= set(terms["@context"])


class TestSchema:
    def test_an_issued_credential_conforms(self, certificate):
        credential = certificate.credential
        assert credential["credentialSubject"]["achievement"]["alignment"]  # has a module
        assert _schema_errors(credential) == []

    def test_without_a_module(self, certificate_without_module):
        credential = certificate_without_module.credential
        assert "alignment" not in credential["credentialSubject"]["achievement"]
        assert _schema_errors(credential) == []

    def test_with_its_status_entry_and_after_revocation(self, certificate, coordinador):
        assert certificate.status_index is not None
        status = certificate.credential["credentialStatus"]
        assert status["type"] == "BitstringStatusListEntry"
        assert status["statusPurpose"] == "revocation"
        api.revoke(certificate=certificate, by=coordinador, reason="Datos equivocados")
        certificate.refresh_from_db()
        assert certificate.revoked_at is not None
        assert _schema_errors(certificate.credential) == []
        assert api.verify_credential(certificate.credential)[0] is False

    def test_every_required_field(self, certificate):
        credential = certificate.credential
        assert set(SCHEMA["required"]) <= set(credential)
        assert credential["name"]  # what wallets list it by
        subject = credential["credentialSubject"]
        # "Either id or at least one identifier MUST be supplied" (not in the schema).
        assert "id" in subject or subject["identifier"]
        achievement = subject["achievement"]
        assert set(SCHEMA["$defs"]["Achievement"]["required"]) <= set(achievement)
        assert achievement["criteria"]["narrative"]
        assert achievement["achievementType"] == "Course"
        (alignment,) = achievement["alignment"]
        assert set(SCHEMA["$defs"]["Alignment"]["required"]) <= set(alignment)
        assert alignment["targetFramework"] == "MEVyT (INEA)"
        assert alignment["targetName"] == certificate.module_name
        assert alignment["targetCode"] == certificate.module_code
        assert credential["issuer"] == {
            "id": api.issuer_profile()["id"],
            "type": ["Profile"],
            "name": certificate.issuer_name,
        }
        assert credential["validFrom"] == certificate.issued_at.isoformat(timespec="seconds")
        # A DateTime, whose date is the one printed.
        assert subject["activityEndDate"][:10] == certificate.completed_on.isoformat()

    def test_what_the_schema_refuses_is_refused(self, certificate):
        """The check itself works: a few ways of getting it wrong."""
        credential = copy.deepcopy(certificate.credential)
        del credential["validFrom"]
        assert _schema_errors(credential)
        credential = copy.deepcopy(certificate.credential)
        credential["credentialSubject"]["identifier"][0]["identityType"] = "nombre"
        assert _schema_errors(credential)
        credential = copy.deepcopy(certificate.credential)
        credential["credentialSubject"]["activityEndDate"] = "2026-12-03"
        assert _schema_errors(credential) == [
            "credentialSubject/activityEndDate: '2026-12-03' is not a 'date-time'"
        ]

    def test_the_issuer_profiles_conform(self, client, sede_certificate):
        profile = client.get("/.well-known/aula-issuer.json").json()
        assert profile == api.issuer_profile()
        assert _schema_errors(profile, "Profile") == []
        sede_profile = api.sede_issuer_profile(sede_certificate.sede_id)
        assert _schema_errors(sede_profile, "Profile") == []
        assert _schema_errors(sede_certificate.credential) == []

    def test_the_proof_is_a_list(self, certificate):
        assert isinstance(certificate.credential["proof"], list)
        assert _schema_errors(certificate.credential) == []


class TestLinkedData:
    def test_nothing_is_dropped_from_a_credential(self, certificate):
        (expanded,) = _expand(certificate.credential)
        assert CRED + "credentialStatus" in expanded
        assert SEC + "proof" in expanded

    def test_nor_without_a_module(self, certificate_without_module):
        _expand(certificate_without_module.credential)

    def test_nor_from_the_issuer_profiles_and_the_status_list(self, client, sede_certificate):
        (profile,) = _expand(client.get("/.well-known/aula-issuer.json").json())
        (method,) = profile[SEC + "verificationMethod"]
        assert method["@type"] == [SEC + "Multikey"]
        _expand(api.sede_issuer_profile(sede_certificate.sede_id))
        _expand(sede_certificate.credential)
        status_list_url = sede_certificate.credential["credentialStatus"]["statusListCredential"]
        _expand(client.get(status_list_url).json())

    def test_an_undefined_term_is_caught(self, certificate):
        """The check itself works: a term no context defines is dropped, and reported."""
        credential = copy.deepcopy(certificate.credential)
        credential["credentialSubject"]["nombre"] = LEARNER
        with pytest.raises(AssertionError, match="nombre"):
            _expand(credential)
        credential = copy.deepcopy(certificate.credential)
        credential["credentialSubject"]["type"].append("Educando")
        with pytest.raises(AssertionError, match="Educando"):
            _expand(credential)

    def test_no_other_document_is_fetched(self, certificate):
        credential = copy.deepcopy(certificate.credential)
        credential["@context"].append("https://example.org/contexto.json")
        with pytest.raises(jsonld.JsonLdError):
            jsonld.expand(credential, {"documentLoader": _offline_loader})


class TestRecipient:
    def _identifiers(self, credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
        identifiers = credential["credentialSubject"]["identifier"]
        return {identifier["identityType"]: identifier for identifier in identifiers}

    def test_the_account_is_hashed_with_a_salt(self, certificate):
        account = self._identifiers(certificate.credential)["userName"]
        assert account["type"] == "IdentityObject"
        assert account["hashed"] is True
        salt = account["salt"]
        assert len(salt) >= 16
        # IdentityHash: "sha256$" and the hex SHA-256 of the identifier followed by the salt.
        expected = hashlib.sha256((certificate.user.username + salt).encode("utf-8")).hexdigest()
        assert account["identityHash"] == f"sha256${expected}"
        assert certificate.user.username not in json.dumps(certificate.credential)

    def test_each_credential_has_its_own_salt(self, certificate, coordinador):
        new = api.reissue(
            certificate=certificate,
            by=coordinador,
            learner_name="María Peña Núñez de Ortiz",
            reason="Faltaba un apellido",
        )
        old_account = self._identifiers(certificate.credential)["userName"]
        new_account = self._identifiers(new.credential)["userName"]
        assert old_account["salt"] != new_account["salt"]
        assert old_account["identityHash"] != new_account["identityHash"]
        assert self._identifiers(new.credential)["name"]["identityHash"] == (
            "María Peña Núñez de Ortiz"
        )

    def test_the_name_is_where_wallets_read_it(self, certificate):
        subject = certificate.credential["credentialSubject"]
        assert subject["name"] == LEARNER
        name = self._identifiers(certificate.credential)["name"]
        assert name == {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": LEARNER,
        }
        # And so it reads as linked data: schema.org ``name`` of the subject, and the
        # IdentityObject's ``identityHash``.
        (expanded,) = _expand(certificate.credential)
        (node,) = expanded[CRED + "credentialSubject"]
        assert _values(node, SCHEMA_ORG_NAME) == [LEARNER]
        by_type = {_values(item, OB + "identityType")[0]: item for item in node[OB + "identifier"]}
        assert _values(by_type["name"], OB + "identityHash") == [LEARNER]
        assert _values(by_type["name"], OB + "hashed") == [False]

    def test_the_stored_credential_is_the_one_served(self, client, certificate):
        """The salt is drawn once: downloading the credential never rebuilds it."""
        client.force_login(certificate.user)
        url = f"/mis-cursos/constancias/{certificate.uuid}/credencial/"
        assert json.loads(client.get(url).content) == certificate.credential
        assert json.loads(client.get(url).content) == certificate.credential


class TestProof:
    def test_verified_without_aulas_code(self, client, certificate):
        profile = client.get("/.well-known/aula-issuer.json").json()
        credential = certificate.credential
        assert credential["issuer"]["id"] == profile["id"]
        assert _verify_eddsa_jcs_2022(credential, profile)
        # And by the project's third-party verifier, which finds the key by its URL.
        assert independent.proof_is_valid(credential, _fetch)
        tampered = copy.deepcopy(credential)
        tampered["credentialSubject"]["name"] = "Otra Persona"
        assert not _verify_eddsa_jcs_2022(tampered, profile)

    def test_a_sede_credential_verifies_against_the_sede_profile(self, client, sede_certificate):
        credential = sede_certificate.credential
        profile = client.get(urlsplit(credential["issuer"]["id"]).path).json()
        assert profile == api.sede_issuer_profile(sede_certificate.sede_id)
        assert credential["issuer"]["id"] == profile["id"]
        assert _verify_eddsa_jcs_2022(credential, profile)
        assert independent.proof_is_valid(credential, _fetch)
