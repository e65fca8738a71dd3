"""Reads of ``certificates``: a constancia by its folio, a learner's valid ones, the
completed enrollments still waiting for theirs, and a learner's data export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lms.certificates import folio as folios
from lms.certificates.models import Certificate
from lms.enrollment import read_models as enrollment_models

if TYPE_CHECKING:
    from lms.accounts.read_models import User


def lookup(*, folio: str) -> Certificate | None:
    """The constancia with the folio someone typed (separators, case and O/I/L forgiven):
    one issued today, or one printed with the legacy Luhn check character, found only as
    it is in the register."""
    canonical = folios.normalize(folio) or folios.normalize_legacy(folio)
    if canonical is None:
        return None
    return Certificate.objects.select_related("replaced_by").filter(folio=canonical).first()


def missing_certificates(*, limit: int = 500) -> list[int]:
    """Completed, active enrollments that never had a certificate (a lost message, a
    broker outage at completion time). One that was revoked is not missing: a revocation
    lasts until someone re-issues it."""
    return list(
        enrollment_models.Enrollment.objects.filter(
            completed_at__isnull=False, withdrawn_at__isnull=True
        )
        .exclude(
            pk__in=Certificate.objects.filter(enrollment__isnull=False).values("enrollment_id")
        )
        .order_by("completed_at")
        .values_list("pk", flat=True)[:limit]
    )


def certificates_for_user(*, user: User) -> dict[int, Certificate]:
    """The learner's valid certificates by enrollment id (one query). A valid certificate
    always has its enrollment: only a deleted account's, kept anonymised, loses it."""
    return {
        c.enrollment_id: c
        for c in Certificate.objects.filter(user=user, revoked_at__isnull=True)
        if c.enrollment_id is not None
    }


def export_personal_data(user: User) -> list[dict[str, str | bool]]:
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
