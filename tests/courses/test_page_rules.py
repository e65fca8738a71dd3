import pytest
from wagtail.models import Page

from courses import api
from courses.models import (
    AssessmentPage,
    CatalogPage,
    CoursePage,
    Framework,
    HomePage,
    LessonPage,
    UnitPage,
)


@pytest.mark.parametrize(
    ("child", "parent", "allowed"),
    [
        (CatalogPage, HomePage, True),
        (CoursePage, CatalogPage, True),
        (CoursePage, HomePage, False),
        (CoursePage, CoursePage, False),
        (UnitPage, CoursePage, True),
        (UnitPage, UnitPage, False),
        (LessonPage, CoursePage, True),
        (LessonPage, UnitPage, True),
        (LessonPage, CatalogPage, False),
        (LessonPage, LessonPage, False),
        (AssessmentPage, UnitPage, True),
        (AssessmentPage, HomePage, False),
    ],
)
def test_parent_child_rules(child, parent, allowed):
    assert (parent in child.allowed_parent_page_models()) is allowed


def test_only_one_home_and_one_catalog(db):
    home = HomePage.objects.get()
    catalog = CatalogPage.objects.get()
    assert not HomePage.can_create_at(Page.get_first_root_node())
    assert not CatalogPage.can_create_at(home)
    assert catalog.url == "/cursos/"
    assert home.url == "/"


def test_ensure_site_is_idempotent_and_removes_the_placeholder(db):
    before = Page.objects.count()
    home, catalog = api.ensure_site()
    assert (home, catalog) == (HomePage.objects.get(), CatalogPage.objects.get())
    assert Page.objects.count() == before
    assert not Page.objects.filter(depth=2).exclude(pk=home.pk).exists()


def test_final_assessment_must_belong_to_the_course(course):
    other = CoursePage.objects.exclude(pk=course.pk).first()
    foreign_exam = other.final_assessment
    course.final_assessment = foreign_exam
    with pytest.raises(Exception, match="examen final"):
        course.full_clean()


def test_module_and_level_must_agree(course):
    course.level = Framework.objects.get(key="mevyt").levels.get(key="inicial")
    with pytest.raises(Exception, match="nivel"):
        course.full_clean()


def test_assessment_pass_mark_is_bounded(course):
    exam = course.final_assessment
    exam.pass_mark = 101
    with pytest.raises(Exception, match="100"):
        exam.full_clean()
