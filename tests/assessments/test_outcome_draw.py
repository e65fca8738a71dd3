"""Question pools drawn per outcome (``draw_by_outcome``): each attempt's N questions are
shared equally among the outcomes the questions assess (untagged questions are one more
group), so every attempt assesses every outcome; pinned to the attempt and the revision
like any draw, graded on it, and kept in the library format."""

import random
import re
from collections import Counter
from itertools import combinations

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.utils import translation

from content.api import LibraryError
from courses import api as courses_api
from courses.models import AssessmentPage, CoursePage
from lms.assessments import api
from lms.assessments.draws import draw_by_outcome
from tests.helpers import complete_required_lessons, copy_shipped_course, right_answers

DRAWN = 6


@pytest.fixture
def enrolled(enrolled, course):
    """conftest's educanda, who has also finished the course's required lessons: its
    final assessment is open to her (``api.pending_lessons``)."""
    complete_required_lessons(enrolled, course)
    return enrolled


@pytest.fixture
def outcome_pool(course):
    """The course's final (every question tagged with one of the course's 5 outcomes), as a
    pool of 11 drawing 6 per outcome, with no attempt limit."""
    exam = course.final_assessment.specific
    exam.questions_per_attempt = DRAWN
    exam.draw_by_outcome = True
    exam.max_attempts = None
    exam.save_revision().publish()
    return AssessmentPage.objects.get(pk=exam.pk)


def _drawn(assessment, user, number, previous=()):
    """The questions drawn for ``user``'s attempt ``number`` after an attempt that had the
    questions ``previous`` (ids)."""
    return api.drawn_questions(
        user_id=user.pk, assessment=assessment, attempt_number=number, previous_ids=previous
    )


def _outcomes(blocks):
    return Counter(block.value["outcome"] for block in blocks)


class TestDraw:
    def test_every_outcome_in_every_draw(self, make_user, outcome_pool, django_assert_num_queries):
        in_file = [block.id for block in outcome_pool.questions]
        assert set(_outcomes(outcome_pool.questions)) == {1, 2, 3, 4, 5}
        users = [make_user(f"persona{n}") for n in range(5)]
        with django_assert_num_queries(0):
            draws = [_drawn(outcome_pool, user, number) for user in users for number in (1, 2, 3)]
        for draw in draws:
            assert len(draw) == DRAWN
            counts = _outcomes(draw)
            # One per outcome, and the sixth to one of the outcomes with a question left.
            assert set(counts) == {1, 2, 3, 4, 5} and sorted(counts.values()) == [1, 1, 1, 1, 2]
            ids = [block.id for block in draw]
            assert ids == [block_id for block_id in in_file if block_id in ids]
        assert len({tuple(b.id for b in draw) for draw in draws}) >= 5

    def test_same_seed_same_draw_and_attempts_differ(self, make_user, outcome_pool):
        ana = make_user("ana")
        first = [b.id for b in _drawn(outcome_pool, ana, 1)]
        assert [b.id for b in _drawn(outcome_pool, ana, 1)] == first
        again = AssessmentPage.objects.get(pk=outcome_pool.pk)
        assert [b.id for b in _drawn(again, ana, 1)] == first
        others = {tuple(b.id for b in _drawn(outcome_pool, ana, n)) for n in range(2, 8)}
        assert others - {tuple(first)}

    def test_without_the_option_a_plain_draw(self, make_user, outcome_pool):
        outcome_pool.draw_by_outcome = False
        ana = make_user("ana")
        plain = [_outcomes(_drawn(outcome_pool, ana, n)) for n in range(1, 30)]
        assert all(sum(c.values()) == DRAWN for c in plain)
        # Some plain draw leaves an outcome out (outcomes 1 and 3 have one question each).
        assert any(len(c) < 5 for c in plain)

    def test_shares_as_far_as_each_group_allows(self):
        groups = {1: [0], 2: [1, 2, 3, 4, 5], None: [6, 7]}

        def counts(drawn, seed):
            chosen = draw_by_outcome(groups, drawn, random.Random(seed))
            assert chosen == draw_by_outcome(groups, drawn, random.Random(seed))
            return tuple(len(chosen & set(positions)) for positions in groups.values())

        # 2 each, but outcome 1 has one question: its spare goes where questions are left.
        assert {counts(6, seed) for seed in range(30)} == {(1, 3, 2)}
        # 1 each and one more, to a group picked at random among those with questions left.
        assert {counts(4, seed) for seed in range(30)} == {(1, 2, 1), (1, 1, 2)}
        assert {counts(8, seed) for seed in range(5)} == {(1, 5, 2)}

    def test_the_attempt_before_is_avoided_within_each_share(self):
        groups = {1: [0, 1, 2], 2: [3, 4, 5]}
        # The last attempt had 0, 1 and 3: outcome 1 has one question left unseen, outcome
        # 2 two. One each, and the third from outcome 2, where unseen questions are left.
        for seed in range(30):
            chosen = draw_by_outcome(groups, 3, random.Random(seed), previous={0, 1, 3})
            assert chosen == {2, 4, 5}
        # Drawing 4: a repeat is unavoidable (only 3 unseen), one and no more.
        draws = [
            draw_by_outcome(groups, 4, random.Random(s), previous={0, 1, 3}) for s in range(30)
        ]
        assert all(len(chosen & {0, 1, 3}) == 1 and {2, 4, 5} <= chosen for chosen in draws)
        assert {len(chosen & {0, 1, 2}) for chosen in draws} == {2}

    @pytest.mark.parametrize("most", [False, True], ids=["few", "all-but-one"])
    def test_attempts_in_a_row_repeat_as_few_questions_as_the_shares_allow(
        self, make_user, outcome_pool, most
    ):
        """Each attempt after the first, on the course's final: every outcome still has its
        share, and no allowed draw (each outcome at least its equal share, as far as its
        questions allow) repeats fewer questions of the attempt before; found here by
        trying every set of questions."""
        blocks = list(outcome_pool.questions)
        # A few of the pool, or all of it but one (the shipped final's size may change).
        drawn = len(blocks) - 1 if most else DRAWN
        outcome_pool.questions_per_attempt = drawn
        groups = courses_api.outcome_groups(blocks)
        share = drawn // len(groups)
        allowed = [
            set(chosen)
            for chosen in combinations(range(len(blocks)), drawn)
            if all(len(set(chosen) & set(g)) >= min(share, len(g)) for g in groups.values())
        ]
        ana = make_user("ana")
        before: list[str] = []
        for number in range(1, 7):
            draw = [b.id for b in _drawn(outcome_pool, ana, number, before)]
            positions = {index for index, b in enumerate(blocks) if b.id in draw}
            assert positions in allowed
            if before:
                last = {index for index, b in enumerate(blocks) if b.id in before}
                fewest = min(len(chosen & last) for chosen in allowed)
                assert len(positions & last) == fewest, (number, fewest)
            before = draw


