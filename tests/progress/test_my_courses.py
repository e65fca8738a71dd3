from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import api as courses_api
from courses.models import CoursePage
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment
from lms.progress import api
from tests.conftest import lesson


def test_login_required(client):
    response = client.get("/mis-cursos/")
    assert response.status_code == 302 and response["Location"].startswith("/cuenta/entrar/")


def test_empty_state_points_to_the_catalog(client, educando):
    client.force_login(educando)
    html = client.get("/mis-cursos/").content.decode()
    assert "Todavía no tiene ningún curso" in html and 'href="/cursos/"' in html


def test_progress_bar_and_continue(client, enrolled, course):
    first, second = lesson("que-es-una-fraccion"), lesson("fracciones-equivalentes")
    api.record_server_event(user=enrolled, verb="completed", page_id=first.pk)
    client.force_login(enrolled)
    html = client.get("/mis-cursos/").content.decode()
    assert course.title in html and "En curso" in html
    assert '<progress id="avance-' in html
    assert f'href="{second.url}"' in html and "Continuar" in html


def test_resume_where_they_left_off(client, enrolled):
    third = lesson("operaciones-con-fracciones")
    api.record_server_event(user=enrolled, verb="started", page_id=third.pk)
    client.force_login(enrolled)
    html = client.get("/mis-cursos/").content.decode()
    assert f'href="{third.url}"' in html


def test_only_their_own_courses(client, enrolled, make_user):
    other = make_user("vecina")
    enrollment_api.enroll(user=other, course=CoursePage.objects.get(slug="salud-y-prevencion"))
    client.force_login(enrolled)
    html = client.get("/mis-cursos/").content.decode()
    assert "Salud y prevención" not in html


def test_credential_progress_after_completing(client, enrolled, course):
    enrollment = Enrollment.objects.get(user=enrolled)
    enrollment.completed_at = enrollment.enrolled_at
    enrollment.save()
    client.force_login(enrolled)
    html = client.get("/mis-cursos/").content.decode()
    assert "Fracciones y porcentajes (B3MFP)" in html
    assert "Certificado de secundaria" in html and "1 de 12 módulos" in html


def test_queries_do_not_grow_with_courses(client, educando):
    client.force_login(educando)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/mis-cursos/").status_code == 200
        return len(ctx.captured_queries)

    courses = list(CoursePage.objects.live())
    enrollment_api.enroll(user=educando, course=courses[0])
    client.get("/mis-cursos/")
    one = count()
    for course in courses[1:]:
        enrollment_api.enroll(user=educando, course=course)
        api.record_server_event(
            user=educando,
            verb="started",
            page_id=courses_api.course_steps(course_ids=[course.pk])[course.pk].steps[0].page_id,
        )
    assert count() == one
