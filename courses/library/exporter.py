"""The course library exporter: a course page → a library folder in the canonical form of
the format, so importing a canonical folder and exporting it again gives identical files."""

from __future__ import annotations

import shutil
from pathlib import Path

from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from content.api import FORMAT_VERSION, MediaResolver, block_to_file, export_media, write_yaml
from courses.library.streams import _current_raw
from courses.models import AssessmentPage, CoursePage, LessonPage, UnitPage


class _ExportMedia(MediaResolver):
    def __init__(self, course_key: str, folder: Path):
        self.course_key = course_key
        self.folder = folder

    def image_path(self, pk: int) -> str:
        return export_media(
            get_image_model().objects.get(pk=pk), course_key=self.course_key, folder=self.folder
        )

    def document_path(self, pk: int) -> str:
        return export_media(
            get_document_model().objects.get(pk=pk), course_key=self.course_key, folder=self.folder
        )


def _contents(parent: Page, folder: Path, media: _ExportMedia) -> list[dict]:
    entries: list[dict] = []
    for child in parent.get_children().specific():
        if isinstance(child, UnitPage):
            entries.append(
                {
                    "unit": child.slug,
                    "title": child.title,
                    "summary": child.summary,
                    "contents": _contents(child, folder, media),
                }
            )
        elif isinstance(child, LessonPage):
            entries.append({"lesson": child.slug})
            write_yaml(
                folder / "lessons" / f"{child.slug}.yaml",
                {
                    "format": FORMAT_VERSION,
                    "slug": child.slug,
                    "title": child.title,
                    "summary": child.summary,
                    "estimated_minutes": child.estimated_minutes,
                    "required": child.required,
                    "body": block_to_file(
                        LessonPage.body.field.stream_block, _current_raw(child, "body"), media=media
                    ),
                    **({"review_notes": child.review_notes} if child.review_notes else {}),
                },
            )
        elif isinstance(child, AssessmentPage):
            entries.append({"assessment": child.slug})
            write_yaml(
                folder / "assessments" / f"{child.slug}.yaml",
                {
                    "format": FORMAT_VERSION,
                    "slug": child.slug,
                    "title": child.title,
                    "kind": child.kind,
                    "pass_mark": child.pass_mark,
                    "max_attempts": child.max_attempts,
                    # Written only for a question pool: files without one stay as they were.
                    **(
                        {"questions_per_attempt": child.questions_per_attempt}
                        if child.questions_per_attempt
                        else {}
                    ),
                    **({"draw_by_outcome": True} if child.draw_by_outcome else {}),
                    "intro": child.intro,
                    "questions": block_to_file(
                        AssessmentPage.questions.field.stream_block,
                        _current_raw(child, "questions"),
                        media=media,
                    ),
                },
            )
    return entries


def _curriculum(course: CoursePage) -> dict:
    framework = (
        course.module.framework
        if course.module_id
        else course.level.framework
        if course.level_id
        else None
    )
    fields: dict = {}
    if framework is not None:
        fields["framework"] = framework.key
    if course.level_id:
        fields["level"] = course.level.key
    if course.module_id:
        fields["module"] = course.module.key
        fields["alignment"] = course.alignment
        if course.alignment_note:
            fields["alignment_note"] = course.alignment_note
    return fields


def export_course(*, course: CoursePage, root: Path) -> Path:
    """Write ``course`` (its published content) as a library folder under ``root``,
    replacing any folder of the same slug."""
    folder = root / course.slug
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    media = _ExportMedia(course.slug, folder)
    manifest = {
        "format": FORMAT_VERSION,
        "slug": course.slug,
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        # Only what the course states: no level the module's data leaves open, no
        # alignment without a module, and no hours (computed from the content).
        **_curriculum(course),
        "outcomes": [block.value for block in course.outcomes],
        "cover": media.image_path(course.cover_image_id) if course.cover_image_id else None,
        "cover_alt": course.cover_image.description if course.cover_image_id else "",
        "final_assessment": course.final_assessment.slug if course.final_assessment_id else None,
        "contents": _contents(course, folder, media),
        **({"review_notes": course.review_notes} if course.review_notes else {}),
    }
    write_yaml(folder / "course.yaml", manifest)
    return folder
