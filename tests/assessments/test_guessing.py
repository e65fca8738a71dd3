"""A learner who answers without reading cannot pass a shipped final.

Every final of the course library (imported into the test database) is taken by simulated
learners who always pick the first option shown, or always the top options, on every
attempt they have. The options are in the order the page shows them (``shown_options``,
what ``assessment_page.html`` renders) and the real grader scores the answers. Such a
learner must score no better than chance, computed from the number of options of each
question, give or take a few points, and never pass.
"""

from __future__ import annotations

import re
from math import comb
from statistics import mean

import pytest

from courses import api as courses_api
from courses.models import AssessmentPage
from lms.assessments import api
from lms.assessments.grading import grade
from lms.assessments.models import Attempt
from lms.enrollment import api as enrollment_api

CHOICE = ("single_choice", "multiple_choice")
LEARNERS = 200
MARGIN = 5  # percentage points over chance
# Strategies: how many of the top options a learner marks in a multiple-choice question
# (a single-choice question: always the first shown).
TOP = {"first": 1, "top 2": 2, "top 3": 3}


def _finals():
    return list(AssessmentPage.objects.live().filter(kind="final").order_by("pk"))


def _answers(assessment, *, user_id: int, number: int, top: int) -> dict[str, list[str]]:
    answers = {}
    for block in assessment.questions:
        if block.block_type in CHOICE:
            shown = api.shown_options(
                user_id=user_id, assessment=assessment, attempt_number=number, block=block
            )
            take = 1 if block.block_type == "single_choice" else top
            answers[block.id] = [o.id for o in shown[:take]]
        elif block.block_type == "true_false":
            answers[block.id] = ["true"]  # the first shown: «Verdadero»
        # Typed answers (numbers, words) are left blank: there is nothing to pick.
    return answers


def _chance(assessment, *, top: int) -> float:
    """The expected score (percent) of the strategy if the options were in a random order:
    a single choice is right with 1/n; marking the top k of n in a multiple choice is right
    only when exactly those k are the right set, 1/C(n, k) if k is the number right;
    «Verdadero» is right one time in two; a blank is never right."""
    expected = 0.0
    for block in assessment.questions:
        if block.block_type in CHOICE:
            options = list(block.value["options"])
            n, right = len(options), sum(1 for o in options if o["correct"])
            k = 1 if block.block_type == "single_choice" else top
            expected += 1 / comb(n, k) if k == right else 0.0
        elif block.block_type == "true_false":
            expected += 0.5
    return 100 * expected / len(assessment.questions)


def _scores(assessment, *, top: int) -> list[float]:
    attempts = assessment.max_attempts or 3
    scores = []
    for learner in range(1, LEARNERS + 1):
        for number in range(1, attempts + 1):
            answers = _answers(assessment, user_id=10_000 + learner, number=number, top=top)
            scores.append(float(grade(assessment.questions, answers)[0]))
    return scores


def guessing_figures() -> list[tuple[str, str, float, float, float]]:
    """(course slug, strategy, mean score, chance, best score) for every shipped final."""
    rows = []
    for assessment in _finals():
        course = courses_api.course_of_page(page=assessment)
        for strategy, top in TOP.items():
            scores = _scores(assessment, top=top)
            rows.append(
                (
                    course.slug if course else assessment.slug,
                    strategy,
                    mean(scores),
                    _chance(assessment, top=top),
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
        scores = _scores(assessment, top=top)
        chance = _chance(assessment, top=top)
        assert mean(scores) <= chance + MARGIN, (assessment.title, mean(scores), chance)
        assert max(scores) < assessment.pass_mark, (assessment.title, max(scores))


def test_the_first_shown_option_is_right_as_often_as_chance(db):
    """Question by question: the first option shown is the right one about 1/n of the time
    (the shipped files all put it first)."""
    for assessment in _finals():
        for block in assessment.questions:
            if block.block_type != "single_choice":
                continue
            n = len(block.value["options"])
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
            assert abs(rate - 1 / n) < 0.08, (assessment.title, block.value["prompt"], rate)


def test_a_real_learner_picking_the_first_option_never_passes(client, make_user):
    """The same strategy through the pages: the options the page shows, the real form."""
    learner = make_user("adivina")
    client.force_login(learner)
    for assessment in _finals():
        course = courses_api.course_of_page(page=assessment)
        enrollment_api.enroll(user=learner, course=course)
        for _ in range(assessment.max_attempts or 3):
            html = client.get(assessment.url).content.decode()
            data = {}
            for block in assessment.questions:
                if block.block_type in CHOICE or block.block_type == "true_false":
                    values = re.findall(rf'name="q-{re.escape(block.id)}" value="([^"]+)"', html)
                    data[f"q-{block.id}"] = values[:1]
            client.post(f"/evaluaciones/{assessment.pk}/enviar/", data)
        attempts = Attempt.objects.filter(user=learner, assessment_id=assessment.pk)
        assert attempts.count() == (assessment.max_attempts or 3)
        assert not any(a.passed for a in attempts), assessment.title
