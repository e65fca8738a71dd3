"""Question pools ("banco de preguntas"): an assessment with ``questions_per_attempt`` shows
each learner that many questions drawn from its questions, a new draw for each attempt,
pinned to the attempt and to the page revision; only those are graded and recorded."""

import re

import pytest
import yaml
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from content.api import LibraryError
from courses import api as courses_api
from courses.models import AssessmentPage, CoursePage
from lms.assessments import api
from lms.assessments.models import Attempt
from lms.assessments.templatetags import assessment_tags
from tests.helpers import complete_required_lessons, copy_shipped_course, right_answers

DRAWN = 4


@pytest.fixture
def enrolled(enrolled, course):
    """conftest's educanda, who has also finished the course's required lessons: its
    final assessment is open to her (``api.pending_lessons``)."""
    complete_required_lessons(enrolled, course)
    return enrolled


@pytest.fixture
def pool(course):
    """The course's final, cut to 10 questions, as a pool drawing 4, with no attempt
    limit."""
    exam = course.final_assessment.specific
    while len(exam.questions) > 10:
        del exam.questions[-1]
    exam.questions_per_attempt = DRAWN
    exam.max_attempts = None
    exam.save_revision().publish()
    return AssessmentPage.objects.get(pk=exam.pk)


def _questions_on(html: str) -> list[str]:
    return re.findall(r'<fieldset class="question" id="pregunta-([^"]+)"', html)


def _drawn(assessment, user, number, previous=()) -> list[str]:
    """The ids of the questions drawn for ``user``'s attempt ``number`` after an attempt
    that had the questions ``previous``."""
    return [
        b.id
        for b in api.drawn_questions(
            user_id=user.pk, assessment=assessment, attempt_number=number, previous_ids=previous
        )
    ]


class TestDraw:
    def test_stable_across_reloads_and_n_questions_in_file_order(self, client, enrolled, pool):
        client.force_login(enrolled)
        first = _questions_on(client.get(pool.url).content.decode())
        again = _questions_on(client.get(pool.url).content.decode())
        assert first == again == _drawn(pool, enrolled, 1)
        assert len(first) == DRAWN
        in_file = [b.id for b in pool.questions]
        assert first == [block_id for block_id in in_file if block_id in first]
        html = client.get(pool.url).content.decode()
        assert re.findall(r'name="shown" value="([^"]+)"', html) == first
        assert "4 preguntas por intento" in html

    def test_a_new_draw_for_each_attempt(self, client, enrolled, pool):
        client.force_login(enrolled)
        draws = []
        for _ in range(4):
            draws.append(tuple(_questions_on(client.get(pool.url).content.decode())))
            client.post(f"/evaluaciones/{pool.pk}/enviar/", {})
        assert Attempt.objects.filter(user=enrolled).count() == 4
        assert all(len(draw) == DRAWN for draw in draws)
        assert len(set(draws)) >= 2
        # Each attempt recorded the questions it showed.
        recorded = Attempt.objects.filter(user=enrolled).order_by("number")
        assert [tuple(a.question_ids) for a in recorded] == draws

    def test_the_next_attempt_draws_other_questions(self, client, enrolled, pool):
        """A pool of 10 drawing 4: each attempt shares no question with the one before (a
        draw on its own would, 13 times in 14). The page shown again and the submission
        (which draws again, and refuses a final whose form showed other questions) give
        the same draw."""
        client.force_login(enrolled)
        before: list[str] = []
        for number in range(1, 6):
            shown = _questions_on(client.get(pool.url).content.decode())
            assert _questions_on(client.get(pool.url).content.decode()) == shown
            assert shown == _drawn(pool, enrolled, number, previous=before)
            assert len(shown) == DRAWN and not set(shown) & set(before)
            client.post(f"/evaluaciones/{pool.pk}/enviar/", {"shown": shown})
            attempt = Attempt.objects.get(user=enrolled, number=number)
            assert attempt.question_ids == shown
            before = shown

    def test_a_small_pool_repeats_as_few_questions_as_it_must(self, make_user, pool):
        """10 questions drawing 6: two attempts in a row share 2 (6 + 6 - 10), never more."""
        pool.questions_per_attempt = 6
        ana = make_user("ana")
        before: list[str] = []
        for number in range(1, 9):
            draw = _drawn(pool, ana, number, previous=before)
            assert len(draw) == 6 and draw == _drawn(pool, ana, number, previous=before)
            if before:
                assert len(set(draw) & set(before)) == 2
            before = draw

    def test_the_attempt_before_is_all_that_is_avoided(self, make_user, pool):
        """Ids of questions the revision no longer has, or none at all (an attempt from
        before pools recorded none), change nothing: a plain draw."""
        ana = make_user("ana")
        plain = _drawn(pool, ana, 2)
        assert _drawn(pool, ana, 2, previous=["ya-no-existe"]) == plain
        everything = [b.id for b in pool.questions]
        assert _drawn(pool, ana, 2, previous=everything) == plain

    def test_the_draw_depends_on_learner_attempt_and_revision(self, make_user, pool):
        ana, beto = make_user("ana"), make_user("beto")
        assert len({tuple(_drawn(pool, ana, n)) for n in range(1, 7)}) >= 2
        assert {tuple(_drawn(pool, u, n)) for u in (ana, beto) for n in (1, 2)} != {
            tuple(_drawn(pool, ana, 1))
        }
        before = [tuple(_drawn(pool, ana, n)) for n in range(1, 7)]
        pool.save_revision().publish()
        pool = AssessmentPage.objects.get(pk=pool.pk)
        assert [tuple(_drawn(pool, ana, n)) for n in range(1, 7)] != before

    def test_a_preview_and_an_anonymous_visitor_see_every_question(self, rf, enrolled, pool):
        in_file = [b.id for b in pool.questions]
        assert _questions_on(pool.make_preview_request().content.decode()) == in_file
        request = rf.get(pool.url)
        request.user, request.is_preview = enrolled, True
        state = assessment_tags.assessment_state({"request": request}, pool)
        shown = assessment_tags.shown_questions(pool, state)
        assert [b.id for b in shown] == in_file
        request = rf.get(pool.url)
        request.user = AnonymousUser()
        state = assessment_tags.assessment_state({"request": request}, pool)
        shown = assessment_tags.shown_questions(pool, state)
        assert [b.id for b in shown] == in_file

    def test_the_draw_costs_no_query(self, client, enrolled, course):
        exam = course.final_assessment.specific
        client.force_login(enrolled)
        client.get(exam.url)
        with CaptureQueriesContext(connection) as without_pool:
            client.get(exam.url)
        exam.questions_per_attempt = DRAWN
        exam.save_revision().publish()
        client.get(exam.url)
        with CaptureQueriesContext(connection) as with_pool:
            html = client.get(exam.url).content.decode()
        assert len(_questions_on(html)) == DRAWN
        assert len(with_pool) == len(without_pool)

    def test_without_a_pool_every_question(self, enrolled, course):
        exam = course.final_assessment.specific
        assert _drawn(exam, enrolled, 1) == [b.id for b in exam.questions]


