"""Pages are routed in one lookup and course outlines are cached (courses/models/routing.py,
courses/page_cache.py), and neither is ever stale: a page published, unpublished, renamed,
moved, re-ordered, deleted or made private is seen as it is on the very next request."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.db.models.sql.compiler import SQLCompiler
from wagtail.models import Page, PageViewRestriction

from courses import api as courses_api
from courses.models import AssessmentPage, CoursePage, LessonPage
from courses.models.routing import route_for_request
from courses.selectors import OUTLINE_KEY
from lms.enrollment import api as enrollment_api
from tests.factories.pages import add_course, add_lesson


@pytest.fixture
def small_course(catalog):
    return add_course(catalog=catalog, slug="curso-cache", title="Curso de caché", lessons=3)


@pytest.fixture
def reader(client, educando, small_course):
    enrollment_api.enroll(user=educando, course=small_course)
    client.force_login(educando)
    return educando


def _lesson(number: int) -> LessonPage:
    return LessonPage.objects.get(slug=f"leccion-{number}", url_path__contains="/curso-cache/")


def _outline_titles(client, course) -> list[str]:
    response = client.get(course.url)
    assert response.status_code == 200
    return [item.page.title for item in response.context["outline"]]


def _warm(client, course) -> None:
    """Serve the course and a lesson once, so the cache holds what they read."""
    assert client.get(course.url).status_code == 200
    assert client.get(_lesson(1).url).status_code == 200
    assert cache.get(OUTLINE_KEY.format(course.pk)) is not None


class TestRouting:
    def test_a_lesson_is_found_by_its_path(self, client, reader, small_course):
        response = client.get("/cursos/curso-cache/leccion-2/")
        assert response.status_code == 200
        assert response.context["page"].pk == _lesson(2).pk

    def test_an_unknown_path_is_404(self, client, reader):
        assert client.get("/cursos/curso-cache/no-existe/").status_code == 404
        assert client.get("/no/existe/en/ningun/lado/").status_code == 404

    def test_unpublished_is_404_at_once_and_published_again_is_back(self, client, reader):
        lesson = _lesson(2)
        assert client.get(lesson.url).status_code == 200
        lesson.unpublish()
        assert client.get("/cursos/curso-cache/leccion-2/").status_code == 404
        lesson.refresh_from_db()
        lesson.save_revision().publish()
        assert client.get("/cursos/curso-cache/leccion-2/").status_code == 200

    def test_a_renamed_page_moves_to_its_new_address(self, client, reader):
        lesson = _lesson(2)
        assert client.get(lesson.url).status_code == 200
        lesson.slug = "leccion-renombrada"
        lesson.save_revision().publish()
        assert client.get("/cursos/curso-cache/leccion-2/").status_code == 404
        assert client.get("/cursos/curso-cache/leccion-renombrada/").status_code == 200

    def test_another_page_type_at_a_remembered_address(self, client, reader, small_course):
        """The cache remembers the type of the page at a path; when a page of another type
        takes the path, the right page is served."""
        assert client.get("/cursos/curso-cache/leccion-3/").status_code == 200
        _lesson(3).delete()
        quiz = AssessmentPage(title="Práctica en lugar de la lección", slug="leccion-3")
        small_course.add_child(instance=quiz)
        quiz.save_revision().publish()
        response = client.get("/cursos/curso-cache/leccion-3/")
        assert response.status_code == 200
        assert response.context["page"].pk == quiz.pk
        assert "Práctica en lugar de la lección" in response.content.decode()

    def test_a_draft_change_is_not_served_until_published(self, client, reader):
        lesson = _lesson(1)
        lesson.title = "Título en borrador"
        lesson.save_revision()
        assert "Título en borrador" not in client.get(lesson.url).content.decode()
        lesson.get_latest_revision().publish()
        assert "Título en borrador" in client.get(lesson.url).content.decode()


class TestOutline:
    def test_a_published_lesson_appears(self, client, reader, small_course):
        _warm(client, small_course)
        add_lesson(parent=small_course, slug="leccion-nueva", title="Lección nueva")
        assert _outline_titles(client, small_course)[-1] == "Lección nueva"
        html = client.get(_lesson(3).url).content.decode()
        assert "Lección nueva" in html  # the next step of the last lesson

    def test_an_unpublished_lesson_disappears(self, client, reader, small_course):
        _warm(client, small_course)
        _lesson(2).unpublish()
        assert _outline_titles(client, small_course) == ["Lección 1", "Lección 3"]
        assert "Paso 2 de 2" in client.get(_lesson(3).url).content.decode()

    def test_a_new_title_shows(self, client, reader, small_course):
        _warm(client, small_course)
        lesson = _lesson(2)
        lesson.title = "La lección 2, con otro título"
        lesson.save_revision().publish()
        assert "La lección 2, con otro título" in _outline_titles(client, small_course)

    def test_a_reordered_lesson_moves_in_the_outline(self, client, reader, small_course):
        _warm(client, small_course)
        _lesson(3).move(_lesson(1), pos="left")
        assert _outline_titles(client, small_course) == ["Lección 3", "Lección 1", "Lección 2"]
        assert "Paso 1 de 3" in client.get(_lesson(3).url).content.decode()

    def test_a_lesson_moved_to_another_course_leaves_one_outline_for_the_other(
        self, client, reader, small_course, catalog
    ):
        other = add_course(catalog=catalog, slug="otro-curso-cache", title="Otro", lessons=1)
        _warm(client, small_course)
        assert client.get(other.url).status_code == 200
        _lesson(2).move(other, pos="last-child")
        assert _outline_titles(client, small_course) == ["Lección 1", "Lección 3"]
        assert _outline_titles(client, other) == ["Lección 1", "Lección 2"]

    def test_a_deleted_lesson_disappears(self, client, reader, small_course):
        _warm(client, small_course)
        _lesson(2).delete()
        assert _outline_titles(client, small_course) == ["Lección 1", "Lección 3"]

    def test_a_private_lesson_leaves_the_outline_and_is_still_protected(
        self, client, reader, small_course
    ):
        _warm(client, small_course)
        lesson = _lesson(2)
        PageViewRestriction.objects.create(
            page=lesson, restriction_type=PageViewRestriction.PASSWORD, password="secreto"
        )
        assert _outline_titles(client, small_course) == ["Lección 1", "Lección 3"]
        # Wagtail's privacy check runs again now that a restriction exists.
        response = client.get(lesson.url)
        assert response.status_code == 200
        assert "secreto" not in response.content.decode()
        assert 'name="password"' in response.content.decode()
        PageViewRestriction.objects.filter(page=lesson).delete()
        assert _outline_titles(client, small_course) == ["Lección 1", "Lección 2", "Lección 3"]

    def test_the_outline_holds_no_lesson_body(self, client, reader, small_course):
        """The cached outline defers the content fields: it stays small."""
        _warm(client, small_course)
        outline = cache.get(OUTLINE_KEY.format(small_course.pk))
        assert outline and all("body" not in item.page.__dict__ for item in outline)


def test_the_outline_of_a_course_is_built_once_then_costs_no_query(
    client, reader, small_course, django_assert_num_queries
):
    from courses.selectors import course_outline

    cache.delete(OUTLINE_KEY.format(small_course.pk))
    course = CoursePage.objects.get(pk=small_course.pk)
    with django_assert_num_queries(3):  # the pages, then lessons and nothing else by type
        course_outline(course=course)
    with django_assert_num_queries(0):
        assert [item.page.title for item in course_outline(course=course)] == [
            "Lección 1",
            "Lección 2",
            "Lección 3",
        ]


def test_a_site_with_a_restriction_somewhere_checks_it_on_every_page(client, reader, small_course):
    """The skipped privacy check is only skipped while no restriction exists at all."""
    home = Page.objects.get(depth=2)
    PageViewRestriction.objects.create(
        page=home, restriction_type=PageViewRestriction.PASSWORD, password="secreto"
    )
    response = client.get(_lesson(1).url)
    assert 'name="password"' in response.content.decode()


def test_with_no_restriction_the_privacy_check_compiles_no_sql(client, reader, small_course):
    """Wagtail's privacy hook iterates ``get_view_restrictions()`` on every page served:
    while none exists, that is an empty queryset known to be empty (no SQL built), and it
    is still a queryset for Wagtail's other callers (privacy and copy views)."""
    lesson = _lesson(1)
    _warm(client, small_course)
    compile_sql = mock.patch.object(
        SQLCompiler, "as_sql", autospec=True, side_effect=AssertionError("SQL was built")
    )
    with compile_sql:
        restrictions = lesson.get_view_restrictions()
        assert list(restrictions) == [] and not restrictions.exists()
    assert list(restrictions.order_by("-page__depth")) == []
    compiled = []
    as_sql = SQLCompiler.as_sql

    def recording(compiler, *args, **kwargs):
        compiled.append(compiler.query.model)
        return as_sql(compiler, *args, **kwargs)

    with mock.patch.object(SQLCompiler, "as_sql", recording):
        assert client.get(lesson.url).status_code == 200
    assert compiled and PageViewRestriction not in compiled


