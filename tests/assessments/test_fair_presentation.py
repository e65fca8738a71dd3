"""Assessments that do not give their keys away: each learner sees the options of a choice
question in their own order, new for each attempt (pinned options stay in place), grading
goes by option id, and a final's result shows the right answers only once the learner has
passed or has no attempts left."""

import re

import pytest

from content.api import block_from_file, block_to_file
from content.blocks import OptionBlock
from courses.models import AssessmentPage
from lms.assessments import api
from lms.assessments.grading import grade
from lms.assessments.models import Attempt
from lms.assessments.templatetags import assessment_tags
from lms.enrollment import api as enrollment_api
from tests.helpers import complete_required_lessons, post_answers, right_answers

CHOICE = ("single_choice", "multiple_choice")


@pytest.fixture
def enrolled(enrolled, course):
    """conftest's educanda, who has also finished the course's required lessons: its
    final assessment is open to her (``api.pending_lessons``)."""
    complete_required_lessons(enrolled, course)
    return enrolled


@pytest.fixture
def exam(course):
    return course.final_assessment.specific


@pytest.fixture
def practice(course):
    """The practice of the course's first unit (each unit ends with one)."""
    return (
        AssessmentPage.objects.descendant_of(course)
        .live()
        .get(kind="practice", slug="practica-fracciones")
    )


def _shown(html: str, assessment) -> dict[str, list[str]]:
    """The option ids of every choice question, in the order the page shows them."""
    return {
        block.id: re.findall(rf'name="q-{re.escape(block.id)}" value="([^"]+)"', html)
        for block in assessment.questions
        if block.block_type in CHOICE
    }


def _wrong_single_choice(assessment):
    block = next(b for b in assessment.questions if b.block_type == "single_choice")
    wrong = next(o for o in block.value["options"].bound_blocks if not o.value["correct"])
    right = next(o for o in block.value["options"].bound_blocks if o.value["correct"])
    return block, wrong, right


