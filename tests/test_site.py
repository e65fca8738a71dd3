"""The learner-facing site: Spanish first, light pages, no third-party requests."""

import gzip
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import CoursePage, LessonPage
from tests.factories.pages import add_course, add_lesson
from tests.helpers import complete_required_lessons


def _lesson(slug="que-es-una-fraccion"):
    return LessonPage.objects.get(slug=slug)


@pytest.fixture
def learner(client, educando):
    """An educanda enrolled in every shipped course, logged in."""
    from lms.enrollment import api as enrollment_api

    for course in CoursePage.objects.live():
        enrollment_api.enroll(user=educando, course=course)
    client.force_login(educando)
    return educando


@pytest.mark.parametrize("path", ["/", "/cursos/", "/cursos/fracciones-y-porcentajes/"])
def test_public_pages_are_spanish_by_default(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es-MX">' in html
    assert "Ir al contenido" in html


def test_english_is_available(client, db):
    response = client.post("/idioma/", {"language": "en", "next": "/cursos/"})
    assert response.status_code == 302
    html = client.get("/cursos/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Ir al contenido" not in html


def test_lesson_page_renders_its_blocks_and_navigation(client, learner):
    lesson = _lesson()
    response = client.get(lesson.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert lesson.title in html
    assert 'rel="next"' in html
    assert "Paso 1 de" in html


def test_assessment_page_renders_questions_without_answers(client, learner):
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    complete_required_lessons(learner, course)  # the final opens after the lessons
    exam = course.final_assessment
    html = client.get(exam.url).content.decode()
    assert html.count('class="question"') == len(exam.questions)
    assert "Se aprueba con 70" in html
    for block in exam.questions:
        assert f'name="q-{block.id}"' in html
    assert "feedback" not in html and "accepted_answers" not in html


def _assets(html: str) -> list[str]:
    return re.findall(
        r'<(?:link|script|img|iframe|source|video|audio)[^>]+(?:href|src)="([^"]+)"', html
    )


@pytest.mark.parametrize("slug", ["que-es-una-fraccion", "enviar-dinero-a-casa"])
def test_lesson_page_makes_no_third_party_requests(client, learner, slug):
    lesson = LessonPage.objects.filter(slug=slug).first() or _lesson()
    html = client.get(lesson.url).content.decode()
    for url in _assets(html):
        assert not re.match(r"^(https?:)?//", url), url


def test_lesson_page_weight_under_30_kb_compressed(client, learner):
    """HTML + CSS + JS of the heaviest shipped lesson, as an enrolled learner sees it,
    gzip-compressed, media excluded."""
    sizes = []
    for lesson in LessonPage.objects.live():
        response = client.get(lesson.url)
        assert response.status_code == 200
        html = response.content
        total = len(gzip.compress(html))
        for url in _assets(html.decode()):
            if url.endswith((".css", ".js")):
                path = finders.find(url.removeprefix("/static/"))
                with open(path, "rb") as handle:
                    total += len(gzip.compress(handle.read()))
        sizes.append(total)
    assert max(sizes) < 30 * 1024, max(sizes)


def test_pages_are_served_compressed(client, db):
    response = client.get("/cursos/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


def test_course_page_queries_do_not_grow_with_lessons(client, catalog):
    def queries(course):
        client.get(course.url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(course.url)
        return len(ctx.captured_queries)

    small = add_course(catalog=catalog, slug="pocas", lessons=3)
    large = add_course(catalog=catalog, slug="muchas", lessons=30)
    assert queries(small) == queries(large)


def test_unpublished_lessons_are_hidden_from_the_outline(client, catalog):
    course = add_course(catalog=catalog, slug="con-borrador", lessons=2)
    draft = add_lesson(parent=course, slug="borrador", title="Lección en borrador")
    draft.unpublish()
    html = client.get(course.url).content.decode()
    assert "Lección 1" in html and "Lección en borrador" not in html


def test_spanish_even_when_the_phone_asks_for_english(client, db):
    html = client.get("/cursos/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="es-MX">' in html and "Ir al contenido" in html


def test_language_choice_is_remembered_and_reversible(client, db):
    client.post("/idioma/", {"language": "en", "next": "/"})
    assert "Skip to content" in client.get("/").content.decode()
    client.post("/idioma/", {"language": "es-mx", "next": "/"})
    assert "Ir al contenido" in client.get("/").content.decode()


def test_unknown_language_cookie_falls_back_to_spanish(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="es-MX">' in client.get("/").content.decode()


def test_each_page_has_its_own_title_a_description_and_the_icon(client, db):
    """Search results and bookmarks show the page for what it is: the home page's title
    says what Aula is (not "Aula · Aula"), a course's description is its summary, and
    the icon is Aula's own file (no request to /favicon.ico that ends in a 404)."""
    home = client.get("/").content.decode()
    assert "<title>Aula: estudie desde su casa, a su ritmo y en español</title>" in home
    assert '<meta name="description" content="Cursos gratuitos en español' in home
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', home)
    assert icon and finders.find("img/aula.svg")
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    html = client.get(course.url).content.decode()
    assert "<title>Fracciones y porcentajes · Aula</title>" in html
    description = re.search(r'<meta name="description" content="([^"]+)">', html).group(1)
    assert description.startswith(course.summary[:40])
    client.cookies["django_language"] = "en"
    english = client.get("/").content.decode()
    assert "<title>Aula: study from home, at your own pace, in Spanish</title>" in english