class TestGrading:
    def test_a_submitted_attempt_is_graded_on_its_draw(self, enrolled, outcome_pool):
        drawn = [b.id for b in _drawn(outcome_pool, enrolled, 1)]
        attempt = api.submit_attempt(
            user=enrolled, assessment=outcome_pool, answers=right_answers(outcome_pool)
        )
        assert attempt.question_ids == drawn and list(attempt.results) == drawn
        assert attempt.score == 100
        graded = [b for b in outcome_pool.questions if b.id in attempt.results]
        assert set(_outcomes(graded)) == {1, 2, 3, 4, 5}
        second = api.submit_attempt(user=enrolled, assessment=outcome_pool, answers={})
        assert second.question_ids == [b.id for b in _drawn(outcome_pool, enrolled, 2, drawn)]
        assert len(second.question_ids) == DRAWN and second.score == 0
        graded = [b for b in outcome_pool.questions if b.id in second.results]
        assert set(_outcomes(graded)) == {1, 2, 3, 4, 5}


class TestValidation:
    def test_needs_questions_per_attempt(self, outcome_pool):
        outcome_pool.questions_per_attempt = None
        with translation.override("es-mx"), pytest.raises(ValidationError) as info:
            outcome_pool.full_clean()
        assert "cuántas preguntas hay por intento" in info.value.message_dict["draw_by_outcome"][0]

    def test_at_least_one_question_per_group(self, outcome_pool):
        outcome_pool.questions_per_attempt = 4
        with translation.override("es-mx"), pytest.raises(ValidationError) as info:
            outcome_pool.full_clean()
        message = info.value.message_dict["draw_by_outcome"][0]
        assert "5 grupos" in message and "Ahora tiene 4" in message
        # An untagged question is one more group.
        outcome_pool.questions[0].value["outcome"] = None
        outcome_pool.questions_per_attempt = 5
        with pytest.raises(ValidationError):
            outcome_pool.full_clean()
        outcome_pool.questions_per_attempt = 6
        outcome_pool.full_clean()


@pytest.fixture
def library_copy(tmp_path):
    return copy_shipped_course(tmp_path, "curso-reparto")


def _set(library_copy, **values):
    path = library_copy / "curso-reparto/assessments/examen-final.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(values)
    count = values.get("questions_per_attempt")
    if isinstance(count, int) and count > 0:
        # As an author would: the intro says how many questions an attempt has.
        data["intro"] = re.sub(r"\d+ preguntas", f"{count} preguntas", data["intro"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


class TestLibrary:
    def test_round_trip(self, db, library_copy, tmp_path):
        _set(library_copy, questions_per_attempt=6, draw_by_outcome=True)
        courses_api.import_library(root=library_copy)
        course = CoursePage.objects.get(slug="curso-reparto")
        assert course.final_assessment.specific.draw_by_outcome
        courses_api.export_course(course=course, root=tmp_path / "out")
        folder = tmp_path / "out/curso-reparto/assessments"
        text = (folder / "examen-final.yaml").read_text(encoding="utf-8")
        assert "questions_per_attempt: 6\ndraw_by_outcome: true\nintro:" in text
        source = library_copy / "curso-reparto/assessments/examen-final.yaml"
        assert yaml.safe_load(text) == yaml.safe_load(source.read_text(encoding="utf-8"))
        assert "draw_by_outcome" not in (folder / "practica-fracciones.yaml").read_text("utf-8")

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"draw_by_outcome": True}, "draw_by_outcome"),
            ({"draw_by_outcome": True, "questions_per_attempt": 3}, "draw_by_outcome"),
            ({"draw_by_outcome": "sí", "questions_per_attempt": 6}, "draw_by_outcome"),
        ],
    )
    def test_a_bad_value_names_file_and_field(self, db, library_copy, values, field):
        _set(library_copy, **values)
        with pytest.raises(LibraryError) as info:
            courses_api.import_library(root=library_copy)
        assert info.value.file.endswith("examen-final.yaml")
        assert info.value.field == field
        assert not CoursePage.objects.filter(slug="curso-reparto").exists()
