import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import api as courses_api
from lms.accounts import roles
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api


@pytest.fixture
def sedes(db, make_user):
    """Two sedes, each with a coordinator and a grupo."""
    made = {}
    for key in ("norte", "sur"):
        sede = enrollment_api.Sede.objects.create(
            key=key, name=f"Plaza {key}", kind=enrollment_api.SedeKind.PLAZA
        )
        coordinator = make_user(f"coordina-{key}", roles.COORDINADOR)
        sede.coordinators.add(coordinator)
        grupo = enrollment_api.Grupo.objects.create(sede=sede, name="Grupo 1")
        made[key] = (sede, coordinator, grupo)
    return made


def _learner(make_user, grupo, name, course, *, lessons_done=0):
    user = make_user(name, roles.EDUCANDO)
    enrollment_api.add_to_grupo(grupo=grupo, user=user)
    enrollment_api.enroll(user=user, course=course)
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    lessons = [s for s in steps.steps if s.kind == "lesson" and s.required]
    for step in lessons[:lessons_done]:
        progress_api.record_server_event(user=user, verb="completed", page_id=step.page_id)
    return user


def _rows(response):
    return {row.label: row for row in response.context["rows"]}


class TestAccess:
    def test_anonymous_goes_to_log_in(self, client, sedes):
        response = client.get("/coordinacion/")
        assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]

    @pytest.mark.parametrize("role", [roles.EDUCANDO, roles.ASESOR, roles.COORDINADOR])
    def test_without_a_sede_is_forbidden(self, client, make_user, sedes, role):
        client.force_login(make_user("sin-sede", role))
        assert client.get("/coordinacion/").status_code == 403

    def test_a_coordinator_sees_only_their_sede(self, client, sedes, make_user, course):
        norte, sur = sedes["norte"], sedes["sur"]
        _learner(make_user, sur[2], "de-sur", course)
        client.force_login(norte[1])
        response = client.get("/coordinacion/")
        assert response.status_code == 200
        assert list(_rows(response)) == ["Plaza norte"]
        assert "Plaza sur" not in response.content.decode()
        assert response.context["total"].enrolled == 0

    def test_an_administrator_sees_every_sede(self, client, sedes, make_user):
        client.force_login(make_user("jefa", roles.ADMINISTRADOR))
        assert set(_rows(client.get("/coordinacion/"))) == {"Plaza norte", "Plaza sur"}


def test_figures(client, sedes, make_user, course):
    _sede, coordinator, grupo = sedes["norte"]
    _learner(make_user, grupo, "a", course)
    _learner(make_user, grupo, "b", course, lessons_done=1)
    _learner(make_user, grupo, "c", course, lessons_done=5)
    client.force_login(coordinator)
    row = _rows(client.get("/coordinacion/"))["Plaza norte"]
    assert (row.enrolled, row.started, row.active_7, row.halfway, row.completed) == (3, 2, 2, 1, 0)
    assert row.completion_rate == 0


def test_queries_do_not_grow_with_learners(client, sedes, make_user, course):
    _sede, coordinator, grupo = sedes["norte"]
    client.force_login(coordinator)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/coordinacion/").status_code == 200
        return len(ctx.captured_queries)

    _learner(make_user, grupo, "uno", course, lessons_done=1)
    client.get("/coordinacion/")
    one = count()
    for index in range(5):
        _learner(make_user, grupo, f"mas-{index}", course, lessons_done=index)
    assert count() == one
