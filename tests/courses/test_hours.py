"""A course's study time is computed from its content (lessons + one attempt at each
assessment), stored, kept up to date when pages change, and never typed by hand."""

from decimal import Decimal
from fractions import Fraction

import pytest
from wagtail.models import Page

from content.api import LibraryError
from content.blocks import NumericBlock
from courses import api
from courses.models import AssessmentPage, CoursePage, LessonPage
from courses.models.study_time import (
    ASSESSMENT_OVERHEAD_MINUTES,
    assessment_minutes,
    compute_study_minutes,
    hours_for,
)
from tests.helpers import copy_shipped_course, edit_yaml


def _expected_minutes(course: CoursePage) -> int:
    """The sum written out again, independently: every live lesson's minutes plus, for
    every live assessment, its questions' minutes by type (one attempt) plus the fixed
    time to read the instructions and the results."""
    lessons = LessonPage.objects.live().descendant_of(course)
    total = sum(lesson.estimated_minutes for lesson in lessons)
    for assessment in AssessmentPage.objects.live().descendant_of(course):
        per_type = [block.block.answer_minutes for block in assessment.questions]
        share = sum(per_type)
        if assessment.questions_per_attempt:
            share = share * min(assessment.questions_per_attempt, len(per_type)) / len(per_type)
        whole = int(share) + (share != int(share))
        total += whole + ASSESSMENT_OVERHEAD_MINUTES
    return total


class TestRules:
    @pytest.mark.parametrize(
        ("minutes", "hours"),
        [(1, "0.5"), (44, "0.5"), (45, "1"), (75, "1.5"), (100, "1.5"), (105, "2"), (240, "4")],
    )
    def test_rounded_to_the_nearest_half_hour_at_least_half_an_hour(self, minutes, hours):
        assert hours_for(minutes) == Decimal(hours)

    @pytest.mark.parametrize(
        ("minutes", "text"),
        [(30, "0.5 horas"), (60, "1 hora"), (210, "3.5 horas"), (240, "4 horas")],
    )
    def test_the_text_templates_print(self, minutes, text):
        assert CoursePage(study_minutes=minutes).study_time_text == text

    def test_every_question_type_has_its_time(self):
        types = AssessmentPage.questions.field.stream_block.child_blocks
        minutes = {name: block.answer_minutes for name, block in types.items()}
        assert minutes == {
            "true_false": 1,
            "single_choice": Fraction(3, 2),
            "multiple_choice": 2,
            "short_answer": 2,
            "numeric": 3,
        }

    def test_the_time_is_the_question_types_own(self, monkeypatch):
        before = assessment_minutes(["numeric", "numeric"], None)
        monkeypatch.setattr(NumericBlock, "answer_minutes", Fraction(5))
        assert assessment_minutes(["numeric", "numeric"], None) == before + 4

    def test_an_assessment_takes_its_questions_time_plus_instructions(self):
        kinds = ["true_false", "single_choice", "numeric", "multiple_choice"]
        # 1 + 1.5 + 3 + 2 = 7.5, rounded up to 8, plus the instructions and results.
        assert assessment_minutes(kinds, None) == 8 + ASSESSMENT_OVERHEAD_MINUTES
        # A bank drawing 2 of the 4: half the time of the whole bank (3.75 → 4).
        assert assessment_minutes(kinds, 2) == 4 + ASSESSMENT_OVERHEAD_MINUTES
        assert assessment_minutes([], None) == 0


class TestShippedCourses:
    @pytest.mark.parametrize(
        "slug",
        [
            "fracciones-y-porcentajes",
            "finanzas-personales",
            "salud-y-prevencion",
            "nuestros-documentos",
        ],
    )
    def test_stored_time_is_the_content_time(self, db, slug):
        course = CoursePage.objects.get(slug=slug)
        assert course.study_minutes == _expected_minutes(course) > 0
        assert course.estimated_hours == hours_for(course.study_minutes)

    def test_no_course_file_types_its_hours(self):
        from content.api import LIBRARY_ROOT

        for manifest in LIBRARY_ROOT.glob("*/course.yaml"):
            assert "estimated_hours" not in manifest.read_text("utf-8"), manifest

    def test_the_admin_form_has_no_hours_to_type(self, db):
        form_class = CoursePage.get_edit_handler().get_form_class()
        assert "study_minutes" not in form_class.base_fields
        assert "estimated_hours" not in form_class.base_fields


