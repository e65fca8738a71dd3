"""The final assessment of a course stays its last step (``courses.course_order``): adding
or moving a lesson, a unit or a practice never leaves a page after it, whether it is done
in the admin, in code or by the library importer."""

import pytest
from wagtail.models import Page

from content.api import LIBRARY_ROOT
from courses import api
from courses.course_order import final_last
from courses.models import AssessmentPage, CoursePage, LessonPage, UnitPage
from tests.factories.pages import add_course, add_lesson
from tests.helpers import copy_shipped_course, edit_yaml

SHIPPED = sorted(p.name for p in LIBRARY_ROOT.iterdir() if (p / "course.yaml").exists())


def add_assessment(*, parent, slug, kind="practice", title=None):
    page = AssessmentPage(
        title=title or slug,
        slug=slug,
        kind=kind,
        questions=[("true_false", {"prompt": "¿Sí?", "answer": True, "explanation": ""})],
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def add_unit(*, parent, slug):
    unit = UnitPage(title=slug, slug=slug)
    parent.add_child(instance=unit)
    unit.save_revision().publish()
    return unit


def set_final(course, final):
    course = CoursePage.objects.get(pk=course.pk)
    course.final_assessment = final
    course.save_revision().publish()
    return course


def step_slugs(course):
    """The course's steps as the learner goes through them (what "Paso N de N" counts)."""
    outline = api.course_outline(course=CoursePage.objects.get(pk=course.pk))
    return [page.slug for page in api.flat_steps(outline)]


@pytest.fixture
def built(catalog):
    """A course of two lessons and its final, in that order."""
    course = add_course(catalog=catalog, slug="orden", lessons=2)
    final = add_assessment(parent=course, slug="examen", kind="final")
    return set_final(course, final), final


class TestAddingPages:
    def test_a_lesson_added_after_the_final_goes_before_it(self, built, client, educando):
        from lms.enrollment import api as enrollment_api

        course, final = built
        enrollment_api.enroll(user=educando, course=course)
        client.force_login(educando)
        assert step_slugs(course) == ["leccion-1", "leccion-2", "examen"]
        add_lesson(parent=CoursePage.objects.get(pk=course.pk), slug="leccion-3")
        assert step_slugs(course) == ["leccion-1", "leccion-2", "leccion-3", "examen"]
        # What the learner reads: the new lesson is step 3, the final step 4 of 4.
        final = AssessmentPage.objects.get(pk=final.pk)
        assert "Paso 4 de 4" in client.get(final.url).content.decode()
        assert (
            "Paso 3 de 4"
            in client.get(LessonPage.objects.get(slug="leccion-3").url).content.decode()
        )
        steps = api.course_steps(course_ids=[course.pk])[course.pk].steps
        assert steps[-1].page_id == final.pk

    def test_a_draft_lesson_goes_before_it_too_and_stays_there_when_published(self, built):
        course, _final = built
        draft = LessonPage(title="Borrador", slug="borrador", body=[])
        CoursePage.objects.get(pk=course.pk).add_child(instance=draft)
        assert [p.slug for p in Page.objects.child_of(course)][-2:] == ["borrador", "examen"]
        LessonPage.objects.get(pk=draft.pk).save_revision().publish()
        assert step_slugs(course)[-2:] == ["borrador", "examen"]

    def test_a_unit_added_after_the_final_goes_before_it(self, built):
        course, _final = built
        unit = add_unit(parent=CoursePage.objects.get(pk=course.pk), slug="unidad-nueva")
        add_lesson(parent=UnitPage.objects.get(pk=unit.pk), slug="en-la-unidad")
        add_assessment(parent=UnitPage.objects.get(pk=unit.pk), slug="practica")
        assert step_slugs(course) == [
            "leccion-1",
            "leccion-2",
            "en-la-unidad",
            "practica",
            "examen",
        ]
        assert [p.slug for p in Page.objects.child_of(course)][-1] == "examen"

    def test_a_final_inside_a_unit_stays_last_in_its_unit(self, catalog):
        course = add_course(catalog=catalog, slug="con-unidad")
        unit = add_unit(parent=course, slug="unidad")
        add_lesson(parent=unit, slug="uno")
        final = add_assessment(parent=UnitPage.objects.get(pk=unit.pk), slug="examen", kind="final")
        course = set_final(course, final)
        add_lesson(parent=UnitPage.objects.get(pk=unit.pk), slug="dos")
        final = Page.objects.get(pk=final.pk)
        assert final.get_parent().pk == unit.pk  # still in its unit, now after "dos"
        assert step_slugs(course) == ["uno", "dos", "examen"]
        # A lesson after the unit, in the course itself: the final leaves the unit to stay last.
        add_lesson(parent=CoursePage.objects.get(pk=course.pk), slug="tres")
        assert step_slugs(course) == ["uno", "dos", "tres", "examen"]
        assert Page.objects.get(pk=final.pk).get_parent().pk == course.pk

    def test_without_a_final_nothing_moves(self, catalog):
        course = add_course(catalog=catalog, slug="sin-final", lessons=1)
        add_assessment(parent=course, slug="practica")
        add_lesson(parent=CoursePage.objects.get(pk=course.pk), slug="despues")
        assert step_slugs(course) == ["leccion-1", "practica", "despues"]
        assert final_last(CoursePage.objects.get(pk=course.pk)) is False

    def test_other_courses_are_left_alone(self, built, course):
        before = step_slugs(course)
        add_lesson(parent=CoursePage.objects.get(pk=built[0].pk), slug="leccion-3")
        assert step_slugs(course) == before


class TestMovingPages:
    def test_a_lesson_moved_after_the_final_comes_back_before_it(self, built):
        course, final = built
        lesson = Page.objects.get(slug="leccion-1", path__startswith=course.path)
        lesson.move(Page.objects.get(pk=final.pk), pos="right")
        assert step_slugs(course) == ["leccion-2", "leccion-1", "examen"]

    def test_the_final_moved_to_the_front_goes_back_to_the_end(self, built):
        course, final = built
        first = Page.objects.get(slug="leccion-1", path__startswith=course.path)
        Page.objects.get(pk=final.pk).move(first, pos="left")
        assert step_slugs(course) == ["leccion-1", "leccion-2", "examen"]

    def test_a_lesson_moved_in_from_another_course_goes_before_the_final(self, built, catalog):
        course, _final = built
        other = add_course(catalog=catalog, slug="otro")
        stray = add_lesson(parent=other, slug="de-otro-curso")
        Page.objects.get(pk=stray.pk).move(CoursePage.objects.get(pk=course.pk), pos="last-child")
        assert step_slugs(course) == ["leccion-1", "leccion-2", "de-otro-curso", "examen"]

    def test_choosing_as_final_a_practice_in_the_middle_moves_it_last(self, catalog):
        course = add_course(catalog=catalog, slug="elegir-final", lessons=1)
        exam = add_assessment(parent=course, slug="examen", kind="final")
        add_lesson(parent=CoursePage.objects.get(pk=course.pk), slug="despues")
        assert step_slugs(course) == ["leccion-1", "examen", "despues"]  # no final yet
        set_final(course, exam)
        assert step_slugs(course) == ["leccion-1", "despues", "examen"]


class TestLibrary:
    def test_shipped_courses_end_with_their_final(self, db):
        for slug in SHIPPED:
            course = CoursePage.objects.get(slug=slug)
            steps = api.course_steps(course_ids=[course.pk])[course.pk].steps
            assert steps[-1].page_id == course.final_assessment_id, slug

    def test_a_folder_listing_a_lesson_after_the_final_imports_it_before(self, db, tmp_path):
        root = copy_shipped_course(tmp_path, "final-en-medio")
        yaml_file = root / "final-en-medio" / "course.yaml"

        def final_first(data):
            contents = data["contents"]
            data["contents"] = [contents[-1], *contents[:-1]]  # the final first

        edit_yaml(yaml_file, final_first)
        api.import_library(root=root)
        course = CoursePage.objects.get(slug="final-en-medio")
        slugs = step_slugs(course)
        assert slugs[-1] == "examen-final"
        assert slugs[0] == "que-es-una-fraccion"
        # Imported again: the same order, nothing moves back.
        api.import_library(root=root)
        assert step_slugs(course) == slugs

    def test_reimport_puts_an_authors_page_after_the_final_before_it(self, db, tmp_path):
        root = copy_shipped_course(tmp_path, "reimportado")
        api.import_library(root=root)
        course = CoursePage.objects.get(slug="reimportado")
        add_lesson(parent=CoursePage.objects.get(pk=course.pk), slug="de-la-autora")
        assert step_slugs(course)[-2:] == ["de-la-autora", "examen-final"]
        api.import_library(root=root)
        assert step_slugs(course)[-1] == "examen-final"
