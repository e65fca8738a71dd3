from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.accounts import roles
from tests import helpers


def _rows(response):
    return {row.label: row for row in response.context["rows"]}


class TestAccess(TestCase):
    """Who may open the home page: the sedes and a learner of sur, built once."""

    @classmethod
    def setUpTestData(cls):
        cls.sedes = helpers.make_sedes()
        helpers.make_learner("de-sur", cls.sedes["sur"][2], helpers.the_course())

    def test_anonymous_goes_to_log_in(self):
        client = self.client
        response = client.get("/coordinacion/")
        assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]

    def test_without_a_sede_is_forbidden_educando(self):
        self.without_a_sede_is_forbidden(roles.EDUCANDO)

    def test_without_a_sede_is_forbidden_asesor(self):
        self.without_a_sede_is_forbidden(roles.ASESOR)

    def test_without_a_sede_is_forbidden_coordinador(self):
        self.without_a_sede_is_forbidden(roles.COORDINADOR)

    def without_a_sede_is_forbidden(self, role):
        client, make_user = self.client, helpers.make_user
        client.force_login(make_user("sin-sede", role))
        assert client.get("/coordinacion/").status_code == 403

    def test_a_coordinator_sees_only_their_sede(self):
        client, sedes = self.client, self.sedes
        norte = sedes["norte"]  # "de-sur" is a learner of the other sede
        client.force_login(norte[1])
        response = client.get("/coordinacion/")
        assert response.status_code == 200
        assert list(_rows(response)) == ["Plaza norte"]
        assert "Plaza sur" not in response.content.decode()
        assert response.context["total"].enrolled == 0

    def test_an_administrator_sees_every_sede(self):
        client, make_user = self.client, helpers.make_user
        client.force_login(make_user("jefa", roles.ADMINISTRADOR))
        assert set(_rows(client.get("/coordinacion/"))) == {"Plaza norte", "Plaza sur"}


def test_figures(client, sedes, make_learner, course):
    _sede, coordinator, grupo = sedes["norte"]
    make_learner("a", grupo, course)
    make_learner("b", grupo, course, lessons_done=1)
    make_learner("c", grupo, course, lessons_done=5)
    client.force_login(coordinator)
    row = _rows(client.get("/coordinacion/"))["Plaza norte"]
    assert (row.enrolled, row.started, row.active_7, row.halfway, row.completed) == (3, 2, 2, 1, 0)
    assert row.completion_rate == 0


def test_queries_do_not_grow_with_learners(client, sedes, make_learner, course):
    _sede, coordinator, grupo = sedes["norte"]
    client.force_login(coordinator)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/coordinacion/").status_code == 200
        return len(ctx.captured_queries)

    make_learner("uno", grupo, course, lessons_done=1)
    client.get("/coordinacion/")
    one = count()
    for index in range(5):
        make_learner(f"mas-{index}", grupo, course, lessons_done=index)
    assert count() == one


def test_a_learner_in_two_sedes_counts_in_each_and_once_in_the_total(
    client, sedes, make_learner, make_user, course
):
    """The aggregate says when a learner is in grupos of two sedes; only then is the
    total counted again, so that learner is one enrollment and one learner at risk in it,
    not two. Without such a learner, the total is the sum of the rows."""
    from lms.enrollment import api as enrollment_api
    from lms.enrollment.models import Enrollment

    _norte, _c, grupo_norte = sedes["norte"]
    _sur, _c, grupo_sur = sedes["sur"]
    make_learner("solo-norte", grupo_norte, course)
    client.force_login(make_user("jefa", roles.ADMINISTRADOR))
    home = client.get("/coordinacion/")
    assert home.context["total"].enrolled == 1

    both = make_learner("en-dos", grupo_norte, course)
    enrollment_api.add_to_grupo(grupo=grupo_sur, user=both)
    # Enrolled long ago and never started: both learners are at risk.
    Enrollment.objects.update(enrolled_at=timezone.now() - timedelta(days=90))
    home = client.get("/coordinacion/")
    rows, total = _rows(home), home.context["total"]
    assert (rows["Plaza norte"].enrolled, rows["Plaza sur"].enrolled) == (2, 1)
    assert total.enrolled == 2  # not 3
    assert (rows["Plaza norte"].at_risk, rows["Plaza sur"].at_risk) == (2, 1)
    assert total.at_risk == home.context["at_risk"] == 2