class TestGrading:
    def test_only_the_drawn_questions_count(self, enrolled, pool):
        drawn = _drawn(pool, enrolled, 1)
        attempt = api.submit_attempt(user=enrolled, assessment=pool, answers=right_answers(pool))
        assert attempt.score == 100 and attempt.passed
        assert attempt.question_ids == drawn
        assert list(attempt.results) == drawn and set(attempt.answers) == set(drawn)

    def test_answers_to_undrawn_questions_change_nothing(self, enrolled, pool):
        drawn = set(_drawn(pool, enrolled, 1))
        others = {k: v for k, v in right_answers(pool).items() if k not in drawn}
        attempt = api.submit_attempt(user=enrolled, assessment=pool, answers=others)
        assert attempt.score == 0 and not attempt.passed
        assert attempt.answers == {}

    def test_the_score_is_out_of_the_drawn_number(self, enrolled, pool):
        drawn = _drawn(pool, enrolled, 1)
        right = right_answers(pool)
        answers = {block_id: right[block_id] for block_id in drawn[:3]}
        attempt = api.submit_attempt(user=enrolled, assessment=pool, answers=answers)
        assert attempt.score == 75  # 3 of 4, not 3 of 10

    def test_a_form_with_other_questions_is_refused(self, client, enrolled, pool):
        client.force_login(enrolled)
        shown = _questions_on(client.get(pool.url).content.decode())
        client.post(f"/evaluaciones/{pool.pk}/enviar/", {"shown": shown})
        assert Attempt.objects.filter(user=enrolled).count() == 1
        # An old tab, showing the first attempt's questions, sent after it was recorded (the
        # second attempt draws other questions: 10 is at least twice 4).
        assert not set(shown) & set(_drawn(pool, enrolled, 2, previous=shown))
        response = client.post(f"/evaluaciones/{pool.pk}/enviar/", {"shown": shown})
        assert response.status_code == 302 and response.url == pool.url
        assert Attempt.objects.filter(user=enrolled).count() == 1
        with pytest.raises(api.AttemptError) as info:
            api.submit_attempt(user=enrolled, assessment=pool, answers={}, shown=["otra"])
        assert info.value.code == "stale_form" and "Ábrala de nuevo" in info.value.message

    def test_a_practice_quiz_from_an_older_page_is_graded_on_what_it_showed(self, enrolled, pool):
        """Practice answered on a page shown before another attempt was recorded (e.g.
        offline on the phone) is not lost: it is graded on the questions it showed, when
        they are a fair draw of the pool. A final never is (the test above)."""
        type(pool).objects.filter(pk=pool.pk).update(kind=courses_api.AssessmentKind.PRACTICE)
        practice = AssessmentPage.objects.get(pk=pool.pk)
        practice.save_revision().publish()
        practice = AssessmentPage.objects.get(pk=pool.pk)
        first = _drawn(practice, enrolled, 1)
        api.submit_attempt(user=enrolled, assessment=practice, answers={}, shown=first)
        right = right_answers(practice)
        old_page = {block_id: right[block_id] for block_id in first}
        attempt = api.submit_attempt(
            user=enrolled, assessment=practice, answers=old_page, shown=first
        )
        assert attempt.number == 2
        assert attempt.question_ids == first and attempt.score == 100
        # Not a fair draw (an unknown id, a repeated one, too few): refused.
        for shown in (["otra", *first[1:]], [first[0]] * DRAWN, first[:2]):
            with pytest.raises(api.AttemptError):
                api.submit_attempt(user=enrolled, assessment=practice, answers={}, shown=shown)


