"""Retention curves, time to completion and the credential funnel, on small hand-built data
sets whose figures are known."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import CoursePage, Module
from lms.enrollment.models import Enrollment, Grupo
from lms.evaluation import retention
from lms.evaluation.figures import Period
from lms.progress.models import CourseProgress
from tests.factories.pages import add_course
from tests.helpers import make_learner

# UTC, so that no span crosses a change of daylight saving time (the cohorts are months of
# the local time zone, America/Los_Angeles: every date here is far from a month's edge).
ZONE = UTC
NOW = datetime(2026, 4, 15, 12, tzinfo=ZONE)


@pytest.fixture
def courses(catalog):
    """Twelve plain courses (no curriculum module), so one learner can have many
    enrollments: "e-0" … "e-11"."""
    return [add_course(catalog=catalog, slug=f"e-{n}", title=f"Curso {n}") for n in range(12)]


def _enroll(user, course, enrolled_at, *, active_until=None, completed_after=None):
    """An enrollment made at ``enrolled_at``, last studied at ``active_until`` (None:
    never), completed ``completed_after`` after enrolling (None: not completed)."""
    enrollment = Enrollment.objects.create(
        user=user,
        course=course,
        enrolled_at=enrolled_at,
        completed_at=enrolled_at + completed_after if completed_after is not None else None,
    )
    if active_until is not None:
        CourseProgress.objects.create(
            user=user, course_id=course.pk, percent=10, last_activity_at=active_until
        )
    return enrollment


def _cohort(grupo, prefix, count):
    return [make_learner(f"{prefix}-{n}", grupo) for n in range(count)]


class TestRetentionCurves:
    def test_a_known_cohort(self, sedes, courses):
        """Twelve learners enrolled on 10 January: learner k (0–10) last studied 7k days
        and an hour after enrolling, learner 11 completed the course. At week w the ones
        with k ≥ w are active, and the one who completed: 12 − w of 12 (w ≤ 10), then 1."""
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 10, 9, tzinfo=ZONE)
        learners = _cohort(grupo, "enero", 12)
        for k, learner in enumerate(learners[:11]):
            _enroll(learner, courses[0], start, active_until=start + timedelta(days=7 * k, hours=1))
        _enroll(learners[11], courses[0], start, completed_after=timedelta(days=30))

        (curve,) = retention.retention_curves(sedes=[sede], weeks=12, now=NOW)

        assert (curve.n, curve.learners, curve.too_few) == (12, 12, False)
        assert curve.key == datetime(2026, 1, 1).date()
        assert curve.label == "Enero de 2026"
        expected = [(w, round(100 * (12 - w) / 12, 1)) for w in range(11)]
        expected += [(11, 8.3), (12, 8.3)]
        assert curve.points == expected

    def test_never_studied_is_not_active_even_at_week_zero(self, sedes, courses):
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 2, 10, 9, tzinfo=ZONE)
        for n, learner in enumerate(_cohort(grupo, "feb", 10)):
            # Half studied until four weeks later; half never started.
            until = start + timedelta(weeks=4) if n % 2 else None
            _enroll(learner, courses[0], start, active_until=until)
        (curve,) = retention.retention_curves(sedes=[sede], weeks=6, now=NOW)
        assert curve.points == [
            (0, 50.0),
            (1, 50.0),
            (2, 50.0),
            (3, 50.0),
            (4, 50.0),
            (5, 0.0),
            (6, 0.0),
        ]

    def test_only_enrollments_old_enough_count_for_a_week(self, sedes, courses):
        """Ten enrollments of 20 March (3 weeks and 5 days before NOW) and ten of 31 March
        (2 weeks and 1 day before): weeks 0–2 count all twenty, week 3 only the first ten,
        and week 4 is shown for nobody (no one has reached it)."""
        sede, _coordinator, grupo = sedes["norte"]
        early = datetime(2026, 3, 20, 12, tzinfo=ZONE)
        late = datetime(2026, 3, 31, 12, tzinfo=ZONE)
        for n, learner in enumerate(_cohort(grupo, "marzo", 20)):
            when = early if n < 10 else late
            _enroll(learner, courses[0], when, active_until=NOW - timedelta(hours=1))
        (curve,) = retention.retention_curves(sedes=[sede], weeks=12, now=NOW)
        assert curve.points == [(0, 100.0), (1, 100.0), (2, 100.0), (3, 100.0)]

    def test_a_week_reached_by_too_few_is_left_out(self, sedes, courses, settings):
        """Twelve enrollments, but only three old enough for week 2: not shown."""
        sede, _coordinator, grupo = sedes["norte"]
        for n, learner in enumerate(_cohort(grupo, "abril", 12)):
            when = datetime(2026, 4, 1 if n < 3 else 6, 12, tzinfo=ZONE)
            _enroll(learner, courses[0], when, active_until=NOW)
        (curve,) = retention.retention_curves(sedes=[sede], weeks=12, now=NOW)
        assert [week for week, _share in curve.points] == [0, 1]

    def test_a_small_cohort_has_no_figures(self, sedes, courses):
        """Nine learners with twelve enrollments between them: nine people, too few."""
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 20, 12, tzinfo=ZONE)
        learners = _cohort(grupo, "pocos", 9)
        for learner in learners:
            _enroll(learner, courses[0], start, active_until=start + timedelta(weeks=2))
        for course in courses[1:4]:
            _enroll(learners[0], course, start)
        (curve,) = retention.retention_curves(sedes=[sede], now=NOW)
        assert (curve.too_few, curve.n, curve.learners, curve.points) == (True, 12, 9, [])

    def test_the_setting_changes_the_minimum(self, sedes, courses, settings):
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 20, 12, tzinfo=ZONE)
        for learner in _cohort(grupo, "pocos", 9):
            _enroll(learner, courses[0], start, active_until=start)
        settings.AULA_EVALUATION_MIN_GROUP = 5
        (curve,) = retention.retention_curves(sedes=[sede], weeks=2, now=NOW)
        assert (curve.too_few, curve.points) == (False, [(0, 100.0), (1, 0.0), (2, 0.0)])
        settings.AULA_EVALUATION_MIN_GROUP = 10
        (curve,) = retention.retention_curves(sedes=[sede], weeks=2, now=NOW)
        assert curve.too_few

    def test_cohorts_by_month_scope_and_period(self, sedes, courses):
        norte, _coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=norte, name="Grupo 2")
        for month, target in ((1, grupo), (2, second)):
            start = datetime(2026, month, 15, 12, tzinfo=ZONE)
            for learner in _cohort(target, f"m{month}", 10):
                _enroll(learner, courses[0], start, active_until=start)
        # Learners of the other sede are not counted.
        for learner in _cohort(sedes["sur"][2], "sur", 10):
            _enroll(learner, courses[0], datetime(2026, 1, 15, tzinfo=ZONE))

        curves = retention.retention_curves(sedes=[norte], now=NOW)
        assert [(c.key.month, c.n) for c in curves] == [(1, 10), (2, 10)]
        only_second = retention.retention_curves(sedes=[norte], grupo=second, now=NOW)
        assert [(c.key.month, c.n) for c in only_second] == [(2, 10)]
        february = Period(start=datetime(2026, 2, 1).date(), end=datetime(2026, 2, 28).date())
        assert [
            c.key.month for c in retention.retention_curves(sedes=[norte], period=february, now=NOW)
        ] == [2]
        assert retention.retention_curves(sedes=[], now=NOW) == []

    def test_queries_do_not_grow(self, sedes, courses):
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 20, 12, tzinfo=ZONE)
        for learner in _cohort(grupo, "uno", 3):
            _enroll(learner, courses[0], start, active_until=start)
        with CaptureQueriesContext(connection) as few:
            retention.retention_curves(sedes=[sede], now=NOW)
        for month in (2, 3):
            for learner in _cohort(grupo, f"mas{month}", 12):
                when = datetime(2026, month, 3, tzinfo=ZONE)
                _enroll(learner, courses[0], when, active_until=when + timedelta(weeks=3))
                _enroll(learner, courses[1], when, completed_after=timedelta(days=3))
        with CaptureQueriesContext(connection) as many:
            curves = retention.retention_curves(sedes=[sede], now=NOW)
        assert len(curves) == 3
        assert len(many.captured_queries) == len(few.captured_queries) == 1


class TestTimeToCompletion:
    def test_median_and_quartiles(self, sedes, courses):
        """Ten learners completing in 1 … 10 days (and some hours, which do not count)."""
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 10, 9, tzinfo=ZONE)
        for days, learner in enumerate(_cohort(grupo, "dias", 10), start=1):
            _enroll(learner, courses[0], start, completed_after=timedelta(days=days, hours=20))
        # Not completed: not counted.
        _enroll(make_learner("sin-concluir", grupo), courses[0], start, active_until=start)

        figures = retention.time_to_completion(sedes=[sede], label="Norte")

        expected = statistics.quantiles(range(1, 11), n=4, method="inclusive")
        assert (figures.q1_days, figures.median_days, figures.q3_days) == tuple(expected)
        assert expected == [3.25, 5.5, 7.75]
        assert (figures.label, figures.n, figures.learners, figures.too_few) == (
            "Norte",
            10,
            10,
            False,
        )

    def test_too_few_learners_even_with_many_completions(self, sedes, courses):
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 10, 9, tzinfo=ZONE)
        for learner in _cohort(grupo, "pocos", 2):
            for days, course in enumerate(courses[:8]):
                _enroll(learner, course, start, completed_after=timedelta(days=days))
        figures = retention.time_to_completion(sedes=[sede])
        assert (figures.n, figures.learners, figures.too_few) == (16, 2, True)
        assert figures.median_days is None and figures.q1_days is None

    def test_queries_do_not_grow(self, sedes, courses):
        sede, _coordinator, grupo = sedes["norte"]
        start = datetime(2026, 1, 10, 9, tzinfo=ZONE)
        with CaptureQueriesContext(connection) as none:
            retention.time_to_completion(sedes=[sede])
        for n, learner in enumerate(_cohort(grupo, "dias", 30)):
            _enroll(learner, courses[n % 12], start, completed_after=timedelta(days=n))
        with CaptureQueriesContext(connection) as many:
            assert retention.time_to_completion(sedes=[sede]).median_days == 14.5
        assert len(many.captured_queries) == len(none.captured_queries) == 1


@pytest.mark.parametrize(
    ("histogram", "expected"),
    [
        ([(4, 1)], [4.0, 4.0, 4.0]),
        ([(1, 2), (9, 2)], [1.0, 5.0, 9.0]),
        ([(0, 3), (2, 1), (7, 5), (30, 1)], None),
    ],
)
def test_quantiles_from_a_histogram_match_the_expanded_values(histogram, expected):
    values = [value for value, count in histogram for _ in range(count)]
    if expected is None:
        expected = statistics.quantiles(values, n=4, method="inclusive")
        expected = [expected[0], expected[1], expected[2]]
    got = [retention.quantile(reversed(histogram), f) for f in (0.25, 0.5, 0.75)]
    assert got == pytest.approx(expected)
    assert retention.quantile([], 0.5) is None


# --- The credential funnel -----------------------------------------------------------------

PRIMARIA_BASICOS = [
    "la-palabra",
    "para-empezar",
    "matematicas-para-empezar",
    "B2ELE",
    "B2ESL",
    "B2MNU",
    "B2MCU",
    "B2MFM",
    "B2CVC",
    "B2CVM",
]


@pytest.fixture
def module_courses(catalog):
    """A course corresponding to each of the primaria's 10 básicos and to 2
    diversificados (the library's own where it has one), and one that covers a básico
    only in part: ``{"basicos": [...], "diversificados": [...], "parcial": course}``."""

    def course_for(module, slug):
        existing = CoursePage.objects.filter(module=module, alignment="corresponde").first()
        return existing or add_course(
            catalog=catalog,
            slug=slug,
            module=module,
            level=module.level,
            alignment="corresponde",
        )

    basicos = [
        course_for(Module.objects.get(framework__key="mevyt", key=key), f"b-{n}")
        for n, key in enumerate(PRIMARIA_BASICOS)
    ]
    diversificados = [
        course_for(module, f"d-{n}")
        for n, module in enumerate(
            Module.objects.filter(framework__key="mevyt", kind="diversificado").order_by("key")[:2]
        )
    ]
    parcial = add_course(
        catalog=catalog,
        slug="en-parte",
        module=Module.objects.get(framework__key="mevyt", key="B2MNU"),
        level=Module.objects.get(framework__key="mevyt", key="B2MNU").level,
        alignment="parcial",
        alignment_note="Solo una parte.",
    )
    return {"basicos": basicos, "diversificados": diversificados, "parcial": parcial}


def _complete_courses(user, courses):
    start = datetime(2026, 1, 10, tzinfo=ZONE)
    for course in courses:
        _enroll(user, course, start, completed_after=timedelta(days=20))


class TestCredentialFunnel:
    def _build(self, sedes, module_courses):
        """Ten learners of "norte": 4 with nothing covered (one of them completed the
        course that covers a module only in part, one is enrolled without completing), 2
        with one module, 1 with 6 básicos and 1 with 4 básicos and 2 diversificados (both
        halfway: 6 of the 12), 2 with all 12; and a learner of "sur" with all 12, who is
        not in scope."""
        _sede, _coordinator, grupo = sedes["norte"]
        basicos, diversificados = module_courses["basicos"], module_courses["diversificados"]
        learners = [make_learner(f"m-{n}", grupo) for n in range(10)]
        _complete_courses(learners[0], [module_courses["parcial"]])
        _enroll(learners[1], basicos[0], datetime(2026, 1, 5, tzinfo=ZONE))
        _complete_courses(learners[4], basicos[:1])
        _complete_courses(learners[5], diversificados[:1])
        _complete_courses(learners[6], basicos[:6])
        _complete_courses(learners[7], basicos[:4] + diversificados)  # 4 + 2 = 6: halfway
        _complete_courses(learners[8], basicos + diversificados)
        _complete_courses(learners[9], basicos + diversificados)
        _complete_courses(make_learner("sur", sedes["sur"][2]), basicos + diversificados)
        return learners

    def test_counts(self, sedes, module_courses):
        self._build(sedes, module_courses)
        funnel = retention.credential_funnel(sedes=[sedes["norte"][0]], label="Norte")
        assert (funnel.label, funnel.learners, funnel.too_few) == ("Norte", 10, False)
        assert (funnel.one_module, funnel.halfway, funnel.all_modules) == (6, 4, 2)

    def test_without_bit_masks_the_counts_are_the_same(self, sedes, module_courses, monkeypatch):
        """More covered modules than a BIGINT has bits: the sets are built in Python."""
        self._build(sedes, module_courses)
        monkeypatch.setattr(retention, "MAX_MASK_BITS", 3)
        funnel = retention.credential_funnel(sedes=[sedes["norte"][0]])
        assert (funnel.one_module, funnel.halfway, funnel.all_modules) == (6, 4, 2)

    def test_five_of_twelve_is_not_halfway_and_eleven_is_not_all(self, sedes, module_courses):
        _sede, _coordinator, grupo = sedes["norte"]
        basicos, diversificados = module_courses["basicos"], module_courses["diversificados"]
        learners = [make_learner(f"m-{n}", grupo) for n in range(10)]
        _complete_courses(learners[0], basicos[:5])
        _complete_courses(learners[1], basicos + diversificados[:1])
        funnel = retention.credential_funnel(sedes=[sedes["norte"][0]])
        assert (funnel.one_module, funnel.halfway, funnel.all_modules) == (2, 1, 0)

    def test_a_grupo_and_too_few(self, sedes, module_courses, settings):
        self._build(sedes, module_courses)
        sede, _coordinator, grupo = sedes["norte"]
        second = Grupo.objects.create(sede=sede, name="Grupo 2")
        make_learner("otro", second)
        assert retention.credential_funnel(sedes=[sede], grupo=second).too_few
        funnel = retention.credential_funnel(sedes=[sede], grupo=grupo)
        assert (funnel.learners, funnel.all_modules) == (10, 2)
        small = retention.credential_funnel(sedes=[sedes["sur"][0]])
        assert (small.too_few, small.learners, small.one_module, small.all_modules) == (
            True,
            1,
            0,
            0,
        )
        settings.AULA_EVALUATION_MIN_GROUP = 1
        small = retention.credential_funnel(sedes=[sedes["sur"][0]])
        assert (small.too_few, small.one_module, small.halfway, small.all_modules) == (
            False,
            1,
            1,
            1,
        )

    def test_queries_do_not_grow(self, sedes, module_courses, settings):
        settings.AULA_EVALUATION_MIN_GROUP = 1
        sede, _coordinator, grupo = sedes["norte"]
        first = make_learner("uno", grupo)
        _complete_courses(first, module_courses["basicos"][:2])
        with CaptureQueriesContext(connection) as few:
            retention.credential_funnel(sedes=[sede])
        self._build(sedes, module_courses)
        with CaptureQueriesContext(connection) as many:
            funnel = retention.credential_funnel(sedes=[sede])
        assert funnel.one_module == 7
        assert len(many.captured_queries) == len(few.captured_queries)
        assert len(many.captured_queries) <= 7
