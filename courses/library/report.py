"""What a course folder of the library holds, in the figures a reviewer asks for: lessons,
questions (the final's pool and what one attempt draws; the practice quizzes), pictures,
the computed study time and the readability of its lessons.

Read from the files alone (no database), so ``library report`` can be run on a folder
before it is imported, and by the tests on the whole shipped library."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from content.api import analyze_stream, read_course_folder, walk_contents
from courses.models.pages import LessonPage
from courses.models.study_time import assessment_minutes, course_minutes, hours_for


@dataclass(frozen=True)
class LessonFigures:
    slug: str
    minutes: int
    pictures: int
    inflesz: float | None
    words_per_sentence: float | None
    meets_target: bool | None
    has_sources: bool


@dataclass(frozen=True)
class CourseFigures:
    slug: str
    title: str
    alignment: str
    lessons: list[LessonFigures]
    final_pool: int
    final_per_attempt: int
    practice_quizzes: int
    practice_questions: int
    pictures: int
    hours: Decimal
    inflesz: float | None
    words_per_sentence: float | None

    @property
    def lowest_inflesz(self) -> float | None:
        figures = [lesson.inflesz for lesson in self.lessons if lesson.inflesz is not None]
        return min(figures) if figures else None


def _pictures(body: list) -> int:
    return sum(1 for block in body if block.get("type") == "image")


def _has_sources(notes: object) -> bool:
    """Notes for reviewers that name at least one source by its address."""
    return "https://" in str(notes or "") or "http://" in str(notes or "")


def course_figures(path: Path) -> CourseFigures:
    folder = read_course_folder(path)
    stream_block = LessonPage.body.field.stream_block
    manifest = folder.manifest
    lessons: list[LessonFigures] = []
    bodies: list = []
    assessment_times: list[int] = []
    final_pool = final_per_attempt = practice_quizzes = practice_questions = 0
    for entry in walk_contents(folder.contents):
        if entry.kind == "lesson":
            data = folder.lessons[entry.slug]
            readability = analyze_stream(stream_block, data["body"])
            bodies.extend(data["body"])
            lessons.append(
                LessonFigures(
                    slug=entry.slug,
                    minutes=data["estimated_minutes"],
                    pictures=_pictures(data["body"]),
                    inflesz=readability.inflesz,
                    words_per_sentence=readability.words_per_sentence,
                    meets_target=readability.meets_target,
                    has_sources=_has_sources(data.get("review_notes")),
                )
            )
        elif entry.kind == "assessment":
            data = folder.assessments[entry.slug]
            types = [question["type"] for question in data["questions"]]
            per_attempt = data.get("questions_per_attempt") or len(types)
            assessment_times.append(assessment_minutes(types, data.get("questions_per_attempt")))
            if entry.slug == manifest.get("final_assessment"):
                final_pool, final_per_attempt = len(types), per_attempt
            elif data["kind"] == "practice":
                practice_quizzes += 1
                practice_questions += len(types)
    whole = analyze_stream(stream_block, bodies)
    return CourseFigures(
        slug=folder.slug,
        title=manifest["title"],
        alignment=(
            f"{manifest['module']} ({manifest.get('alignment', '')})"
            if manifest.get("module")
            else "—"
        ),
        lessons=lessons,
        final_pool=final_pool,
        final_per_attempt=final_per_attempt,
        practice_quizzes=practice_quizzes,
        practice_questions=practice_questions,
        pictures=sum(lesson.pictures for lesson in lessons),
        hours=hours_for(course_minutes((lesson.minutes for lesson in lessons), assessment_times)),
        inflesz=whole.inflesz,
        words_per_sentence=whole.words_per_sentence,
    )
