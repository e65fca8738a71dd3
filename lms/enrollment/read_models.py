"""The models of ``enrollment`` that other apps may read: to query, to annotate types and to
point foreign keys at. Writes go through ``lms.enrollment.api``, never through these."""

from lms.enrollment.models import BulkImport, Enrollment, Grupo, Membership, Sede

__all__ = ["BulkImport", "Enrollment", "Grupo", "Membership", "Sede"]
