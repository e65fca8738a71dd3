"""A learner who signed up on their own joins their sede's grupo with its code."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.enrollment import api
from lms.enrollment.models import Grupo


def _code(client, coordinator, grupo) -> str:
    client.force_login(coordinator)
    code = client.get(f"/coordinacion/grupo/{grupo.pk}/").context["join_code"]
    client.logout()
    return code


def test_joining_with_the_code_shares_progress_with_the_sede(client, norte, make_learner):
    _sede, coordinator, grupo = norte
    code = _code(client, coordinator, grupo)
    assert len(code) == 9 and code[4] == "-"
    learner = make_learner("por-su-cuenta")
    client.force_login(learner)
    page = client.get("/mis-cursos/grupo/")
    assert "podrá ver su avance" in page.content.decode()
    typed = f"  {code.lower().replace('-', ' ')} "
    response = client.post("/mis-cursos/grupo/", {"code": typed}, follow=True)
    assert "Ya es parte del grupo" in response.content.decode()
    assert list(learner.grupos.all()) == [grupo]
    client.force_login(coordinator)
    assert client.get(f"/coordinacion/educando/{learner.pk}/").status_code == 200


def test_the_code_is_stable_until_changed(client, norte, make_learner):
    _sede, coordinator, grupo = norte
    first = _code(client, coordinator, grupo)
    assert _code(client, coordinator, grupo) == first
    client.force_login(coordinator)
    client.post(f"/coordinacion/grupo/{grupo.pk}/codigo/")
    second = _code(client, coordinator, grupo)
    assert second != first
    learner = make_learner("tarde")
    with pytest.raises(api.EnrollmentError):
        api.join_grupo(user=learner, code=first)
    assert api.join_grupo(user=learner, code=second) == grupo


@pytest.mark.parametrize("typed", ["", "ABCD", "ZZZZ-ZZZZ", "no es un código"])
def test_a_wrong_code_is_explained_and_changes_nothing(client, norte, make_learner, typed):
    _sede, coordinator, grupo = norte
    _code(client, coordinator, grupo)
    learner = make_learner("se-equivoca")
    client.force_login(learner)
    response = client.post("/mis-cursos/grupo/", {"code": typed})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not learner.grupos.exists()


def test_a_closed_sede_takes_nobody(client, norte, make_learner):
    sede, coordinator, grupo = norte
    code = _code(client, coordinator, grupo)
    sede.active = False
    sede.save()
    with pytest.raises(api.EnrollmentError):
        api.join_grupo(user=make_learner("tarde"), code=code)


def test_log_in_first(client, db):
    response = client.get("/mis-cursos/grupo/")
    assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]


def test_guessing_is_rate_limited(client, norte, make_learner, settings):
    settings.AULA_JOIN_GRUPO_RATE = "3/h"
    cache.clear()
    client.force_login(make_learner("adivina"))
    statuses = [
        client.post("/mis-cursos/grupo/", {"code": "ZZZZZZZZ"}).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    cache.clear()


def test_every_new_grupo_has_a_code_and_showing_it_writes_nothing(client, norte):
    sede, coordinator, _grupo = norte
    grupo = Grupo.objects.create(sede=sede, name="Nuevo")
    assert len(grupo.join_code) == 8
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/coordinacion/grupo/{grupo.pk}/")
    assert response.context["join_code"] == api.format_join_code(grupo.join_code)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert not [sql for sql in writes if "enrollment_grupo" in sql]
