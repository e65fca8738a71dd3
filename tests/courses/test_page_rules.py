import pytest
from wagtail.models import Page

from courses import api


@pytest.mark.parametrize(
    ("child", "parent", "allowed"),
    [
        (api.CatalogPage, api.HomePage, True),
        (api.CoursePage, api.CatalogPage, True),
        (api.CoursePage, api.HomePage, False),
        (api.CoursePage, api.CoursePage, False),
        (api.UnitPage, api.CoursePage, True),
        (api.UnitPage, api.UnitPage, False),
        (api.LessonPage, api.CoursePage, True),
        (api.LessonPage, api.UnitPage, True),
        (api.LessonPage, api.CatalogPage, False),
        (api.LessonPage, api.LessonPage, False),
        (api.AssessmentPage, api.UnitPage, True),
        (api.AssessmentPage, api.HomePage, False),
    ],
)
def test_parent_child_rules(child, parent, allowed):
    assert (parent in child.allowed_parent_page_models()) is allowed


def test_only_one_home_and_one_catalog(db):
    home = api.HomePage.objects.get()
    catalog = api.CatalogPage.objects.get()
    assert not api.HomePage.can_create_at(Page.get_first_root_node())
    assert not api.CatalogPage.can_create_at(home)
    assert catalog.url == "/cursos/"
    assert home.url == "/"


def test_ensure_site_is_idempotent_and_removes_the_placeholder(db):
    before = Page.objects.count()
    home, catalog = api.ensure_site()
    assert (home, catalog) == (api.HomePage.objects.get(), api.CatalogPage.objects.get())
    assert Page.objects.count() == before
    assert not Page.objects.filter(depth=2).exclude(pk=home.pk).exists()


def test_final_assessment_must_belong_to_the_course(course):
    other = api.CoursePage.objects.exclude(pk=course.pk).first()
    foreign_exam = other.final_assessment
    course.final_assessment = foreign_exam
    with pytest.raises(Exception, match="examen final"):
        course.full_clean()


def test_module_and_level_must_agree(course):
    course.level = api.Framework.objects.get(key="mevyt").levels.get(key="inicial")
    with pytest.raises(Exception, match="nivel"):
        course.full_clean()


def test_assessment_pass_mark_is_bounded(course):
    exam = course.final_assessment
    exam.pass_mark = 101
    with pytest.raises(Exception, match="100"):
        exam.full_clean()
