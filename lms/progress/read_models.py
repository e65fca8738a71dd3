"""The models of ``progress`` that other apps may read: to query, to annotate types and to
point foreign keys at. Writes go through ``lms.progress.api``, never through these."""

from lms.progress.models import (
    CourseProgress,
    DailyActivity,
    LearningEvent,
    LessonProgress,
    ProgressStatus,
)

__all__ = ["CourseProgress", "DailyActivity", "LearningEvent", "LessonProgress", "ProgressStatus"]