class TestOrder:
    def test_stable_across_reloads_and_the_order_of_the_shuffle(self, client, enrolled, exam):
        client.force_login(enrolled)
        first = _shown(client.get(exam.url).content.decode(), exam)
        again = _shown(client.get(exam.url).content.decode(), exam)
        assert first == again
        for block in exam.questions:
            if block.block_type in CHOICE:
                expected = api.shown_options(
                    user_id=enrolled.pk, assessment=exam, attempt_number=1, block=block
                )
                assert first[block.id] == [o.id for o in expected]
                assert sorted(first[block.id]) == sorted(
                    o.id for o in block.value["options"].bound_blocks
                )

    def test_the_same_attempt_sent_again_keeps_the_next_order(self, client, enrolled, exam):
        client.force_login(enrolled)
        before = _shown(client.get(exam.url).content.decode(), exam)
        form = {"attempt_id": "7b0c2f4e-8a3d-4c1e-9f6b-2d5a1e3c4b70"}
        client.post(f"/evaluaciones/{exam.pk}/enviar/", form)
        after = _shown(client.get(exam.url).content.decode(), exam)
        client.post(f"/evaluaciones/{exam.pk}/enviar/", form)  # a double tap
        assert Attempt.objects.filter(user=enrolled).count() == 1
        assert _shown(client.get(exam.url).content.decode(), exam) == after
        assert after != before  # an attempt was recorded: the next one has its own order

    def test_changes_after_each_attempt(self, client, enrolled, exam):
        client.force_login(enrolled)
        four = [
            b.id for b in exam.questions if b.block_type in CHOICE and len(b.value["options"]) >= 4
        ]
        assert four
        orders = []
        for _ in range(exam.max_attempts):
            shown = _shown(client.get(exam.url).content.decode(), exam)
            orders.append(tuple(tuple(shown[block_id]) for block_id in four))
            post_answers(client, exam, {})
        assert len(set(orders)) == len(orders)  # every attempt its own order

    def test_each_learner_has_an_own_order(self, client, make_user, course, exam):
        orders = set()
        for name in ("ana", "beto", "carla"):
            learner = make_user(name)
            enrollment_api.enroll(user=learner, course=course)
            complete_required_lessons(learner, course)
            client.force_login(learner)
            shown = _shown(client.get(exam.url).content.decode(), exam)
            orders.add(tuple(tuple(ids) for ids in shown.values()))
        assert len(orders) > 1

    def test_a_preview_shows_the_file_order(self, rf, enrolled, exam):
        html = exam.make_preview_request().content.decode()  # no learner
        shown = _shown(html, exam)
        request = rf.get(exam.url)
        request.user, request.is_preview = enrolled, True  # an editor's preview
        for block in exam.questions:
            if block.block_type in CHOICE:
                in_file = [o.id for o in block.value["options"].bound_blocks]
                assert shown[block.id] == in_file
                state = assessment_tags.assessment_state({"request": request}, exam)
                options = assessment_tags.shown_options(exam, block, state)
                assert [o.id for o in options] == in_file

    def test_a_pinned_option_stays_in_place(self, client, enrolled, exam):
        block = next(
            b
            for b in exam.questions
            if b.block_type == "single_choice" and len(b.value["options"]) >= 4
        )
        block.value["options"][-1]["pinned"] = True
        exam.save_revision().publish()
        exam = AssessmentPage.objects.get(pk=exam.pk)
        block = next(b for b in exam.questions if b.id == block.id)
        options = [o.id for o in block.value["options"].bound_blocks]
        client.force_login(enrolled)
        shown = _shown(client.get(exam.url).content.decode(), exam)[block.id]
        assert shown[-1] == options[-1] and sorted(shown) == sorted(options)
        firsts = set()
        for learner in range(1, 60):
            for number in (1, 2, 3):
                order = api.shown_options(
                    user_id=learner, assessment=exam, attempt_number=number, block=block
                )
                assert order[-1].id == options[-1]
                firsts.add(order[0].id)
        assert firsts == set(options[:-1])  # the others do move

    def test_shuffle_around_pinned(self):
        items = list("abcdef")
        pinned = [False, True, False, False, False, True]
        for seed in range(50):
            order = api.shuffle_around_pinned(items, pinned, seed)
            assert order[1] == "b" and order[5] == "f" and sorted(order) == items
            assert order == api.shuffle_around_pinned(items, pinned, seed)

    def test_the_final_form_carries_no_key(self, client, enrolled, exam):
        client.force_login(enrolled)
        html = client.get(exam.url).content.decode()
        form = html[html.index('<form class="quiz"') : html.index("</form>")]
        assert "correct" not in form.lower() and "data-answer" not in form
        for block in exam.questions:
            for text in _feedback_texts(block):
                assert text not in form


def _feedback_texts(block) -> list[str]:
    value = block.value
    if block.block_type in CHOICE:
        return [o["feedback"] for o in value["options"] if o["feedback"]]
    return [value["explanation"]] if value.get("explanation") else []


class TestGradingByIdNotPosition:
    def test_answers_in_any_order_grade_the_same(self, client, enrolled, exam):
        client.force_login(enrolled)
        shown = _shown(client.get(exam.url).content.decode(), exam)
        answers = right_answers(exam)
        for block_id in shown:
            answers[block_id] = list(reversed(answers[block_id]))
        post_answers(client, exam, answers)
        attempt = Attempt.objects.get(user=enrolled)
        assert attempt.score == 100 and attempt.passed

    def test_the_first_shown_option_counts_only_if_it_is_right(self, client, enrolled, exam):
        client.force_login(enrolled)
        shown = _shown(client.get(exam.url).content.decode(), exam)
        post_answers(client, exam, {block_id: ids[:1] for block_id, ids in shown.items()})
        attempt = Attempt.objects.get(user=enrolled)
        for block in exam.questions:
            if block.id in shown:
                first = next(
                    o for o in block.value["options"].bound_blocks if o.id == shown[block.id][0]
                )
                right = {o.id for o in block.value["options"].bound_blocks if o.value["correct"]}
                assert attempt.results[block.id]["correct"] is (right == {first.id})

    def test_grade_ignores_the_order_of_the_options(self, exam):
        answers = right_answers(exam)
        reordered = {k: list(reversed(v)) for k, v in answers.items()}
        assert grade(exam.questions, answers)[0] == grade(exam.questions, reordered)[0] == 100