def test_a_kept_lesson_leaves_its_body_out_and_reads_it_when_needed(
    client, reader, small_course, rf, django_assert_num_queries
):
    """The route keeps a lesson without its body (the largest part, parsed again at every
    read) and with whether the body is the same for everyone; the shell needs no more,
    and a full render reads the body in one query, as it is now."""
    lesson = _lesson(1)
    _warm(client, small_course)
    page = route_for_request(rf.get(lesson.url), lesson.url.lstrip("/")).page
    assert page.pk == lesson.pk and "body" not in page.__dict__
    assert page.__dict__["_aula_body_is_shared"] is True
    with django_assert_num_queries(1):
        body = list(page.body.raw_data)
    assert body == list(LessonPage.objects.get(pk=lesson.pk).body.raw_data)
    # A full render (a query string skips the shell) of the kept lesson shows its text.
    response = client.get(f"{lesson.url}?desde=inicio")
    assert response.status_code == 200
    assert "Texto de la lección." in response.content.decode()


class TestLessonBody:
    """A lesson's blocks are rendered once per published revision (``rendered_body``),
    and what they show is never stale."""

    def _publish_body(self, lesson, blocks) -> None:
        lesson.body = lesson.body.stream_block.to_python(blocks)
        lesson.save_revision().publish()

    def test_the_second_view_renders_nothing(self, client, reader):
        lesson = _lesson(1)
        client.get(lesson.url)
        assert any(key.startswith(":1:aula:body:") for key in cache._cache)  # locmem

    def test_a_new_revision_is_seen_at_once(self, client, reader):
        lesson = _lesson(1)
        self._publish_body(lesson, [{"type": "paragraph", "value": "<p>Primera versión.</p>"}])
        assert "Primera versión." in client.get(lesson.url).content.decode()
        self._publish_body(lesson, [{"type": "paragraph", "value": "<p>Segunda versión.</p>"}])
        html = client.get(lesson.url).content.decode()
        assert "Segunda versión." in html and "Primera versión." not in html

    def test_a_draft_leaves_the_published_body(self, client, reader):
        lesson = _lesson(1)
        self._publish_body(lesson, [{"type": "paragraph", "value": "<p>Publicada.</p>"}])
        client.get(lesson.url)
        lesson = LessonPage.objects.get(pk=lesson.pk)
        lesson.body = lesson.body.stream_block.to_python(
            [{"type": "paragraph", "value": "<p>Borrador.</p>"}]
        )
        lesson.save_revision()
        html = client.get(lesson.url).content.decode()
        assert "Publicada." in html and "Borrador." not in html

    def test_a_link_to_a_page_that_moved_follows_it(self, client, reader, small_course):
        lesson, target = _lesson(1), _lesson(3)
        link = f'<p><a linktype="page" id="{target.pk}">la tercera</a></p>'
        self._publish_body(lesson, [{"type": "paragraph", "value": link}])
        assert f'href="{target.url}"' in client.get(lesson.url).content.decode()
        target = LessonPage.objects.get(pk=target.pk)
        target.slug = "tercera-renombrada"
        target.save_revision().publish()
        html = client.get(lesson.url).content.decode()
        assert 'href="/cursos/curso-cache/tercera-renombrada/"' in html

    def test_a_replaced_picture_shows_its_new_file(self, client, reader, small_course):
        from io import BytesIO

        from django.core.files.images import ImageFile
        from PIL import Image as PILImage

        from tests.content.test_responsive_images import make_image

        image = make_image(title="foto-uno", size=(800, 400))
        lesson = _lesson(1)
        self._publish_body(
            lesson,
            [{"type": "image", "value": {"image": image.pk, "alt": "Una foto", "caption": ""}}],
        )
        assert "foto-uno" in client.get(lesson.url).content.decode()
        buffer = BytesIO()
        PILImage.new("RGB", (800, 400), (30, 30, 200)).save(buffer, "JPEG")
        # As Wagtail's image editor does: the new file, then its old renditions deleted.
        image.file = ImageFile(BytesIO(buffer.getvalue()), name="foto-dos.jpg")
        image.save()
        image.renditions.all().delete()
        html = client.get(lesson.url).content.decode()
        assert "foto-dos" in html and "foto-uno" not in html

    def test_each_language_has_its_own(self, client, reader):
        lesson = _lesson(1)
        self._publish_body(
            lesson,
            [
                {
                    "type": "practice_at_home",
                    "value": {"title": "", "problems": "<p>1 + 1</p>", "answers": "<p>2</p>"},
                }
            ],
        )
        assert "Ver las respuestas" in client.get(lesson.url).content.decode()
        client.post("/idioma/", {"language": "en", "next": "/"})
        html = client.get(lesson.url).content.decode()
        assert "Ver las respuestas" not in html


