from courses.models.curriculum import (
    CredentialRequirement,
    CredentialRule,
    Eje,
    Framework,
    LearningOutcome,
    Level,
    Module,
    ModuleKind,
)
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
    "AssessmentKind",
    "AssessmentPage",
    "CatalogPage",
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
