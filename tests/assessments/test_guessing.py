"""A learner who answers without reading cannot pass a final.

Every final of the course library (imported into the test database), and a final drawn
from a pool built here, is taken by simulated learners who always pick the first option
shown, or always the top options, on every attempt they have. Each attempt is the one a
real learner would get: the questions drawn for it (``drawn_questions``, after the
questions of the learner's attempt before; every question without a pool), their options
in the order the page shows them (``shown_options``, what ``assessment_page.html``
renders), graded by the real grader.

Chance is the score the same strategy would get with each question's options in a random
order: from the number of options of each question drawn and of its right ones, averaged
over the questions of the attempt, and over the attempts: the expectation over the draw,
not over the whole pool (a per-outcome draw may give some questions more weight). Such a
learner must score no better than chance, give or take a few points, and never pass.

The shipped files put their keys in various positions, but it is the shuffle that makes
this hold: the pooled final below has every key first in its file.
"""

from __future__ import annotations

import re
from math import comb
from statistics import mean

import pytest

from content.blocks import MultipleChoiceBlock
from courses import api as courses_api
from courses.models import AssessmentPage
from lms.assessments import api
from lms.assessments.grading import grade
from lms.assessments.models import Attempt
from lms.enrollment import api as enrollment_api
from tests.helpers import complete_required_lessons

LEARNERS = 200
MARGIN = 5  # percentage points over chance
# Strategies: how many of the top options a learner marks where the form lets several be
# marked (a multiple-choice question); where it lets one (a single choice), the first.
TOP = {"first": 1, "top 2": 2, "top 3": 3}


def _finals():
    return list(AssessmentPage.objects.live().filter(kind="final").order_by("pk"))


def _marks(block, top: int) -> int:
    """How many of the top options the strategy marks in ``block``, a question whose
    options are in its value (``shuffles_options``): ``top`` in the type whose form has a
    box for each option, one in the others (one button to choose)."""
    return top if isinstance(block.block, MultipleChoiceBlock) else 1


def _answers(assessment, questions, *, user_id: int, number: int, top: int):
    """The strategy's answers to ``questions``, as the form sends them, by block id."""
    answers = {}
    for block in questions:
        if block.block.shuffles_options:
            shown = api.shown_options(
                user_id=user_id, assessment=assessment, attempt_number=number, block=block
            )
            answers[block.id] = [o.id for o in shown[: _marks(block, top)]]
        elif block.block.fixed_options:
            # Options the type names itself, shown in that order: «Verdadero» first.
            answers[block.id] = list(block.block.fixed_options[:1])
        # Typed answers (numbers, words) are left blank: there is nothing to pick.
    return answers


def _question_chance(block, *, top: int) -> float:
    """How often the strategy gets ``block`` right if its options come in a random order:
    marking the top k of n options is right only when exactly those k are the right set,
    1/C(n, k) if k is the number right (1/n for a single choice); one of the fixed options
    (true/false) one time in their number; a blank never."""
    if block.block.shuffles_options:
        options = list(block.value["options"])
        n, right = len(options), sum(1 for o in options if o["correct"])
        k = _marks(block, top)
        return 1 / comb(n, k) if k == right else 0.0
    if block.block.fixed_options:
        return 1 / len(block.block.fixed_options)
    return 0.0


def _chance(questions, *, top: int) -> float:
    """The expected score (percent) of the strategy on an attempt with ``questions``."""
    return 100 * mean(_question_chance(block, top=top) for block in questions)


def _attempts(assessment, *, top: int, user_id: int):
    """Each attempt ``user_id`` has at ``assessment``, taken with the strategy: (the
    questions drawn for it, the answers), each drawn after the one before."""
    previous: list[str] = []
    for number in range(1, (assessment.max_attempts or 3) + 1):
        questions = api.drawn_questions(
            user_id=user_id, assessment=assessment, attempt_number=number, previous_ids=previous
        )
        yield questions, _answers(assessment, questions, user_id=user_id, number=number, top=top)
        previous = [block.id for block in questions]


def _scores(assessment, *, top: int) -> tuple[list[float], float]:
    """The scores of ``LEARNERS`` simulated learners' attempts with the strategy, and
    chance: the mean of each attempt's chance (the expectation over the draw)."""
    scores, chances = [], []
    for learner in range(1, LEARNERS + 1):
        for questions, answers in _attempts(assessment, top=top, user_id=10_000 + learner):
            scores.append(float(grade(questions, answers)[0]))
            chances.append(_chance(questions, top=top))
    return scores, mean(chances)


def guessing_figures() -> list[tuple[str, str, float, float, float]]:
    """(course slug, strategy, mean score, chance, best score) for every shipped final."""
    rows = []
    for assessment in _finals():
        course = courses_api.course_of_page(page=assessment)
        for strategy, top in TOP.items():
            scores, chance = _scores(assessment, top=top)
            rows.append(
                (
                    course.slug if course else assessment.slug,
                    strategy,
                    mean(scores),
                    chance,
                    max(scores),
                )
            )
    return rows


def test_the_library_ships_finals(db):
    assert len(_finals()) >= 4


@pytest.mark.parametrize("strategy", list(TOP))
def test_picking_the_top_options_scores_chance_and_never_passes(db, strategy):
    top = TOP[strategy]
    for assessment in _finals():
        scores, chance = _scores(assessment, top=top)
        assert mean(scores) <= chance + MARGIN, (assessment.title, mean(scores), chance)
        assert max(scores) < assessment.pass_mark, (assessment.title, max(scores))


