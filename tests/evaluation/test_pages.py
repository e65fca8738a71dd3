"""The evaluation pages under /coordinacion/evaluacion/: what they show, what they withhold
from small groups, who may see them, and how many queries they take."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import Module
from lms.accounts import api as accounts_api
from lms.enrollment.models import Enrollment, Grupo
from lms.progress.models import CourseProgress
from tests.factories.pages import add_course

PROGRAM = "/coordinacion/evaluacion/"

# Queries of a page with the figures not yet cached, for a coordinator: 7 to sign in and
# find the scope (session, user, second factor, permissions ×2, the scope check, the
# sedes), the gains (lms/evaluation/gains.py: the sums of every breakdown in one query,
# the courses' titles, and the grupos' names on a sede's page), retention (1), time to
# completion (1) and the credential funnel (7: learners, covering courses, completed
# pairs, modules, rules, their requirements and levels).
PROGRAM_QUERIES = 17
SEDE_QUERIES = 18
GRUPO_QUERIES = 17


def _sede_url(sede):
    return f"{PROGRAM}sede/{sede.key}/"


def _grupo_url(grupo):
    return f"{PROGRAM}grupo/{grupo.pk}/"


@pytest.fixture
def make_cohort(make_learner, catalog):
    """``make_cohort(grupo, count, prefix)``: ``count`` learners of ``grupo``, each enrolled
    60 days ago in the same course, learner k completing it k + 1 days (and 3 hours) after
    enrolling and studying until then."""
    courses = []

    def make(grupo, count, prefix="e"):
        if not courses:
            courses.append(add_course(catalog=catalog, slug="evaluado", title="Curso evaluado"))
        course = courses[0]
        learners = []
        start = timezone.now() - timedelta(days=60)
        for k in range(count):
            learner = make_learner(f"{prefix}-{k}", grupo)
            Enrollment.objects.create(
                user=learner,
                course=course,
                enrolled_at=start,
                completed_at=start + timedelta(days=k + 1, hours=3),
            )
            CourseProgress.objects.create(
                user=learner,
                course_id=course.pk,
                percent=100,
                last_activity_at=start + timedelta(days=k + 1),
            )
            learners.append(learner)
        return learners

    return make


def _section(html: str, section_id: str) -> str:
    """The text of ``<section id="…">`` without tags."""
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    assert match, section_id
    return re.sub(r"<[^>]+>", " ", match.group(0))


class TestProgram:
    def test_figures_charts_and_tables(self, client, sedes, make_cohort):
        _sede, coordinator, grupo = sedes["norte"]
        make_cohort(grupo, 12)
        client.force_login(coordinator)
        response = client.get(PROGRAM)
        assert response.status_code == 200
        completion = response.context["completion"]
        assert (completion.n, completion.median_days, completion.too_few) == (12, 6.5, False)
        funnel = response.context["funnel"]
        assert (funnel.learners, funnel.too_few) == (12, False)
        (curve,) = response.context["curves"]
        assert (curve.n, curve.too_few) == (12, False)
        # Learner k studied until day k + 1 and completed: everyone active every week.
        assert {share for _week, share in curve.points} == {100.0}
        html = response.content.decode()
        assert html.count("<svg") >= 3 and "<polyline" in html
        assert html.count("Ver los datos en una tabla") >= 2
        assert "g de Hake" in html and "Mediana (días)" in html
        assert "6.5" in _section(html, "conclusion")
        assert f'href="{_sede_url(sedes["norte"][0])}"' not in html  # one sede: no list

    def test_only_the_viewers_sedes_count(self, client, sedes, make_cohort):
        make_cohort(sedes["norte"][2], 10, "n")
        make_cohort(sedes["sur"][2], 3, "s")
        client.force_login(sedes["norte"][1])
        assert client.get(PROGRAM).context["funnel"].learners == 10
        cache.clear()
        client.force_login(sedes["sur"][1])
        response = client.get(PROGRAM)
        assert response.context["funnel"].learners == 3
        assert response.context["funnel"].too_few

    def test_an_administrator_sees_every_sede(self, client, sedes, make_cohort, make_user):
        make_cohort(sedes["norte"][2], 10, "n")
        make_cohort(sedes["sur"][2], 3, "s")
        client.force_login(make_user("jefa", accounts_api.roles.ADMINISTRADOR))
        response = client.get(PROGRAM)
        assert response.context["funnel"].learners == 13
        assert response.context["completion"].n == 13
        html = response.content.decode()
        for sede, _coordinator, _grupo in sedes.values():
            assert f'href="{_sede_url(sede)}"' in html

    def test_figures_are_cached_per_scope(self, client, sedes, make_cohort):
        _sede, coordinator, grupo = sedes["norte"]
        make_cohort(grupo, 10)
        client.force_login(coordinator)
        assert client.get(PROGRAM).context["funnel"].learners == 10
        make_cohort(grupo, 2, "tarde")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PROGRAM).context["funnel"].learners == 10
        assert len(queries.captured_queries) < PROGRAM_QUERIES - 5
        cache.clear()
        assert client.get(PROGRAM).context["funnel"].learners == 12

    def test_beat_computes_the_whole_programs_figures_ahead(
        self, client, sedes, make_cohort, make_user
    ):
        from lms.evaluation.tasks import warm_figures

        _sede, _coordinator, grupo = sedes["norte"]
        make_cohort(grupo, 10)
        admin = make_user("admin-programa", accounts_api.roles.ADMINISTRADOR)
        assert warm_figures() == 2  # Spanish and English
        make_cohort(grupo, 2, "tarde")  # not in the figures until the next refresh
        client.force_login(admin)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PROGRAM)
        assert response.context["funnel"].learners == 10
        assert not any("enrollment_enrollment" in q["sql"] for q in queries.captured_queries)
        warm_figures()
        assert client.get(PROGRAM).context["funnel"].learners == 12


class TestTooFew:
    def test_nine_learners_show_no_figures(self, client, sedes, make_cohort):
        _sede, coordinator, grupo = sedes["norte"]
        make_cohort(grupo, 9)
        client.force_login(coordinator)
        response = client.get(PROGRAM)
        html = response.content.decode()
        assert html.count("muy pocos datos") >= 3
        for section in ("conclusion", "modulos"):
            text = _section(html, section)
            assert "muy pocos datos" in text
            assert not re.search(r"\d", text), section
        retention = _section(html, "retencion")
        assert not re.search(r"\d+(\.\d)?\s*%", retention)  # no share of anything
        assert "<polyline" not in html
        assert response.context["completion"].median_days is None
        assert response.context["funnel"].one_module == 0
        # The total of the gains, too small (no one took both tests).
        assert "muy pocos datos" in _section(html, "ganancias")

    def test_the_setting_changes_the_minimum(self, client, sedes, make_cohort, settings):
        _sede, coordinator, grupo = sedes["norte"]
        make_cohort(grupo, 9)
        settings.AULA_EVALUATION_MIN_GROUP = 5
        client.force_login(coordinator)
        response = client.get(PROGRAM)
        assert response.context["completion"].median_days == 5.0
        assert "5" in _section(response.content.decode(), "conclusion")
        assert "menos de 5 educandos" in response.content.decode()


class TestSedeAndGrupo:
    def test_sede_page(self, client, sedes, make_cohort):
        sede, coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        make_cohort(grupo, 10, "a")
        make_cohort(second, 4, "b")
        client.force_login(coordinator)
        response = client.get(_sede_url(sede))
        assert response.status_code == 200
        assert response.context["funnel"].learners == 14
        assert response.context["gains_by"] == "grupo"
        html = response.content.decode()
        assert f'href="{_grupo_url(grupo)}"' in html and f'href="{_grupo_url(second)}"' in html
        assert "Por grupo" in html

    def test_grupo_page(self, client, sedes, make_cohort):
        sede, coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        make_cohort(grupo, 10, "a")
        make_cohort(second, 4, "b")
        client.force_login(coordinator)
        response = client.get(_grupo_url(grupo))
        assert response.status_code == 200
        assert response.context["funnel"].learners == 10
        small = client.get(_grupo_url(second))
        assert small.context["funnel"].too_few and small.context["completion"].too_few
        assert "muy pocos datos" in small.content.decode()

    def test_the_coordinator_home_and_sede_link_here(self, client, sedes):
        sede, coordinator, _grupo = sedes["norte"]
        client.force_login(coordinator)
        assert f'href="{PROGRAM}"' in client.get("/coordinacion/").content.decode()
        assert (
            f'href="{_sede_url(sede)}"'
            in client.get(f"/coordinacion/sede/{sede.key}/").content.decode()
        )


class TestWhoMaySee:
    def test_another_sede_or_grupo_is_not_found(self, client, sedes):
        client.force_login(sedes["norte"][1])
        assert client.get(_sede_url(sedes["sur"][0])).status_code == 404
        assert client.get(f"{PROGRAM}sede/no-existe/").status_code == 404
        assert client.get(_grupo_url(sedes["sur"][2])).status_code == 404
        assert client.get(f"{PROGRAM}grupo/999999/").status_code == 404
        assert client.get(f"{PROGRAM}grupo/uno/").status_code == 404

    @pytest.mark.parametrize("role", ["educando", "asesor"])
    def test_learners_and_asesores_are_refused(self, client, sedes, request, role):
        user = request.getfixturevalue(role)
        client.force_login(user)
        for url in (PROGRAM, _sede_url(sedes["norte"][0]), _grupo_url(sedes["norte"][2])):
            assert client.get(url).status_code == 403, url

    def test_a_coordinator_without_a_sede_is_refused(self, client, coordinador):
        client.force_login(coordinador)
        assert client.get(PROGRAM).status_code == 403

    def test_anonymous_visitors_log_in_first(self, client, sedes):
        for url in (PROGRAM, _sede_url(sedes["norte"][0]), _grupo_url(sedes["norte"][2])):
            response = client.get(url)
            assert response.status_code == 302 and "/entrar/" in response["Location"], url


class TestQueries:
    """The figures are aggregated in the database: the same number of queries for 10
    learners as for 46 in more grupos, cohorts and courses."""

    @pytest.mark.parametrize(
        ("page", "expected"),
        [("program", PROGRAM_QUERIES), ("sede", SEDE_QUERIES), ("grupo", GRUPO_QUERIES)],
    )
    def test_pinned(
        self, client, sedes, make_learner, catalog, page, expected, django_assert_num_queries
    ):
        sede, coordinator, grupo = sedes["norte"]
        # A course that covers a curriculum module: the funnel reads the credential rules.
        module = Module.objects.get(framework__key="mevyt", key="B2MNU")
        course = add_course(
            catalog=catalog,
            slug="contado",
            title="Contado",
            module=module,
            level=module.level,
            alignment="corresponde",
        )
        other = add_course(catalog=catalog, slug="otro-curso")
        url = {"program": PROGRAM, "sede": _sede_url(sede), "grupo": _grupo_url(grupo)}[page]
        client.force_login(coordinator)

        def enroll(learner, course, days_ago, completed=None):
            enrolled = timezone.now() - timedelta(days=days_ago)
            Enrollment.objects.create(
                user=learner,
                course=course,
                enrolled_at=enrolled,
                completed_at=enrolled + timedelta(days=completed) if completed else None,
            )

        # Ten: enough for every figure to be computed (a smaller group is withheld before
        # some of its queries are needed).
        for k in range(10):
            enroll(make_learner(f"base-{k}", grupo), course, 40, completed=k + 1)
        with django_assert_num_queries(expected):
            client.get(url)
        cache.clear()
        for index in range(3):
            more = Grupo.objects.create(sede=sede, name=f"G{index}")
            for k in range(12):
                learner = make_learner(f"mas-{index}-{k}", grupo if k % 2 else more)
                enroll(learner, course, 30 + 31 * index, completed=k + 2)
                enroll(learner, other, 90 + 31 * index)
        with django_assert_num_queries(expected):
            response = client.get(url)
        # Half of the new learners joined the grupo, the others new grupos of the sede.
        assert response.context["completion"].n == (10 + 18 if page == "grupo" else 10 + 36)
