"""Reading the uploads in a person's scope, and the nightly clean-up of what is no longer
needed (uploads nobody applied, sheets of codes that expired)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from lms.accounts import api as accounts_api
from lms.enrollment import selectors
from lms.enrollment.bulk.background import STALLED_AFTER
from lms.enrollment.models import BulkImport


def imports_in_scope(*, user):
    """The uploads of the grupos of ``user``'s sedes, newest first."""
    return BulkImport.objects.filter(
        grupo__sede__in=selectors.sedes_in_scope(user=user)
    ).select_related("grupo__sede", "uploaded_by")


def earlier_application(bulk_import: BulkImport) -> BulkImport | None:
    """An applied upload of the very same file into the same grupo, if any."""
    return (
        BulkImport.objects.filter(
            grupo_id=bulk_import.grupo_id, sha256=bulk_import.sha256, applied_at__isnull=False
        )
        .exclude(pk=bulk_import.pk)
        .order_by("-applied_at")
        .first()
    )


def cleanup(*, now=None) -> dict[str, int]:
    """Delete uploads not applied within a day (their rows are personal data), except one
    being applied right now, and the sheets of access codes whose codes have expired (the
    file, and the field)."""
    now = now or timezone.now()
    stale, _per_model = (
        BulkImport.objects.filter(applied_at__isnull=True, created_at__lt=now - timedelta(days=1))
        .exclude(
            status__in=[BulkImport.Status.QUEUED, BulkImport.Status.APPLYING],
            status_at__gte=now - STALLED_AFTER,
        )
        .delete()
    )
    sheets = 0
    expired = BulkImport.objects.filter(
        ~Q(code_sheet=""),
        applied_at__lt=now - timedelta(days=accounts_api.reset_code_days()),
    )
    for bulk_import in expired:
        bulk_import.code_sheet.delete(save=False)
        BulkImport.objects.filter(pk=bulk_import.pk).update(code_sheet="")
        sheets += 1
    return {"unapplied_deleted": stale, "code_sheets_deleted": sheets}
