"""The signed credential: the issuer's Open Badges 3.0 profile with its public key, the
credential document a constancia carries (signed with Ed25519, ``signing``), and the check
of a downloaded one against the signature and the register."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.certificates import signing, status_list
from lms.certificates.models import Certificate, IssuerSettings
from lms.certificates.selectors import lookup
from lms.enrollment.read_models import Sede


def public_url(path: str) -> str:
    base = getattr(settings, "AULA_PUBLIC_URL", "") or settings.WAGTAILADMIN_BASE_URL
    return base.rstrip("/") + path


def issuer_id(sede_id: int | None = None) -> str:
    """The issuer of a credential: the organisation, or the sede that branded it (its own
    profile, with the same key, naming the organisation as ``parentOrg``)."""
    if sede_id is not None:
        return public_url(reverse("certificates:sede_issuer", args=[sede_id]))
    return public_url(reverse("certificates:issuer"))


def issuer_profile() -> dict[str, Any]:
    """The issuer as an Open Badges 3.0 Profile, with its Ed25519 public key (Multikey).

    It is also the controlled identifier document (W3C CID 1.0) that an ``eddsa-jcs-2022``
    verifier reads the key from: the CID context defines ``verificationMethod``,
    ``assertionMethod``, ``Multikey``, ``controller`` and ``publicKeyMultibase``, which the
    VC and Open Badges contexts do not (without it JSON-LD processing drops the key)."""
    issuer = IssuerSettings.load()
    key_id = f"{issuer_id()}#clave-1"
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://www.w3.org/ns/cid/v1",
        ],
        "id": issuer_id(),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url or public_url("/"),
        "verificationMethod": [
            {
                "id": key_id,
                "type": "Multikey",
                "controller": issuer_id(),
                "publicKeyMultibase": signing.public_key_multibase(),
            }
        ],
        "assertionMethod": [key_id],
    }


def _identity_hash(value: str, salt: str) -> str:
    """An Open Badges 3.0 ``IdentityHash``: ``sha256$`` and the hexadecimal SHA-256 of the
    identifier with the salt appended, both UTF-8 (the spec's example: the hash of
    ``"a@example.comKosher"`` for ``a@example.com`` salted with ``Kosher``)."""
    return "sha256$" + hashlib.sha256((value + salt).encode("utf-8")).hexdigest()


def _recipient_identifiers(certificate: Certificate) -> list[dict[str, Any]]:
    """Who the constancia is about, as Open Badges 3.0 ``IdentityObject``s (the
    ``credentialSubject`` has no ``id``: "either id or at least one identifier MUST be
    supplied"):

    - the name as printed, in plain text (``identityType`` ``name``, ``hashed`` false): it
      is on the constancia and on its public verification page, and it is where the Open
      Badges implementation guide has displayers read a recipient's name;
    - the learner's Aula account (``userName``), hashed with a salt of its own, so the
      learner can show a verifier that the constancia is theirs while the credential
      discloses no account. The salt is drawn here, once: it is part of what is signed."""
    identifiers: list[dict[str, Any]] = [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": certificate.learner_name,
        }
    ]
    if certificate.user is not None:
        salt = secrets.token_hex(16)
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "userName",
                "hashed": True,
                "identityHash": _identity_hash(certificate.user.username, salt),
                "salt": salt,
            }
        )
    return identifiers


def _completed_at(certificate: Certificate) -> str | None:
    """``activityEndDate`` is a DateTime in Open Badges 3.0: the moment the enrollment was
    completed, in local time (so its date is the one printed), to the second."""
    enrollment = certificate.enrollment
    if enrollment is None or enrollment.completed_at is None:
        return None
    return timezone.localtime(enrollment.completed_at).isoformat(timespec="seconds")


def credential(certificate: Certificate) -> dict[str, Any]:
    """The Open Badges 3.0 ``OpenBadgeCredential`` (a W3C VC 2.0) of a new certificate, to
    be signed once and stored: a certificate already issued keeps the one it was signed
    with. Conforms to the 1EdTech JSON Schema and uses only terms the VC 2.0 and Open
    Badges 3.0.3 contexts define (tests/certificates/test_open_badges.py checks both)."""
    verify = public_url(reverse("certificates:verify", args=[certificate.folio]))
    achievement: dict[str, Any] = {
        "id": public_url(f"/cursos/#curso-{certificate.course_id}"),
        "type": ["Achievement"],
        "name": certificate.course_title,
        "description": "Constancia de conclusión de un curso de Aula (no es un certificado "
        "oficial de la SEP ni del INEA).",
        "criteria": {
            "narrative": "Terminar las lecciones obligatorias y aprobar el examen final del curso."
        },
        "achievementType": "Course",
        "humanCode": certificate.module_code or certificate.course_title,
    }
    if certificate.module_name:
        # The MEVyT module the course prepares for (Alignment: targetName and targetUrl
        # are required; no AlignmentTargetType fits a MEVyT module, so targetType is left out).
        alignment = {
            "type": ["Alignment"],
            "targetName": certificate.module_name,
            "targetFramework": "MEVyT (INEA)",
            "targetUrl": "https://www.gob.mx/inea",
        }
        if certificate.module_code:
            alignment["targetCode"] = certificate.module_code
        # How the course aligns: "Corresponde al módulo…", "Se alinea con parte del
        # módulo…: <which part>." or "Se relaciona con el módulo…", and "No sustituye el
        # examen del INEA." Said in the description too, which wallets show.
        alignment["targetDescription"] = certificate.alignment_statement
        achievement["alignment"] = [alignment]
        achievement["description"] += " " + certificate.alignment_statement
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        # The name twice: ``name`` (schema.org name, a VC 2.0 term) is what most wallets
        # show; the ``identifier`` of type ``name`` is where Open Badges puts it.
        "name": certificate.learner_name,
        "identifier": _recipient_identifiers(certificate),
        "achievement": achievement,
        "result": [{"type": ["Result"], "value": f"Tiempo de estudio: {certificate.hours_text}"}],
    }
    if (completed_at := _completed_at(certificate)) is not None:
        subject["activityEndDate"] = completed_at
    document: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{certificate.uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Constancia de conclusión: {certificate.course_title}",
        # The sede that issues it under its own name, or the organisation: the controller
        # of the key the proof names (``issuing``).
        "issuer": {
            "id": issuer_id(certificate.sede_id),
            "type": ["Profile"],
            "name": certificate.issuer_name,
        },
        "validFrom": certificate.issued_at.isoformat(timespec="seconds"),
        "credentialSubject": subject,
        "evidence": [{"id": verify, "type": ["Evidence"], "name": f"Folio {certificate.folio}"}],
    }
    if certificate.status_index is not None:
        document["credentialStatus"] = status_list.entry(certificate)
    return document


def _listed_as_revoked(document: dict[str, Any]) -> bool:
    """What Aula's published revocation list says of the credential's ``credentialStatus``
    entry (read as any verifier would: the signed list, decoded, its bit). An entry that
    points to a list that is not this issuer's is refused as revoked: it cannot be checked."""

    entry = document.get("credentialStatus")
    if entry is None:
        return False  # issued before lists existed and not migrated: the register decides
    try:
        url = entry["statusListCredential"]
        position = int(entry["statusListIndex"])
        number = status_list.number_of(url)
        if number is None or not 0 <= position < status_list.SIZE:
            return True
        listed = status_list.status_list_credential(number)
        valid_list = signing.verify(listed, signing.private_key().public_key())
        bits = status_list.decode(listed["credentialSubject"]["encodedList"])
        return not valid_list or status_list.is_set(bits, position)
    except (KeyError, TypeError, ValueError):
        return True


def verify_credential(document: dict[str, Any]) -> tuple[bool, str]:
    """Check a downloaded credential: signature by this issuer's key, and not revoked.
    Returns (valid, reason in Spanish)."""
    public = signing.private_key().public_key()
    if not signing.verify(document, public):
        return False, _("La firma no es válida: el documento fue alterado o no es de este emisor.")
    evidence = (document.get("evidence") or [{}])[0].get("name", "")
    certificate = lookup(folio=evidence.removeprefix("Folio ").strip())
    if certificate is None or f"urn:uuid:{certificate.uuid}" != document.get("id"):
        return False, _("La firma es válida, pero el folio no está en el registro.")
    if certificate.revoked_at or _listed_as_revoked(document):
        return False, _("La constancia fue anulada el %(date)s.") % {
            "date": timezone.localdate(certificate.revoked_at or timezone.now()).isoformat()
        }
    return True, _("Constancia válida, firmada por %(issuer)s.") % {
        "issuer": certificate.issuer_name
    }


def sede_issuer_profile(sede_id: int) -> dict[str, Any] | None:
    """The Profile of a sede that issues constancias under its own name: the
    organisation's profile with the sede's id, name and key id (the same key), and the
    organisation as ``parentOrg``. None for a sede that does not exist."""
    sede = Sede.objects.filter(pk=sede_id).first()
    if sede is None:
        return None
    organisation = issuer_profile()
    own = issuer_id(sede.pk)
    key = {**organisation["verificationMethod"][0], "id": f"{own}#clave-1", "controller": own}
    return {
        **organisation,
        "id": own,
        "name": sede.certificate_name or sede.name,
        "verificationMethod": [key],
        "assertionMethod": [key["id"]],
        "parentOrg": {
            "id": organisation["id"],
            "type": ["Profile"],
            "name": organisation["name"],
        },
    }
