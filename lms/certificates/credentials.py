"""The signed credential: the issuer's Open Badges 3.0 profile with its public key, the
credential document a constancia carries (signed with Ed25519, ``signing``), and the check
of a downloaded one against the signature and the register."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.certificates import signing
from lms.certificates.models import Certificate, IssuerSettings
from lms.certificates.selectors import lookup


def public_url(path: str) -> str:
    base = getattr(settings, "AULA_PUBLIC_URL", "") or settings.WAGTAILADMIN_BASE_URL
    return base.rstrip("/") + path


def issuer_id() -> str:
    return public_url(reverse("certificates:issuer"))


def issuer_profile() -> dict[str, Any]:
    """The issuer as an Open Badges 3.0 Profile, with its Ed25519 public key (Multikey)."""
    issuer = IssuerSettings.load()
    key_id = f"{issuer_id()}#clave-1"
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
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


def credential(certificate: Certificate) -> dict[str, Any]:
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
        achievement["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": certificate.module_name,
                "targetCode": certificate.module_code,
                "targetFramework": "MEVyT (INEA)",
                "targetUrl": "https://www.gob.mx/inea",
            }
        ]
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:{certificate.uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"Constancia de conclusión: {certificate.course_title}",
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": certificate.issuer_name},
        "validFrom": certificate.issued_at.isoformat(timespec="seconds"),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": certificate.learner_name,
            "achievement": achievement,
            "result": [{"type": ["Result"], "value": f"{certificate.hours} horas"}],
            "activityEndDate": certificate.completed_on.isoformat(),
        },
        "evidence": [{"id": verify, "type": ["Evidence"], "name": f"Folio {certificate.folio}"}],
    }


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
    if certificate.revoked_at:
        return False, _("La constancia fue anulada el %(date)s.") % {
            "date": timezone.localdate(certificate.revoked_at).isoformat()
        }
    return True, _("Constancia válida, firmada por %(issuer)s.") % {
        "issuer": certificate.issuer_name
    }
