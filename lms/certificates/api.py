"""The public Python API of ``certificates``: issue, revoke, re-issue, look up, verify.

Issuing is idempotent and safe to run twice at once: the PDF is rendered and stored
first, under a name no one else uses, and only then is the row inserted; the database
allows one valid certificate per enrollment, so the loser of a race deletes its file and
returns the winner's certificate. A storage error raises (the Celery task retries with
backoff) and leaves no row behind.
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.certificates import folio as folios
from lms.certificates import pdf, signing
from lms.certificates.models import Certificate, IssuerSettings
from lms.enrollment import api as enrollment_api

logger = logging.getLogger(__name__)

__all__ = [
    "Certificate",
    "CertificateError",
    "certificates_for_user",
    "export_personal_data",
    "issue_certificate",
    "issuer_profile",
    "lookup",
    "missing_certificates",
    "on_course_completed",
    "public_url",
    "reissue",
    "revoke",
    "verify_credential",
]


@dataclass
class CertificateError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def public_url(path: str) -> str:
    base = getattr(settings, "AULA_PUBLIC_URL", "") or settings.WAGTAILADMIN_BASE_URL
    return base.rstrip("/") + path


def _issuer_id() -> str:
    return public_url(reverse("certificates:issuer"))


def issuer_profile() -> dict:
    """The issuer as an Open Badges 3.0 Profile, with its Ed25519 public key (Multikey)."""
    issuer = IssuerSettings.load()
    key_id = f"{_issuer_id()}#clave-1"
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": _issuer_id(),
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url or public_url("/"),
        "verificationMethod": [
            {
                "id": key_id,
                "type": "Multikey",
                "controller": _issuer_id(),
                "publicKeyMultibase": signing.public_key_multibase(),
            }
        ],
        "assertionMethod": [key_id],
    }


def _credential(certificate: Certificate) -> dict:
    verify = public_url(reverse("certificates:verify", args=[certificate.folio]))
    achievement = {
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
        "issuer": {"id": _issuer_id(), "type": ["Profile"], "name": certificate.issuer_name},
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


def _learner_name(user) -> str:
    return (getattr(user, "display_name", "") or user.get_full_name() or user.username).strip()


def _unique_folio() -> str:
    while True:
        candidate = folios.new_folio()
        if not Certificate.objects.filter(folio=candidate).exists():
            return candidate


def _render_and_store(certificate: Certificate, issuer: IssuerSettings) -> None:
    logo = None
    if issuer.logo_id:
        with issuer.logo.file.open("rb") as handle:
            logo = handle.read()
    content = pdf.render(
        certificate=certificate,
        verify_url=public_url(reverse("certificates:verify", args=[certificate.folio])),
        signatory=issuer.signatory_name,
        signatory_title=issuer.signatory_title,
        logo=logo,
        page_size=getattr(settings, "AULA_CERTIFICATE_PAGE_SIZE", "letter"),
    )
    # A name of our own (the certificate's UUID): never overwrites another certificate.
    certificate.pdf.save(f"{certificate.uuid}.pdf", ContentFile(content), save=False)


def _build(enrollment, *, learner_name: str, issuer: IssuerSettings) -> Certificate:
    course = enrollment.course
    module = course.module
    certificate = Certificate(
        uuid=uuid_module.uuid4(),
        folio=_unique_folio(),
        enrollment=enrollment,
        user=enrollment.user,
        learner_name=learner_name,
        course_title=course.title,
        course_id=course.pk,
        module_code=module.code if module else "",
        module_name=module.name if module else "",
        hours=course.estimated_hours,
        completed_on=timezone.localdate(enrollment.completed_at),
        issuer_name=issuer.name,
        issued_at=timezone.now().replace(microsecond=0),
    )
    certificate.credential = signing.sign(
        _credential(certificate),
        verification_method=f"{_issuer_id()}#clave-1",
        created=certificate.issued_at.isoformat(timespec="seconds"),
    )
    return certificate


def _valid_for(enrollment_id: int) -> Certificate | None:
    return Certificate.objects.filter(enrollment_id=enrollment_id, revoked_at__isnull=True).first()


def issue_certificate(*, enrollment_id: int, learner_name: str | None = None) -> Certificate | None:
    """Issue the certificate of a completed enrollment, once. Returns it (new or the one
    already issued), or None if the enrollment is not completed."""
    existing = _valid_for(enrollment_id)
    if existing:
        return existing
    enrollment = (
        enrollment_api.Enrollment.objects.select_related("user", "course__module")
        .filter(pk=enrollment_id, completed_at__isnull=False)
        .first()
    )
    if enrollment is None:
        return None
    issuer = IssuerSettings.load()  # once: name in the snapshot, signatory and logo on paper
    certificate = _build(
        enrollment, learner_name=learner_name or _learner_name(enrollment.user), issuer=issuer
    )
    _render_and_store(certificate, issuer)  # raises on a storage outage: the task retries
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError:
        # Someone else issued it meanwhile: keep theirs, drop our file.
        certificate.pdf.delete(save=False)
        return _valid_for(enrollment_id)
    transaction.on_commit(lambda: _notify(certificate))
    return certificate


def _notify(certificate: Certificate) -> None:
    user = certificate.user
    if not user or not user.email:
        return
    with translation.override("es-mx"):
        link = public_url(reverse("certificates:verify", args=[certificate.folio]))
        body = render_to_string(
            "certificates/issued_email.txt",
            {"certificate": certificate, "link": link, "my_courses": public_url("/mis-cursos/")},
        )
        send_mail(
            _("Su constancia de «%(course)s»") % {"course": certificate.course_title},
            body,
            None,
            [user.email],
            fail_silently=True,
        )


@transaction.atomic
def revoke(*, certificate: Certificate, by, reason: str) -> Certificate:
    """Revoke with a reason (required); recorded in Wagtail's audit log."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required", _("Escriba el motivo de la anulación."))
    if certificate.revoked_at:
        raise CertificateError("already_revoked", _("Esta constancia ya estaba anulada."))
    certificate.revoked_at = timezone.now()
    certificate.revoked_reason = reason
    certificate.revoked_by = by
    certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    log(
        instance=certificate,
        action="aula.certificate.revoke",
        user=by,
        data={"folio": certificate.folio, "reason": reason},
    )
    return certificate


