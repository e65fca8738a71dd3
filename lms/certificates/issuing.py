"""Issuing, revoking and re-issuing constancias.

Issuing is idempotent and safe to run twice at once: the PDF is rendered and stored
first, under a name no one else uses, and only then is the row inserted; the database
allows one valid certificate per enrollment, so the loser of a race deletes its file and
returns the winner's certificate. A storage error or a lost database connection raises
(the Celery task retries with backoff) and leaves no row and, best effort, no file behind
(``cleanup`` deletes what a crash leaves). A revocation lasts: automatic issuing (the task,
its retries, the sweep) never issues again for an enrollment whose certificate was
revoked; only ``reissue`` does. A new certificate and a revocation are announced once the
transaction commits (``certificate_issued``, ``certificate_revoked``).
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
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from lms.certificates import folio as folios
from lms.certificates import pdf, signing, status_list
from lms.certificates.credentials import credential, issuer_id, public_url
from lms.certificates.models import Certificate, IssuerSettings
from lms.certificates.signals import certificate_issued, certificate_revoked
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models

if TYPE_CHECKING:
    from wagtail.images.models import AbstractImage

    from lms.accounts.read_models import User
    from lms.enrollment.read_models import Sede

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


@dataclass(frozen=True)
class Branding:
    """Who appears on a constancia: the learner's sede once it has set the name it issues
    under (and then its logo, signer and signature where set; Sedes in the admin), the
    organisation for the rest."""

    sede: Sede | None
    name: str
    logo: AbstractImage | None
    signatory: str
    signatory_title: str
    signature: AbstractImage | None


def branding_for(*, user_id: int | None, issuer: IssuerSettings) -> Branding:
    sede = enrollment_api.sede_of_learner(user_id=user_id) if user_id else None
    # A sede issues under its own name only once it has written that name (Sedes in the
    # admin); until then the organisation issues, with all its own details.
    if sede is None or not sede.certificate_name:
        return Branding(
            None,
            issuer.name,
            issuer.logo,
            issuer.signatory_name,
            issuer.signatory_title,
            issuer.signature,
        )
    own_signer = bool(sede.signatory_name)
    return Branding(
        sede=sede,
        name=sede.certificate_name,
        logo=sede.certificate_logo or issuer.logo,
        signatory=sede.signatory_name if own_signer else issuer.signatory_name,
        signatory_title=sede.signatory_title if own_signer else issuer.signatory_title,
        # A signature belongs to its signer: never another person's under this name.
        signature=sede.signature if own_signer else issuer.signature,
    )


def _image_bytes(image: AbstractImage | None) -> bytes | None:
    if image is None:
        return None
    try:
        with image.file.open("rb") as handle:
            content: bytes = handle.read()
    except FileNotFoundError:
        # A logo whose file is gone must not hold up a certificate: it prints without it.
        logger.warning("Falta el archivo de la imagen %s de las constancias", image.pk)
        return None
    return content


def _render_and_store(certificate: Certificate, branding: Branding) -> None:
    content = pdf.render(
        certificate=certificate,
        verify_url=public_url(reverse("certificates:verify", args=[certificate.folio])),
        issuer_name=branding.name,
        signatory=branding.signatory,
        signatory_title=branding.signatory_title,
        logo=_image_bytes(branding.logo),
        signature=_image_bytes(branding.signature),
        page_size=getattr(settings, "AULA_CERTIFICATE_PAGE_SIZE", "letter"),
    )
    # A name of our own (the certificate's UUID): never overwrites another certificate.
    certificate.pdf.save(f"{certificate.uuid}.pdf", ContentFile(content), save=False)


def _build(
    enrollment: enrollment_models.Enrollment, *, learner_name: str, branding: Branding
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
        # A module always has a kind (``CoursePage.clean``); a row that somehow has none
        # is printed with the weakest claim, never as corresponding.
        alignment=(course.alignment or "relacionado") if module else "",
        alignment_note=course.alignment_note if module else "",
        hours=course.estimated_hours,
        completed_on=timezone.localdate(enrollment.completed_at),
        sede=branding.sede,
        issuer_name=branding.name,
        issued_at=timezone.now().replace(microsecond=0),
        status_index=status_list.free_index(),
    )
    certificate.credential = signing.sign(
        credential(certificate),
        verification_method=f"{issuer_id(certificate.sede_id)}#clave-1",
        created=certificate.issued_at.isoformat(timespec="seconds"),
    )
    return certificate


class _RevokedMeanwhile(Exception):
    def __init__(self, certificate: Certificate) -> None:
        self.certificate = certificate


def _lock_enrollment(enrollment_id: int | None) -> None:
    """Serialise issuing and revoking for one enrollment (a row lock on PostgreSQL)."""
    if enrollment_id is not None:
        list(
            enrollment_models.Enrollment.objects.select_for_update()
            .filter(pk=enrollment_id)
            .values_list("pk", flat=True)
        )


def _valid_for(enrollment_id: int) -> Certificate | None:
    return Certificate.objects.filter(enrollment_id=enrollment_id, revoked_at__isnull=True).first()


def issue_certificate(*, enrollment_id: int, learner_name: str | None = None) -> Certificate | None:
    """Issue the certificate of a completed enrollment, once. Returns it (new or the one
    already issued), or None if the enrollment is not completed. Only a new one is
    announced (``certificate_issued``), once the transaction commits.

    A revocation lasts: when the enrollment's certificate was revoked, this returns the
    revoked one and issues nothing (the sweep, a retried or repeated message never undo a
    revocation); only ``reissue`` makes a successor."""
    certificate, created = _issue(enrollment_id=enrollment_id, learner_name=learner_name)
    if certificate is not None and created:
        _announce_issued(certificate)
    return certificate


def _revoked_for(enrollment_id: int) -> Certificate | None:
    """The enrollment's last revoked certificate, if it has one."""
    return (
        Certificate.objects.filter(enrollment_id=enrollment_id, revoked_at__isnull=False)
        .order_by("-revoked_at", "-pk")
        .first()
    )


