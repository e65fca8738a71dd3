"""The models of ``assessments`` that other apps may read: to query, to annotate types and to
point foreign keys at. Writes go through ``lms.assessments.api``, never through these."""

from lms.assessments.models import Attempt, EntryCheck

__all__ = ["Attempt", "EntryCheck"]