class TestAssessmentAtRevision:
    """``courses.api.assessment_at``: what a quiz submission and a result page grade and
    show, kept per revision under the pages' generation."""

    @pytest.fixture
    def quiz(self, small_course):
        page = AssessmentPage(title="Práctica de caché", slug="practica-cache", pass_mark=70)
        small_course.add_child(instance=page)
        page.save_revision().publish()
        return AssessmentPage.objects.get(pk=page.pk)

    def test_read_once_then_kept(self, quiz, small_course, django_assert_num_queries):
        assessment, course = courses_api.assessment_at(revision_id=quiz.live_revision_id)
        assert (assessment.pk, assessment.title, course.pk) == (
            quiz.pk,
            quiz.title,
            small_course.pk,
        )
        with django_assert_num_queries(0):
            again, course_again = courses_api.assessment_at(revision_id=quiz.live_revision_id)
        assert (again.title, again.pass_mark, course_again.pk) == (quiz.title, 70, small_course.pk)

    def test_an_older_revision_keeps_what_it_had(self, quiz):
        first = quiz.live_revision_id
        courses_api.assessment_at(revision_id=first)
        quiz.pass_mark = 90
        quiz.save_revision().publish()
        latest = AssessmentPage.objects.get(pk=quiz.pk).live_revision_id
        assert latest != first
        assert courses_api.assessment_at(revision_id=first)[0].pass_mark == 70
        assert courses_api.assessment_at(revision_id=latest)[0].pass_mark == 90

    def test_a_moved_assessment_is_in_its_new_course_at_once(self, quiz, catalog):
        courses_api.assessment_at(revision_id=quiz.live_revision_id)
        other = add_course(catalog=catalog, slug="otro-curso", title="Otro curso")
        Page.objects.get(pk=quiz.pk).move(other, pos="last-child")
        assessment, course = courses_api.assessment_at(revision_id=quiz.live_revision_id)
        assert course.pk == other.pk
        assert assessment.url_path.startswith(other.url_path)
