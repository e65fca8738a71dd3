from courses.models.curriculum import (
    AlignmentKind,
    CredentialRequirement,
    CredentialRule,
    Eje,
    Framework,
    LearningOutcome,
    Level,
    Module,
    ModuleKind,
)
from courses.models.media import CourseCollection
from courses.models.pages import (
    AssessmentKind,
    AssessmentPage,
    CatalogPage,
    CoursePage,
    CoursePermissionTester,
    HomePage,
    LessonPage,
    UnitPage,
)

__all__ = [
    "AlignmentKind",
    "AssessmentKind",
    "AssessmentPage",
    "CatalogPage",
    "CourseCollection",
    "CoursePage",
    "CoursePermissionTester",
    "CredentialRequirement",
    "CredentialRule",
    "Eje",
    "Framework",
    "HomePage",
    "LearningOutcome",
    "LessonPage",
    "Level",
    "Module",
    "ModuleKind",
    "UnitPage",
]
