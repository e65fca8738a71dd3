"""GET /api/v1/coordinacion/inscripciones/: the «inscripciones» export as JSON."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lms.accounts import roles
from lms.enrollment.models import Sede
from lms.exports.api_views import InscripcionSerializer
from tests import helpers
from tests.exports import test_exports

URL = "/api/v1/coordinacion/inscripciones/"
world = test_exports.world  # the same data set as the file exports, for one test


@pytest.fixture
def api_client():
    return APIClient()


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["usuario"] for row in response.json()["results"]]


class TestAccess(test_exports.WorldTestCase):
    def test_anonymous_gets_401(self):
        api_client = APIClient()
        response = api_client.get(URL)
        assert response.status_code == 401
        # Personal tokens (accounts) come first; DRF's "Token …" keeps working after them.
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_without_a_sede_gets_403_educando(self):
        self.without_a_sede_gets_403(roles.EDUCANDO)

    def test_without_a_sede_gets_403_asesor(self):
        self.without_a_sede_gets_403(roles.ASESOR)

    def test_without_a_sede_gets_403_coordinador(self):
        self.without_a_sede_gets_403(roles.COORDINADOR)

    def without_a_sede_gets_403(self, role):
        api_client, make_user = APIClient(), helpers.make_user
        api_client.force_authenticate(make_user("sin-sede", role))
        response = api_client.get(URL)
        assert response.status_code == 403
        assert response.json()["detail"] == ("Esta consulta es solo para la coordinación de sedes.")

    def test_a_learner_of_the_sede_gets_403(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["ana"])
        assert api_client.get(URL).status_code == 403

    def test_coordinators_see_their_sede_only(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["coordinator"])
        assert usernames(api_client.get(URL)) == ["ana", "beto", "carla", "dora"]
        api_client.force_authenticate(world["sur_coordinator"])
        assert usernames(api_client.get(URL)) == ["eva"]

    def test_administrator_sees_all(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["admin"])
        assert usernames(api_client.get(URL)) == ["ana", "beto", "carla", "dora", "eva"]

    def test_token_and_session_authentication(self):
        client, world = self.client, self.world
        token = Token.objects.create(user=world["coordinator"])
        response = APIClient().get(URL, HTTP_AUTHORIZATION=f"Token {token.key}")
        assert usernames(response) == ["ana", "beto", "carla", "dora"]
        assert APIClient().get(URL, HTTP_AUTHORIZATION="Token malo").status_code == 401
        client.force_login(world["sur_coordinator"])
        assert usernames(client.get(URL)) == ["eva"]

    def test_read_only(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["coordinator"])
        assert api_client.post(URL, {}, format="json").status_code == 405
        assert api_client.delete(URL).status_code == 405


class TestRows(test_exports.WorldTestCase):
    def test_fields_match_the_documented_serializer(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["coordinator"])
        rows = {r["usuario"]: r for r in api_client.get(URL).json()["results"]}
        assert all(set(r) == set(InscripcionSerializer().fields) for r in rows.values())
        ana, beto, carla = rows["ana"], rows["beto"], rows["carla"]
        assert ana["nombre"] == "Ana Pérez" and ana["telefono"] == "+52 55 1234 5678"
        assert ana["inscrito_el"] == "2026-01-10T10:00:00-08:00"  # local, with offset
        assert ana["estado"] == "activa" and ana["lecciones_terminadas"] == 2
        assert ana["dado_de_baja_el"] is None and ana["folio"] is None
        assert beto["estado"] == "concluida" and beto["calificacion_final"] == 90.0
        assert beto["folio"] == world["certificates"][1].folio
        assert carla["estado"] == "dada_de_baja"  # a stable code, not a translated label
        assert rows["dora"]["avance"] is None and rows["dora"]["correo"] is None

    def test_filters(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["admin"])
        assert usernames(api_client.get(URL, {"sede": world["sur"].pk})) == ["eva"]
        assert usernames(api_client.get(URL, {"grupo": world["grupo2"].pk})) == ["carla", "dora"]
        assert usernames(api_client.get(URL, {"desde": "2026-02-15", "hasta": "2026-02-15"})) == [
            "beto"
        ]
        assert usernames(api_client.get(URL, {"curso": world["course"].pk})) == [
            "ana",
            "beto",
            "carla",
            "dora",
            "eva",
        ]

    def test_bad_filters_get_400_with_spanish_errors(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["coordinator"])
        response = api_client.get(URL, {"sede": world["sur"].pk, "hasta": "ayer"})
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert errors["sede"][0]["message"] == (
            "Esa sede no existe o no es una de las sedes que usted coordina."
        )
        assert errors["hasta"][0]["code"] == "invalid"
        response = api_client.get(URL, {"desde": "2026-03-02", "hasta": "2026-03-01"})
        assert response.status_code == 400
        assert response.json()["errors"]["hasta"][0]["message"].startswith("La fecha «hasta»")
        forged = api_client.get(URL, {"grupo": world["sur_grupo"].pk})
        assert forged.status_code == 400


class TestPagination(test_exports.WorldTestCase):
    def test_limit_and_offset(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["admin"])
        first = api_client.get(URL, {"limit": 2}).json()
        assert first["count"] == 5 and len(first["results"]) == 2
        assert first["previous"] is None and "offset=2" in first["next"]
        second = api_client.get(first["next"]).json()
        last = api_client.get(second["next"]).json()
        names = [r["usuario"] for page in (first, second, last) for r in page["results"]]
        assert names == ["ana", "beto", "carla", "dora", "eva"]
        assert last["next"] is None

    def test_at_most_500_per_page(self):
        api_client, world = APIClient(), self.world
        api_client.force_authenticate(world["admin"])
        response = api_client.get(URL, {"limit": 10000, "offset": 4})
        assert response.status_code == 200
        assert len(response.json()["results"]) == 1
        assert "limit=500" in (response.json()["previous"] or "")


class TestPaginationAfterChanges:
    """Tests that change the world first: it is built for each of them alone."""

    def test_queries_do_not_grow_with_rows(self, api_client, world, make_learner):
        api_client.force_authenticate(world["coordinator"])

        def count():
            with CaptureQueriesContext(connection) as ctx:
                assert api_client.get(URL, {"limit": 500}).status_code == 200
            return len(ctx.captured_queries)

        count()
        small = count()
        for index in range(10):
            make_learner(f"mas-{index}", world["grupo1"], world["course"], lessons_done=1)
        assert count() == small


def test_in_the_openapi_schema(client):
    schema = json.loads(client.get("/api/v1/schema/?format=json").content)
    operation = schema["paths"][URL]["get"]
    assert operation["operationId"] == "coordinacion_inscripciones_list"
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"desde", "hasta", "sede", "grupo", "curso", "limit", "offset"} <= parameters
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    page = schema["components"]["schemas"]["InscripcionesPage"]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}


def test_a_coordinator_who_loses_the_sede_loses_access(api_client, world):
    api_client.force_authenticate(world["coordinator"])
    assert api_client.get(URL).status_code == 200
    Sede.objects.get(pk=world["norte"].pk).coordinators.clear()
    assert api_client.get(URL).status_code == 403
