import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import CoursePage
from tests.factories.pages import add_course


def _titles(response):
    return [c.title for c in response.context["courses"]]


def test_catalog_lists_every_live_course(client, db):
    response = client.get("/cursos/")
    assert response.status_code == 200
    assert len(_titles(response)) >= 4
    assert "Fracciones y porcentajes" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Nuestros documentos asserts no level: the curriculum data leaves it open.
        ({"nivel": "avanzado"}, {"fracciones-y-porcentajes"}),
        (
            {"nivel": "intermedio"},
            {
                "finanzas-personales",
                "salud-y-prevencion",
                "los-numeros",
                "cuentas-utiles",
                "figuras-y-medidas",
                "vamos-a-conocernos",
            },
        ),
        # Finanzas personales claims no module, so no eje either.
        (
            {"eje": "matematicas"},
            {"fracciones-y-porcentajes", "los-numeros", "cuentas-utiles", "figuras-y-medidas"},
        ),
        ({"modulo": "B2MCU"}, {"cuentas-utiles"}),
        ({"modulo": "B2CVM"}, {"salud-y-prevencion"}),
        # Its module is in the Cultura ciudadana eje (a working value of the data).
        ({"eje": "cultura-ciudadana"}, {"nuestros-documentos"}),
        ({"nivel": "avanzado", "eje": "matematicas"}, {"fracciones-y-porcentajes"}),
        ({"nivel": "no-existe"}, None),  # unknown values are ignored, not errors
    ],
)
def test_filters(client, db, params, expected):
    response = client.get("/cursos/", params)
    assert response.status_code == 200
    slugs = {c.slug for c in response.context["courses"]}
    if expected is None:
        assert len(slugs) >= 4
    else:
        assert slugs == expected


@pytest.mark.parametrize("query", ["matemáticas", "matematicas", "MATEMATICAS", "  Fracciones "])
def test_search_ignores_accents_case_and_spaces(client, db, query):
    response = client.get("/cursos/", {"q": query})
    assert "fracciones-y-porcentajes" in {c.slug for c in response.context["courses"]}


def test_search_finds_by_topic(client, db):
    response = client.get("/cursos/", {"q": "pasaporte"})
    slugs = [c.slug for c in response.context["courses"]]
    assert "nuestros-documentos" in slugs
    assert "fracciones-y-porcentajes" not in slugs


def test_search_with_no_result_says_so(client, db):
    response = client.get("/cursos/", {"q": "astronomía cuántica"})
    assert response.context["courses"] == []
    assert "No encontramos cursos" in response.content.decode()


def test_catalog_queries_do_not_grow_with_courses(client, catalog):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/cursos/").status_code == 200
        return len(ctx.captured_queries)

    client.get("/cursos/")  # warm caches (site root paths, renditions)
    before = count()
    cover = CoursePage.objects.get(slug="finanzas-personales").cover_image
    for n in range(5):
        add_course(catalog=catalog, slug=f"extra-{n}", title=f"Extra {n}", cover_image=cover)
    client.get("/cursos/")  # the first request after a change rebuilds the filter choices
    assert count() == before