def _current_for(enrollment_id: int) -> Certificate | None:
    """The enrollment's valid certificate, or else its last revoked one, or None: what
    ``_valid_for`` and then ``_revoked_for`` answer, in one query."""
    return (
        Certificate.objects.filter(enrollment_id=enrollment_id)
        .order_by(F("revoked_at").desc(nulls_first=True), "-pk")
        .first()
    )


def _issue(
    *, enrollment_id: int, learner_name: str | None, successor: bool = False
) -> tuple[Certificate | None, bool]:
    """The work of ``issue_certificate``, unannounced. Returns the certificate and whether
    this call created it. Only a re-issue (``successor``) issues after a revocation."""
    current = _current_for(enrollment_id)
    if current is not None and (current.revoked_at is None or not successor):
        return current, False  # the valid one, or (not for a re-issue) the revoked one
    enrollment = (
        enrollment_models.Enrollment.objects.select_related("user", "course__module")
        .filter(pk=enrollment_id, completed_at__isnull=False)
        .first()
    )
    if enrollment is None:
        return None, False
    # Once: the name goes into the snapshot and the credential, signer and logo on paper.
    branding = branding_for(user_id=enrollment.user_id, issuer=IssuerSettings.load())
    certificate = _build(
        enrollment, learner_name=learner_name or _learner_name(enrollment.user), branding=branding
    )
    _render_and_store(certificate, branding)  # raises on a storage outage: the task retries
    inserted = False  # once True, a failure is the commit's: the row may exist after all
    try:
        with transaction.atomic():
            # A revocation that committed while the PDF was being rendered still counts:
            # revoking locks the enrollment too, so this sees it (PostgreSQL).
            _lock_enrollment(enrollment_id)
            if not successor and (revoked := _revoked_for(enrollment_id)):
                raise _RevokedMeanwhile(revoked)
            certificate.save()
            inserted = True
    except _RevokedMeanwhile as meanwhile:
        certificate.pdf.delete(save=False)
        return meanwhile.certificate, False
    except IntegrityError:
        # Someone else issued it meanwhile: keep theirs, drop our file. With no valid one
        # afterwards our random folio or status index clashed: raise, the task retries.
        certificate.pdf.delete(save=False)
        if (winner := _valid_for(enrollment_id)) is None:
            raise
        return winner, False
    except Exception:
        # The database failed (a lost connection: the task retries), or anything else.
        # Before the INSERT no row exists: drop our file, best effort. If only the commit
        # failed the row may exist: keep the file (cleanup.py deletes it if no row names it).
        if inserted:
            name = certificate.pdf.name
            logger.warning("Constancia %s sin confirmar; su PDF: %s", certificate.folio, name)
        else:
            try:
                certificate.pdf.delete(save=False)
            except Exception:
                logger.exception("No se pudo borrar %s, PDF sin registro", certificate.pdf.name)
        raise
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
    _lock_enrollment(certificate.enrollment_id)
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
        new, created = _issue(
            enrollment_id=certificate.enrollment_id, learner_name=learner_name, successor=True
        )
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