def reissue(*, certificate: Certificate, by, learner_name: str, reason: str) -> Certificate:
    """Correct a certificate (e.g. the learner's name): the old one is revoked and points
    to a new one with a new folio."""
    if certificate.enrollment_id is None:
        raise CertificateError(
            "no_enrollment", _("La cuenta de esta persona ya no existe; no se puede reemitir.")
        )
    learner_name = (learner_name or "").strip()
    if not learner_name:
        raise CertificateError("name_required", _("Escriba el nombre como debe aparecer."))
    with transaction.atomic():
        revoke(certificate=certificate, by=by, reason=reason)
        new = issue_certificate(enrollment_id=certificate.enrollment_id, learner_name=learner_name)
        certificate.replaced_by = new
        certificate.save(update_fields=["replaced_by"])
        log(
            instance=new,
            action="aula.certificate.reissue",
            user=by,
            data={"folio": new.folio, "replaces": certificate.folio},
        )
    return new


def lookup(*, folio: str) -> Certificate | None:
    canonical = folios.normalize(folio)
    if canonical is None:
        return None
    return Certificate.objects.select_related("replaced_by").filter(folio=canonical).first()


def verify_credential(document: dict) -> tuple[bool, str]:
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


def on_course_completed(sender, *, enrollment_id: int, **kwargs) -> None:
    """course_completed receiver (sent after commit): queue the certificate."""
    from lms.certificates.tasks import issue_certificate_task

    try:
        issue_certificate_task.delay(enrollment_id)
    except Exception:
        # The learner's completion is already saved: never turn it into an error page
        # (eager mode with a storage fault, a broker that is down). The periodic sweep
        # issues what is missing.
        logger.exception("No se pudo encolar la constancia de la inscripción %s", enrollment_id)


def missing_certificates(*, limit: int = 500) -> list[int]:
    """Completed, active enrollments that have no valid certificate (a lost message, a
    broker outage at completion time)."""
    return list(
        enrollment_api.Enrollment.objects.filter(
            completed_at__isnull=False, withdrawn_at__isnull=True
        )
        .exclude(
            pk__in=Certificate.objects.filter(
                revoked_at__isnull=True, enrollment__isnull=False
            ).values("enrollment_id")
        )
        .order_by("completed_at")
        .values_list("pk", flat=True)[:limit]
    )


def certificates_for_user(*, user) -> dict[int, Certificate]:
    """The learner's valid certificates by enrollment id (one query)."""
    return {
        c.enrollment_id: c for c in Certificate.objects.filter(user=user, revoked_at__isnull=True)
    }


def export_personal_data(user) -> list[dict]:
    return [
        {
            "folio": c.folio,
            "curso": c.course_title,
            "nombre": c.learner_name,
            "concluido_el": c.completed_on.isoformat(),
            "anulada": c.revoked_at is not None,
        }
        for c in Certificate.objects.filter(user=user)
    ]
