"""The models of ``accounts`` that other apps may read: to query, to annotate types and to
point foreign keys at. Writes go through ``lms.accounts.api``, never through these."""

from lms.accounts.models import AccessRecord, ResetCode, User

__all__ = ["AccessRecord", "ResetCode", "User"]
