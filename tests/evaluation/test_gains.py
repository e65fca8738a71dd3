"""Learning gains: entry check against the first final attempt, by course, sede and grupo,
with Hake's g, its interval, and no figure for a group too small."""

import math
import random
import statistics
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lms.assessments.models import Attempt, EntryCheck
from lms.enrollment.models import Enrollment, Grupo
from lms.evaluation.figures import Period
from lms.evaluation.gains import Sums, gain_of, hake_gain, learning_gains
from tests.helpers import make_learner


def _pair(user, course, pre, post, *, grupo, later=()):
    """An entry check scoring ``pre`` and a first final attempt scoring ``post`` (in
    ``grupo``), then attempts scoring ``later``."""
    now = timezone.now()
    final_id = course.final_assessment_id
    EntryCheck.objects.create(
        user=user,
        course_id=course.pk,
        assessment_id=final_id,
        revision_id=1,
        submitted_at=now,
        question_ids=["a"],
        score=Decimal(pre),
        grupo_id=grupo.pk,
    )
    for number, score in enumerate((post, *later), start=1):
        Attempt.objects.create(
            user=user,
            assessment_id=final_id,
            course_id=course.pk,
            revision_id=1,
            number=number,
            submitted_at=now,
            score=Decimal(score),
            passed=score >= 70,
            grupo_id=grupo.pk,
        )


def _sums(pairs):
    return Sums(
        len(pairs),
        sum(p for p, _ in pairs),
        sum(q for _, q in pairs),
        sum(p * p for p, _ in pairs),
        sum(q * q for _, q in pairs),
        sum(p * q for p, q in pairs),
    )


class TestHakeGain:
    def test_the_normalised_gain_of_the_means(self):
        pre, post, g, low, high = hake_gain(_sums([(40, 70)] * 10))
        assert (pre, post, g) == (40, 70, 0.5)
        assert low == pytest.approx(0.5) and high == pytest.approx(0.5)  # no spread

    def test_its_interval_matches_the_ratio_estimator_computed_directly(self):
        rng = random.Random(7)
        pairs = [(rng.randint(0, 80), 0) for _ in range(60)]
        pairs = [(p, min(100, p + rng.randint(-10, 50))) for p, _ in pairs]
        _pre, _post, g, low, high = hake_gain(_sums(pairs))
        d = [q - p for p, q in pairs]
        u = [100 - p for p, _ in pairs]
        mean_u = statistics.fmean(u)
        expected_g = statistics.fmean(d) / mean_u
        # Delta method from the per-learner values: residuals d - g·u.
        residuals = [di - expected_g * ui for di, ui in zip(d, u, strict=True)]
        se = statistics.stdev(residuals) / (math.sqrt(len(pairs)) * mean_u)
        assert g == pytest.approx(expected_g)
        assert low == pytest.approx(expected_g - 1.959964 * se, rel=1e-4)
        assert high == pytest.approx(expected_g + 1.959964 * se, rel=1e-4)

    def test_nothing_left_to_learn_has_no_gain(self):
        _pre, _post, g, low, high = hake_gain(_sums([(100, 100)] * 12))
        assert g is low is high is None

    def test_a_group_under_the_minimum_has_no_figures(self):
        small = gain_of(1, "Grupo", _sums([(40, 70)] * 9), minimum=10)
        assert small.too_few and small.n == 9
        assert small.g is small.pre_mean is small.post_mean is small.g_low is None
        assert not gain_of(1, "Grupo", _sums([(40, 70)] * 10), minimum=10).too_few


@pytest.fixture
def data(sedes, course):
    """Norte: 10 learners 40 → 70 in grupo 1 and 2 learners 20 → 60 in a grupo 2; sur:
    10 learners 50 → 75 (a later attempt at 100 that must not count)."""
    norte, _, grupo_norte = sedes["norte"]
    sur, _, grupo_sur = sedes["sur"]
    grupo_2 = Grupo.objects.create(sede=norte, name="Grupo 2")
    for number in range(10):
        user = make_learner(f"norte-{number}", grupo_norte, course)
        _pair(user, course, 40, 70, grupo=grupo_norte)
    for number in range(2):
        user = make_learner(f"norte2-{number}", grupo_2, course)
        _pair(user, course, 20, 60, grupo=grupo_2)
    for number in range(10):
        user = make_learner(f"sur-{number}", grupo_sur, course)
        _pair(user, course, 50, 75, grupo=grupo_sur, later=(100,))
    # Someone with an entry check and no final yet, and one with a final and no entry.
    lone = make_learner("sin-final", grupo_norte, course)
    EntryCheck.objects.create(
        user=lone,
        course_id=course.pk,
        assessment_id=course.final_assessment_id,
        revision_id=1,
        submitted_at=timezone.now(),
        score=Decimal(0),
    )
    return {"norte": norte, "sur": sur, "grupo_norte": grupo_norte, "grupo_2": grupo_2}