def test_the_course_edit_view_shows_the_computed_time_read_only(client, make_user):
    from lms.accounts import roles

    client.force_login(make_user("raiz", roles.ADMINISTRADOR, is_superuser=True, is_staff=True))
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    html = client.get(f"/admin/pages/{course.pk}/edit/").content.decode()
    hours = f"{course.estimated_hours.normalize():f}"
    assert f"{hours} horas ({course.study_minutes} minutos), calculado del contenido" in html
    assert 'name="study_minutes"' not in html and 'name="alignment"' in html


class TestRecomputed:
    def test_when_a_lesson_is_published_with_other_minutes(self, db):
        course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
        before = course.study_minutes
        lesson = LessonPage.objects.descendant_of(course).live().first()
        lesson.estimated_minutes += 40
        lesson.save_revision().publish()
        course.refresh_from_db()
        assert course.study_minutes == before + 40 == _expected_minutes(course)

    def test_when_an_assessment_gets_a_question(self, db):
        course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
        before = course.study_minutes
        final = AssessmentPage.objects.get(pk=course.final_assessment_id)
        extra = final.questions.raw_data[0]
        final.questions = final.questions.stream_block.to_python(
            [*final.questions.raw_data, {**extra, "id": "otra-pregunta"}]
        )
        final.intro = ""  # no stated count to keep in step
        final.save_revision().publish()
        course.refresh_from_db()
        assert course.study_minutes == _expected_minutes(course) > before

    def test_when_a_lesson_is_unpublished_or_deleted(self, db):
        course = CoursePage.objects.get(slug="salud-y-prevencion")
        lessons = list(LessonPage.objects.descendant_of(course).live())
        lessons[0].unpublish()
        course.refresh_from_db()
        assert course.study_minutes == _expected_minutes(course)
        minutes = lessons[1].estimated_minutes
        before = course.study_minutes
        lessons[1].delete()
        course.refresh_from_db()
        assert course.study_minutes == before - minutes == _expected_minutes(course)

    def test_when_a_lesson_moves_to_another_course(self, db):
        source = CoursePage.objects.get(slug="salud-y-prevencion")
        target = CoursePage.objects.get(slug="nuestros-documentos")
        lesson = LessonPage.objects.descendant_of(source).live().first()
        before = (source.study_minutes, target.study_minutes)
        Page.objects.get(pk=lesson.pk).move(target, pos="first-child")
        source.refresh_from_db()
        target.refresh_from_db()
        assert source.study_minutes == before[0] - lesson.estimated_minutes
        assert target.study_minutes == before[1] + lesson.estimated_minutes
        assert target.study_minutes == compute_study_minutes(target)

    def test_publishing_the_course_keeps_the_computed_time(self, db):
        course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
        expected = course.study_minutes
        course.study_minutes = 5  # what a stale revision could carry
        course.save_revision().publish()
        course.refresh_from_db()
        assert course.study_minutes == expected


@pytest.fixture
def library_copy(tmp_path):
    return copy_shipped_course(tmp_path, "curso-horas")


class TestLibrary:
    def test_stated_hours_that_differ_from_the_content_are_refused(self, db, library_copy):
        manifest = library_copy / "curso-horas/course.yaml"
        edit_yaml(manifest, lambda d: d.update(estimated_hours=40))
        pages = Page.objects.count()
        with pytest.raises(LibraryError) as info:
            api.import_library(root=library_copy)
        error = info.value
        assert error.file.endswith("curso-horas/course.yaml") and error.field == "estimated_hours"
        assert "Dice 40 horas, pero el contenido da" in error.message
        assert Page.objects.count() == pages

    def test_stated_hours_equal_to_the_content_are_accepted(self, db, library_copy):
        api.import_library(root=library_copy)
        hours = CoursePage.objects.get(slug="curso-horas").estimated_hours
        manifest = library_copy / "curso-horas/course.yaml"
        edit_yaml(manifest, lambda d: d.update(estimated_hours=float(hours)))
        api.import_library(root=library_copy)
        course = CoursePage.objects.get(slug="curso-horas")
        assert course.study_minutes == _expected_minutes(course)
