"""Issuing, revoking and re-issuing constancias.

Issuing is idempotent and safe to run twice at once: the PDF is rendered and stored
first, under a name no one else uses, and only then is the row inserted; the database
allows one valid certificate per enrollment, so the loser of a race deletes its file and
returns the winner's certificate. A storage error raises (the Celery task retries with
backoff) and leaves no row behind. A new certificate and a revocation are announced once
the transaction commits (``certificate_issued``, ``certificate_revoked``).
"""

from __future__ import annotations

import logging
import uuid as uuid_module
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

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
from lms.certificates.credentials import credential, issuer_id, public_url
from lms.certificates.models import Certificate, IssuerSettings
from lms.certificates.signals import certificate_issued, certificate_revoked
from lms.enrollment import read_models as enrollment_models

if TYPE_CHECKING:
    from lms.accounts.read_models import User

logger = logging.getLogger(__name__)


@dataclass
@dataclass
class CertificateError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def _learner_name(user: User) -> str:
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


def _build(
    enrollment: enrollment_models.Enrollment, *, learner_name: str, issuer: IssuerSettings
) -> Certificate:
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
        credential(certificate),
        verification_method=f"{issuer_id()}#clave-1",
        created=certificate.issued_at.isoformat(timespec="seconds"),
    )
    return certificate


def _valid_for(enrollment_id: int) -> Certificate | None:
    return Certificate.objects.filter(enrollment_id=enrollment_id, revoked_at__isnull=True).first()


def issue_certificate(*, enrollment_id: int, learner_name: str | None = None) -> Certificate | None:
    """Issue the certificate of a completed enrollment, once. Returns it (new or the one
    already issued), or None if the enrollment is not completed. Only a new one is
    announced (``certificate_issued``), once the transaction commits."""
    certificate, created = _issue(enrollment_id=enrollment_id, learner_name=learner_name)
    if certificate is not None and created:
        _announce_issued(certificate)
    return certificate


def _issue(*, enrollment_id: int, learner_name: str | None) -> tuple[Certificate | None, bool]:
    """The work of ``issue_certificate``, unannounced. Returns the certificate and whether
    this call created it."""
    existing = _valid_for(enrollment_id)
    if existing:
        return existing, False
    enrollment = (
        enrollment_models.Enrollment.objects.select_related("user", "course__module")
        .filter(pk=enrollment_id, completed_at__isnull=False)
        .first()
    )
    if enrollment is None:
        return None, False
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
        return _valid_for(enrollment_id), False
    transaction.on_commit(lambda: _notify(certificate))
    return certificate, True


def _announce_issued(certificate: Certificate, *, replaces_id: int | None = None) -> None:
    transaction.on_commit(
        partial(
            certificate_issued.send_robust,
            sender=Certificate,
            certificate_id=certificate.pk,
            certificate_uuid=str(certificate.uuid),
            folio=certificate.folio,
            user_id=certificate.user_id,
            enrollment_id=certificate.enrollment_id,
            course_id=certificate.course_id,
            issued_at=certificate.issued_at,
            replaces_id=replaces_id,
        )
    )


def _announce_revoked(certificate: Certificate) -> None:
    transaction.on_commit(
        partial(
            certificate_revoked.send_robust,
            sender=Certificate,
            certificate_id=certificate.pk,
            certificate_uuid=str(certificate.uuid),
            folio=certificate.folio,
            user_id=certificate.user_id,
            enrollment_id=certificate.enrollment_id,
            course_id=certificate.course_id,
            revoked_at=certificate.revoked_at,
            reason=certificate.revoked_reason,
            revoked_by_id=certificate.revoked_by_id,
            replaced_by_id=certificate.replaced_by_id,
        )
    )


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
def revoke(*, certificate: Certificate, by: User | None, reason: str) -> Certificate:
    """Revoke with a reason (required); recorded in Wagtail's audit log and announced
    (``certificate_revoked``) once the transaction commits."""
    _revoke(certificate=certificate, by=by, reason=reason)
    _announce_revoked(certificate)
    return certificate


def _revoke(*, certificate: Certificate, by: User | None, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError("reason_required", _("Escriba el motivo de la anulación."))
    now = timezone.now()
    # Only a row still valid in the database: a stale copy of a certificate revoked
    # meanwhile (two coordinators at once) is refused too, so it is revoked (and
    # announced) once.
    revoked = not certificate.revoked_at and (
        Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason, revoked_by=by
        )
    )
    if not revoked:
        raise CertificateError("already_revoked", _("Esta constancia ya estaba anulada."))
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = now, reason, by
    log(
        instance=certificate,
        action="aula.certificate.revoke",
        user=by,
        data={"folio": certificate.folio, "reason": reason},
    )


def reissue(
    *, certificate: Certificate, by: User | None, learner_name: str, reason: str
) -> Certificate:
    """Correct a certificate (e.g. the learner's name): the old one is revoked and points
    to a new one with a new folio. Announced after commit as ``certificate_revoked`` for
    the old one (``replaced_by_id``), then ``certificate_issued`` for the new one
    (``replaces_id``)."""
    if certificate.enrollment_id is None:
        raise CertificateError(
            "no_enrollment", _("La cuenta de esta persona ya no existe; no se puede reemitir.")
        )
    learner_name = (learner_name or "").strip()
    if not learner_name:
        raise CertificateError("name_required", _("Escriba el nombre como debe aparecer."))
    with transaction.atomic():
        _revoke(certificate=certificate, by=by, reason=reason)
        new, created = _issue(enrollment_id=certificate.enrollment_id, learner_name=learner_name)
        if new is None:  # the enrollment is no longer completed: nothing to re-issue
            raise CertificateError(
                "not_completed",
                _("El curso de esta constancia ya no está concluido; no se puede reemitir."),
            )
        certificate.replaced_by = new
        certificate.save(update_fields=["replaced_by"])
        log(
            instance=new,
            action="aula.certificate.reissue",
            user=by,
            data={"folio": new.folio, "replaces": certificate.folio},
        )
        _announce_revoked(certificate)
        if created:
            _announce_issued(new, replaces_id=certificate.pk)
    return new


def on_course_completed(sender: object, *, enrollment_id: int, **kwargs: object) -> None:
    """course_completed receiver (sent after commit): queue the certificate."""
    from lms.certificates.tasks import issue_certificate_task

    try:
        issue_certificate_task.delay(enrollment_id)
    except Exception:
        # The learner's completion is already saved: never turn it into an error page
        # (eager mode with a storage fault, a broker that is down). The periodic sweep
        # issues what is missing.
        logger.exception("No se pudo encolar la constancia de la inscripción %s", enrollment_id)
