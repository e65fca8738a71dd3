from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from courses.models import CatalogPage
from lms.enrollment import api
from lms.enrollment.models import Enrollment
from tests.conftest import in_threads, lesson
from tests.factories.pages import add_course


def _enrolled(user, course) -> bool:
    return api.is_enrolled(user=user, course_id=course.pk)


class TestEnrollViews:
    def test_enroll_by_post(self, client, educando, course):
        client.force_login(educando)
        response = client.post(f"/mis-cursos/inscribir/{course.pk}/")
        assert response.status_code == 302 and response["Location"] == course.url
        assert _enrolled(educando, course)

    def test_get_never_enrolls(self, client, educando, course):
        client.force_login(educando)
        assert client.get(f"/mis-cursos/inscribir/{course.pk}/").status_code == 405
        assert not _enrolled(educando, course)

    def test_csrf_is_required(self, educando, course):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(educando)
        assert client.post(f"/mis-cursos/inscribir/{course.pk}/").status_code == 403
        assert not _enrolled(educando, course)

    def test_anonymous_is_sent_to_log_in(self, client, course):
        response = client.post(f"/mis-cursos/inscribir/{course.pk}/")
        assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]

    def test_unknown_course_is_404(self, client, educando):
        client.force_login(educando)
        assert client.post("/mis-cursos/inscribir/999999/").status_code == 404

    def test_withdraw_keeps_progress_and_allows_return(self, client, enrolled, course):
        from lms.progress import api as progress_api

        page = lesson("que-es-una-fraccion")
        progress_api.record_server_event(user=enrolled, verb="completed", page_id=page.pk)
        client.force_login(enrolled)
        assert client.post(f"/mis-cursos/baja/{course.pk}/").status_code == 302
        assert not _enrolled(enrolled, course)
        api.enroll(user=enrolled, course=course)
        assert Enrollment.objects.filter(user=enrolled, course_id=course.pk).count() == 1
        status = progress_api.lesson_status_for(user_id=enrolled.pk, page_ids=[page.pk])
        assert status[page.pk].status == "completed"

    def test_course_page_offers_enrollment(self, client, educando, course):
        client.force_login(educando)
        html = client.get(course.url).content.decode()
        assert f'action="/mis-cursos/inscribir/{course.pk}/"' in html
        api.enroll(user=educando, course=course)
        html = client.get(course.url).content.decode()
        assert "Tiene inscripción en este curso" in html

    def test_course_page_invites_anonymous_to_sign_up(self, client, course):
        html = client.get(course.url).content.decode()
        assert "/cuenta/registro/" in html and "/mis-cursos/inscribir/" not in html


class TestPolicy:
    def test_coordinator_only(self, educando, coordinador, course):
        course.enrollment_policy = "coordinator"
        course.save()
        with pytest.raises(api.EnrollmentError) as error:
            api.enroll(user=educando, course=course)
        assert error.value.code == "coordinator_only"
        assert "coordinación" in error.value.message
        api.enroll(user=educando, course=course, by=coordinador)
        assert _enrolled(educando, course)

    def test_window(self, educando, course):
        course.enrollment_opens_at = timezone.now() + timedelta(days=3)
        course.save()
        with pytest.raises(api.EnrollmentError, match="abre el"):
            api.enroll(user=educando, course=course)
        course.enrollment_opens_at = None
        course.enrollment_closes_at = timezone.now() - timedelta(minutes=1)
        course.save()
        with pytest.raises(api.EnrollmentError, match="ya cerró"):
            api.enroll(user=educando, course=course)

    def test_capacity(self, make_user, course):
        course.capacity = 1
        course.save()
        first, second = make_user("uno"), make_user("dos")
        api.enroll(user=first, course=course)
        api.enroll(user=first, course=course)  # again: still one seat taken
        with pytest.raises(api.EnrollmentError) as error:
            api.enroll(user=second, course=course)
        assert error.value.code == "full"
        api.withdraw(user=first, course=course)
        api.enroll(user=second, course=course)
        assert _enrolled(second, course)

    def test_refusal_is_shown_to_the_learner(self, client, educando, course):
        course.enrollment_policy = "coordinator"
        course.save()
        client.force_login(educando)
        response = client.post(f"/mis-cursos/inscribir/{course.pk}/", follow=True)
        assert "solo inscribe la coordinación" in response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks need PostgreSQL; SQLite serialises writers anyway",
)
def test_two_learners_racing_for_the_last_seat(committed):
    catalog = CatalogPage.objects.get()
    course = add_course(catalog=catalog, slug="ultimo-lugar", capacity=1)
    committed.append(course)
    users = [get_user_model().objects.create_user(username=f"carrera{i}") for i in range(6)]
    committed.extend(users)
    outcomes = []

    def take_seat(user):
        try:
            api.enroll(user=user, course=course)
            outcomes.append("ok")
        except api.EnrollmentError as error:
            outcomes.append(error.code)

    in_threads(take_seat, users)
    assert sorted(outcomes) == ["full"] * 5 + ["ok"]
    assert Enrollment.objects.filter(course_id=course.pk).count() == 1