class TestResults:
    def test_a_final_hides_the_key_until_out_of_attempts(self, client, enrolled, exam):
        client.force_login(enrolled)
        block, wrong, right = _wrong_single_choice(exam)
        first = client.get(post_answers(client, exam, {block.id: [wrong.id]})["Location"])
        html = first.content.decode()
        assert "Incorrecta" in html and "Sin responder" in html
        assert "La respuesta correcta" not in html and "Su respuesta:" not in html
        assert wrong.value["feedback"] not in html
        for question in exam.questions:
            for text in _feedback_texts(question):
                assert text not in html
        assert "cuando apruebe el examen o cuando ya no le queden intentos" in html
        for _ in range(exam.max_attempts - 1):
            post_answers(client, exam, {})
        html = client.get(first.wsgi_request.path).content.decode()
        assert f"Su respuesta: {wrong.value['text']}" in html
        assert f"La respuesta correcta: {right.value['text']}" in html
        assert wrong.value["feedback"] in html
        assert "cuando apruebe el examen" not in html

    def test_a_final_shows_the_key_once_passed(self, client, enrolled, exam):
        client.force_login(enrolled)
        block, wrong, right = _wrong_single_choice(exam)
        failed = post_answers(client, exam, {block.id: [wrong.id]})["Location"]
        assert "La respuesta correcta" not in client.get(failed).content.decode()
        passed = post_answers(client, exam, right_answers(exam))["Location"]
        html = client.get(passed).content.decode()
        assert "¡Aprobó!" in html and f"Su respuesta: {right.value['text']}" in html
        html = client.get(failed).content.decode()  # the failed attempt, now open too
        assert f"Su respuesta: {wrong.value['text']}" in html
        assert f"La respuesta correcta: {right.value['text']}" in html
        assert wrong.value["feedback"] in html

    def test_practice_shows_everything_at_once(self, client, enrolled, practice):
        client.force_login(enrolled)
        block, wrong, right = _wrong_single_choice(practice)
        tf = next(b for b in practice.questions if b.block_type == "true_false")
        given = "false" if tf.value["answer"] else "true"
        html = client.get(
            post_answers(client, practice, {block.id: [wrong.id], tf.id: [given]})["Location"]
        ).content.decode()
        assert f"Su respuesta: {wrong.value['text']}" in html
        assert f"La respuesta correcta: {right.value['text']}" in html
        assert "Su respuesta: Falso" in html or "Su respuesta: Verdadero" in html
        if wrong.value["feedback"]:
            assert wrong.value["feedback"] in html
        if tf.value["explanation"]:
            assert tf.value["explanation"] in html
        assert "cuando apruebe el examen" not in html

    def test_someone_elses_attempt_is_still_404(self, client, enrolled, make_user, exam):
        client.force_login(enrolled)
        for _ in range(exam.max_attempts):  # the key would be open to its owner
            location = post_answers(client, exam, {})["Location"]
        assert "La respuesta correcta" in client.get(location).content.decode()
        client.force_login(make_user("curiosa"))
        assert client.get(location).status_code == 404


class TestLibraryFormat:
    def _round_trip(self, option: dict) -> dict:
        def error(where, message):
            return AssertionError(f"{where}: {message}")

        raw = block_from_file(
            OptionBlock(), option, media=None, where="option", id_seed="x", error=error
        )
        return block_to_file(OptionBlock(), raw, media=None)

    def test_pinned_is_written_only_when_true(self):
        plain = {"text": "1/2", "correct": True, "feedback": "Bien."}
        pinned = {
            "text": "Ninguna de las anteriores",
            "correct": False,
            "feedback": "",
            "pinned": True,
        }
        assert self._round_trip(plain) == plain
        assert self._round_trip(pinned) == pinned
        assert self._round_trip({**plain, "pinned": False}) == plain