class TestLearningGains:
    def test_by_sede_counts_each_pair_in_the_sede_of_its_grupo(self, data, sedes):
        rows, total = learning_gains(sedes=[data["norte"], data["sur"]], by="sede")
        by_label = {row.label: row for row in rows}
        norte = by_label["Plaza norte"]
        assert norte.n == 12
        assert norte.pre_mean == pytest.approx((10 * 40 + 2 * 20) / 12)
        assert norte.post_mean == pytest.approx((10 * 70 + 2 * 60) / 12)
        sur = by_label["Plaza sur"]
        assert (sur.n, sur.pre_mean, sur.post_mean) == (10, 50, 75)  # the first attempt only
        assert sur.g == pytest.approx(0.5)
        assert total.n == 22 and total.label == "Total"

    def test_a_coordinator_scope_sees_only_its_sedes(self, data):
        rows, total = learning_gains(sedes=[data["sur"]], by="sede")
        assert [row.label for row in rows] == ["Plaza sur"]
        assert total.n == 10

    def test_by_grupo_a_small_grupo_shows_no_figure(self, data):
        rows, _total = learning_gains(sedes=[data["norte"]], by="grupo")
        by_label = {row.label: row for row in rows}
        assert by_label["Grupo 2"].too_few and by_label["Grupo 2"].g is None
        assert by_label["Grupo 1"].g == pytest.approx(0.5)
        rows, _ = learning_gains(sedes=[data["norte"]], by="grupo", grupo=data["grupo_2"])
        assert [row.n for row in rows] == [2]

    def test_the_minimum_is_a_setting(self, data, settings):
        settings.AULA_EVALUATION_MIN_GROUP = 2
        rows, _ = learning_gains(sedes=[data["norte"]], by="grupo")
        small = next(row for row in rows if row.label == "Grupo 2")
        assert not small.too_few and small.g == pytest.approx(0.5)

    def test_by_course(self, data, course):
        rows, _ = learning_gains(sedes=[data["norte"], data["sur"]], by="course")
        assert [(row.label, row.n) for row in rows] == [(course.title, 22)]

    def test_a_period_takes_the_enrollments_made_in_it(self, data, course):
        old = timezone.now() - timedelta(days=200)
        Enrollment.objects.filter(user__username__startswith="sur-").update(enrolled_at=old)
        today = timezone.localdate()
        _, recent = learning_gains(
            sedes=[data["norte"], data["sur"]],
            by="sede",
            period=Period(today - timedelta(days=30), today),
        )
        assert recent.n == 12
        _, past = learning_gains(
            sedes=[data["norte"], data["sur"]],
            by="sede",
            period=Period(date(2000, 1, 1), today - timedelta(days=100)),
        )
        assert past.n == 10

    def test_a_period_ends_at_midnight_in_the_sites_zone_whatever_the_hour(self, data):
        """Enrolled at 23:30 on the period's last day (local time): in; at 00:30 the next
        day: out. Written with fixed times, so it holds at any hour the suite runs; the
        evening is when local and UTC dates differ (SQLite stores UTC text)."""
        zone = timezone.get_current_timezone()
        last_day = date(2026, 3, 10)
        late = datetime.combine(last_day, time(23, 30), zone)
        Enrollment.objects.filter(user__username__startswith="norte").update(enrolled_at=late)
        Enrollment.objects.filter(user__username__startswith="sur-").update(
            enrolled_at=late + timedelta(hours=1)
        )
        scope = [data["norte"], data["sur"]]
        _, until_last_day = learning_gains(
            sedes=scope, by="sede", period=Period(last_day - timedelta(days=30), last_day)
        )
        assert until_last_day.n == 12
        _, from_next_day = learning_gains(
            sedes=scope, by="sede", period=Period(last_day + timedelta(days=1), None)
        )
        assert from_next_day.n == 10

    def test_queries_do_not_grow_with_learners(self, data, django_assert_num_queries, course):
        with django_assert_num_queries(2):
            learning_gains(sedes=[data["norte"], data["sur"]], by="grupo")
        for number in range(15):
            user = make_learner(f"mas-{number}", data["grupo_2"], course)
            _pair(user, course, 10, 90, grupo=data["grupo_2"])
        with django_assert_num_queries(2):
            rows, _ = learning_gains(sedes=[data["norte"], data["sur"]], by="grupo")
        assert sum(row.n for row in rows) == 22 + 15

    def test_one_query_for_every_breakdown(self, data, django_assert_num_queries):
        from lms.evaluation.gains import gain_cells

        scope = [data["norte"], data["sur"]]
        with django_assert_num_queries(1):
            cells = gain_cells(sedes=scope)
        with django_assert_num_queries(0):
            by_sede, total = learning_gains(sedes=scope, by="sede", cells=cells)
        assert total.n == 22 and len(by_sede) == 2
        with django_assert_num_queries(1):  # the grupos' names
            by_grupo, _ = learning_gains(sedes=scope, by="grupo", cells=cells)
        assert sorted(row.n for row in by_grupo) == [2, 10, 10]
