"""Lessons, assessments and their files are for enrolled learners and staff only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model

from courses.models import CoursePage, LessonPage
from lms.enrollment import api
from tests.conftest import lesson
from tests.factories.pages import add_course


@pytest.fixture
def page(db):
    return lesson("que-es-una-fraccion")


def test_course_page_is_public(client, course):
    assert client.get(course.url).status_code == 200


def test_anonymous_is_sent_to_log_in(client, page, course):
    for url in (page.url, course.final_assessment.url):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/cuenta/entrar/?next=")


def test_learner_not_enrolled_gets_403_with_a_way_in(client, educando, page, course):
    client.force_login(educando)
    for url in (page.url, course.final_assessment.url):
        response = client.get(url)
        assert response.status_code == 403
        html = response.content.decode()
        assert f"/mis-cursos/inscribir/{course.pk}/" in html
        assert "Marcar como terminada" not in html


def test_enrolled_learner_and_staff_see_lessons(client, enrolled, asesor, page):
    client.force_login(enrolled)
    assert client.get(page.url).status_code == 200
    client.force_login(asesor)
    assert client.get(page.url).status_code == 200


def test_enrollment_in_another_course_is_not_enough(client, educando, page):
    other = CoursePage.objects.get(slug="salud-y-prevencion")
    api.enroll(user=educando, course=other)
    client.force_login(educando)
    assert client.get(page.url).status_code == 403


def test_withdrawn_learner_loses_access(client, enrolled, course, page):
    api.withdraw(user=enrolled, course=course)
    client.force_login(enrolled)
    assert client.get(page.url).status_code == 403


class TestDocuments:
    @pytest.fixture
    def budget(self, db):
        document = get_document_model().objects.get(
            title="finanzas-personales/media/presupuesto-mensual.csv"
        )
        return document, CoursePage.objects.get(slug="finanzas-personales")

    def test_file_url_is_protected(self, client, educando, budget):
        document, finance = budget
        response = client.get(document.url)
        assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]
        client.force_login(educando)
        assert client.get(document.url).status_code == 403
        api.enroll(user=educando, course=finance)
        response = client.get(document.url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("Tipo,Concepto")

    def test_unused_file_is_staff_only(self, client, educando, asesor):
        from django.core.files.base import ContentFile

        document = get_document_model()(title="suelto")
        document.file.save("suelto.pdf", ContentFile(b"%PDF-1.4"), save=True)
        client.force_login(educando)
        assert client.get(document.url).status_code == 403
        client.force_login(asesor)
        assert client.get(document.url).status_code == 200


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_lesson_page_queries_for_an_enrolled_learner_do_not_grow(client, educando, catalog):
    small = add_course(catalog=catalog, slug="cinco-lecciones", lessons=5)
    large = add_course(catalog=catalog, slug="cincuenta-lecciones", lessons=50)
    for course in (small, large):
        api.enroll(user=educando, course=course)
    client.force_login(educando)
    first = LessonPage.objects.child_of(small).first()
    middle = LessonPage.objects.child_of(large).get(slug="leccion-25")
    assert _queries(client, first.url) == _queries(client, middle.url)


def test_lesson_page_query_count_is_pinned(client, enrolled, page, django_assert_num_queries):
    client.force_login(enrolled)
    client.get(page.url)
    # Session, user, the enrollment and the learner's progress. The site, the page and its
    # course come from the route kept under the pages' generation, the rest of the page
    # from its shell (lms/progress/lesson_shell.py), and Wagtail's privacy check makes no
    # query while no page is private (tests/courses/test_page_cache.py).
    with django_assert_num_queries(4):
        client.get(page.url)


def test_the_written_out_enrollment_query_answers_as_the_orm_does(make_user, course, catalog):
    """``is_enrolled`` runs its query written out (the hottest one of the site): for every
    case it answers what the ORM's query answers."""
    from lms.enrollment.models import Enrollment

    other_course = add_course(catalog=catalog, slug="otro-curso", title="Otro", lessons=1)
    ana, beto, carla = (make_user(name) for name in ("ana-sql", "beto-sql", "carla-sql"))
    api.enroll(user=ana, course=course)
    api.enroll(user=beto, course=course)
    api.withdraw(user=beto, course=course)
    api.enroll(user=carla, course=other_course)
    answers = {
        (user.username, c.slug): api.is_enrolled(user=user, course_id=c.pk)
        for user in (ana, beto, carla)
        for c in (course, other_course)
    }
    assert answers == {
        (user.username, c.slug): Enrollment.objects.filter(
            user=user, course=c, withdrawn_at__isnull=True
        ).exists()
        for user in (ana, beto, carla)
        for c in (course, other_course)
    }
    assert answers[("ana-sql", course.slug)] and answers[("carla-sql", "otro-curso")]
    assert not answers[("beto-sql", course.slug)]  # withdrawn
    assert sum(answers.values()) == 2