def test_the_first_shown_option_is_right_as_often_as_chance(db):
    """Question by question: the first option shown is a right one about as often as a
    right option drawn at random (1/n for a single choice), whatever the file's order.
    With the options in the file's order it would be always or never."""
    for assessment in _finals():
        for block in assessment.questions:
            if not block.block.shuffles_options:
                continue
            options = list(block.value["options"])
            if options[0].get("pinned"):
                continue  # the author's place: always shown first
            free = [o for o in options if not o.get("pinned")]
            expected = sum(1 for o in free if o["correct"]) / len(free)
            hits = [
                next(
                    o
                    for o in api.shown_options(
                        user_id=10_000 + learner,
                        assessment=assessment,
                        attempt_number=number,
                        block=block,
                    )
                ).value["correct"]
                for learner in range(1, LEARNERS + 1)
                for number in (1, 2, 3)
            ]
            rate = sum(hits) / len(hits)
            assert abs(rate - expected) < 0.08, (assessment.title, block.value["prompt"], rate)


def test_a_real_learner_picking_the_first_option_never_passes(client, make_user):
    """The same strategy through the pages: the options the page shows, the real form."""
    learner = make_user("adivina")
    client.force_login(learner)
    for assessment in _finals():
        course = courses_api.course_of_page(page=assessment)
        enrollment_api.enroll(user=learner, course=course)
        complete_required_lessons(learner, course)
        for _ in range(assessment.max_attempts or 3):
            html = client.get(assessment.url).content.decode()
            data = {}
            for block in assessment.questions:
                if block.block.answers_are_options:
                    values = re.findall(rf'name="q-{re.escape(block.id)}" value="([^"]+)"', html)
                    data[f"q-{block.id}"] = values[:1]
            client.post(f"/evaluaciones/{assessment.pk}/enviar/", data)
        attempts = Attempt.objects.filter(user=learner, assessment_id=assessment.pk)
        assert attempts.count() == (assessment.max_attempts or 3)
        assert not any(a.passed for a in attempts), assessment.title


def _option_items(question: str, rights: list[bool]) -> list[dict]:
    return [
        {
            "type": "item",
            "id": f"{question}-opcion-{index + 1}",
            "value": {"text": f"Opción {index + 1}", "correct": right, "feedback": ""},
        }
        for index, right in enumerate(rights)
    ]


def _question(kind: str, number: int, outcome: int, **value) -> dict:
    block_id = f"{kind}-{number}"
    if "options" in value:
        value["options"] = _option_items(block_id, value["options"])
    return {
        "type": kind,
        "id": block_id,
        "value": {"prompt": f"Pregunta {number}", "topic": "", "outcome": outcome, **value},
    }


@pytest.fixture
def pooled_final(course):
    """The course's final as a pool of 22 questions drawing 6, 2 for each of 3 outcomes:
    outcome 1 has 2 true/false questions (one true, one false), outcome 2 eight single
    choices and two multiple choices (4 options, the right ones first in the file),
    outcome 3 ten numeric answers. Every attempt has both true/false questions: they weigh
    more in the draw (2 of 6) than in the pool (2 of 22)."""
    questions = [
        _question("true_false", 1, 1, answer=True),
        _question("true_false", 2, 1, answer=False),
        *(
            _question("single_choice", n, 2, options=[True, False, False, False])
            for n in range(3, 11)
        ),
        *(_question("multiple_choice", n, 2, options=[True, True, False, False]) for n in (11, 12)),
        *(_question("numeric", n, 3, answer=float(n), tolerance=0) for n in range(13, 23)),
    ]
    exam = course.final_assessment.specific
    exam.questions = AssessmentPage.questions.field.stream_block.to_python(questions)
    exam.questions_per_attempt = 6
    exam.draw_by_outcome = True
    exam.max_attempts = 3
    exam.save_revision().publish()
    return AssessmentPage.objects.get(pk=exam.pk)


@pytest.mark.parametrize("strategy", list(TOP))
def test_a_pooled_final_scores_the_chance_of_its_draws(pooled_final, strategy):
    """Chance is the expectation over the draw: the pool's own mean would be too low (the
    true/false questions are in every attempt), and the guesser scores the draw's chance,
    give or take a few points, and never passes (4 of 6 at most can be picked)."""
    top = TOP[strategy]
    scores, chance = _scores(pooled_final, top=top)
    pool = list(pooled_final.questions)
    # Both true/false questions (1/2 each) and 2 of the 10 choices of outcome 2, each as
    # likely as the others.
    choices = [b for b in pool if b.value["outcome"] == 2]
    by_draw = 100 * (2 * 0.5 + 2 * mean(_question_chance(b, top=top) for b in choices)) / 6
    assert chance == pytest.approx(by_draw, abs=1)
    assert abs(mean(scores) - chance) <= 3, (mean(scores), chance)
    assert mean(scores) > _chance(pool, top=top) + MARGIN  # the pool's mean is not chance
    assert max(scores) < pooled_final.pass_mark


def test_the_simulated_attempts_are_the_real_ones(pooled_final, course, make_user):
    """What the simulation above grades is what a real attempt is: the same questions drawn
    (each after the learner's attempt before), the same options first, the same score."""
    for name in ("ana", "beto", "carmen"):
        learner = make_user(name)
        enrollment_api.enroll(user=learner, course=course)
        complete_required_lessons(learner, course)
        for questions, answers in _attempts(pooled_final, top=1, user_id=learner.pk):
            attempt = api.submit_attempt(user=learner, assessment=pooled_final, answers=answers)
            assert attempt.question_ids == [block.id for block in questions]
            assert attempt.score == grade(questions, answers)[0]
        assert Attempt.objects.filter(user=learner).count() == pooled_final.max_attempts
