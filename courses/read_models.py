"""The page and curriculum models of ``courses`` that the lms apps may read: to query, to
annotate types and to point foreign keys at. Pages are written by asesores in the Wagtail
admin and by ``courses.api`` (library import, setup), never through these."""

from courses.models import (
    AssessmentPage,
    CatalogPage,
    CoursePage,
    CredentialRule,
    Framework,
    HomePage,
    LessonPage,
    Module,
    UnitPage,
)

__all__ = [
    "AssessmentPage",
    "CatalogPage",
    "CoursePage",
    "CredentialRule",
    "Framework",
    "HomePage",
    "LessonPage",
    "Module",
    "UnitPage",
]