class TestResults:
    def test_the_results_page_shows_exactly_the_attempts_questions(self, client, enrolled, pool):
        client.force_login(enrolled)
        client.get(pool.url)
        response = client.post(f"/evaluaciones/{pool.pk}/enviar/", {})
        attempt = Attempt.objects.get(user=enrolled)
        html = client.get(response.url).content.decode()
        assert html.count('<li class="question">') == DRAWN
        assert "0 de 4 respuestas correctas" in html

        # Read from what the attempt recorded, whatever the draw would give today.
        attempt.question_ids = [b.id for b in pool.questions][:2]
        attempt.save()
        html = client.get(response.url).content.decode()
        assert html.count('<li class="question">') == 2

    def test_an_attempt_from_before_pools_shows_every_question(self, client, enrolled, pool):
        attempt = api.submit_attempt(user=enrolled, assessment=pool, answers={})
        Attempt.objects.filter(pk=attempt.pk).update(question_ids=[])
        attempt.refresh_from_db()
        assert len(api.attempt_questions(attempt, api.pinned_assessment(attempt))) == 10


class TestValidation:
    @pytest.mark.parametrize(
        ("value", "message"),
        [(11, "No puede ser mayor que el número de preguntas"), (0, "al menos 1")],
    )
    def test_out_of_range(self, pool, value, message):
        pool.questions_per_attempt = value
        with translation.override("es-mx"), pytest.raises(ValidationError) as info:
            pool.full_clean()
        assert any(message in m for m in info.value.message_dict["questions_per_attempt"])

    def test_the_whole_pool_and_empty_are_fine(self, pool):
        assert len(pool.questions) == 10
        for value in (10, 1, None):
            pool.questions_per_attempt = value
            pool.full_clean()


@pytest.fixture
def library_copy(tmp_path):
    return copy_shipped_course(tmp_path, "curso-banco")


MORE_THAN_THE_QUESTIONS = "one more than the final has"


def _set_pool(library_copy, value) -> None:
    path = library_copy / "curso-banco/assessments/examen-final.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if value == MORE_THAN_THE_QUESTIONS:
        value = len(data["questions"]) + 1
    data["questions_per_attempt"] = value
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        # As an author would: the intro says how many questions an attempt has.
        data["intro"] = re.sub(r"\d+ preguntas", f"{value} preguntas", data["intro"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


class TestLibrary:
    def test_round_trip(self, db, library_copy, tmp_path):
        _set_pool(library_copy, 6)
        courses_api.import_library(root=library_copy)
        course = CoursePage.objects.get(slug="curso-banco")
        assert course.final_assessment.specific.questions_per_attempt == 6
        out = tmp_path / "export"
        courses_api.export_course(course=course, root=out)
        text = (out / "curso-banco/assessments/examen-final.yaml").read_text(encoding="utf-8")
        assert "max_attempts: 3\nquestions_per_attempt: 6\nintro:" in text
        exported = yaml.safe_load(text)
        source = library_copy / "curso-banco/assessments/examen-final.yaml"
        assert exported == yaml.safe_load(source.read_text(encoding="utf-8"))
        # Without a pool nothing is written (the shipped files round-trip unchanged).
        practice = (out / "curso-banco/assessments/practica-fracciones.yaml").read_text("utf-8")
        assert "questions_per_attempt" not in practice

    @pytest.mark.parametrize("value", [0, MORE_THAN_THE_QUESTIONS, -1, "cinco", True])
    def test_a_bad_value_names_file_and_field(self, db, library_copy, value):
        _set_pool(library_copy, value)
        with pytest.raises(LibraryError) as info:
            courses_api.import_library(root=library_copy)
        assert info.value.file.endswith("examen-final.yaml")
        assert info.value.field == "questions_per_attempt"
        assert not CoursePage.objects.filter(slug="curso-banco").exists()
