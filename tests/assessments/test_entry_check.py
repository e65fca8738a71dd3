"""The entry check ("prueba de entrada"): a few questions from the final's pool before the
first lesson, counting for nothing, never again in that learner's final."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.models import AssessmentPage
from lms.assessments import api
from lms.assessments.models import Attempt, EntryCheck
from tests.helpers import complete_required_lessons, right_answers

DRAWN = 4
POOL = 10


@pytest.fixture
def pool(course):
    """The course's final, cut to 10 questions, as a pool drawing 4 (6 to spare), no
    attempt limit."""
    exam = course.final_assessment.specific
    while len(exam.questions) > POOL:
        del exam.questions[-1]
    exam.questions_per_attempt = DRAWN
    exam.max_attempts = None
    exam.save_revision().publish()
    return AssessmentPage.objects.get(pk=exam.pk)


def _questions_on(html: str) -> list[str]:
    return re.findall(r'<fieldset class="question" id="pregunta-([^"]+)"', html)


def _entry_url(course) -> str:
    return f"/evaluaciones/entrada/{course.pk}/"


class TestOffer:
    def test_the_course_page_offers_it_before_the_first_lesson(
        self, client, enrolled, course, pool
    ):
        client.force_login(enrolled)
        html = client.get(course.url).content.decode()
        assert "Antes de empezar: una prueba corta" in html
        assert "Conteste 6 preguntas" in html
        assert _entry_url(course) in html

    def test_not_once_taken(self, client, enrolled, course, pool):
        client.force_login(enrolled)
        client.post(_entry_url(course), {})
        assert "Antes de empezar" not in client.get(course.url).content.decode()

    def test_not_without_questions_to_spare(self, client, enrolled, course):
        """The shipped final of this course has no pool: every question is in every
        attempt, so none can be spent before."""
        client.force_login(enrolled)
        assert "Antes de empezar" not in client.get(course.url).content.decode()
        response = client.get(_entry_url(course), follow=True)
        assert "Este curso no tiene prueba de entrada." in response.content.decode()
        assert not EntryCheck.objects.exists()

    def test_not_to_a_visitor_or_someone_not_enrolled(self, client, educando, course, pool):
        assert "Antes de empezar" not in client.get(course.url).content.decode()
        client.force_login(educando)
        assert "Antes de empezar" not in client.get(course.url).content.decode()

    def test_the_author_can_turn_it_off(self, client, enrolled, course, pool):
        course.entry_check_questions = 0
        course.save_revision().publish()
        client.force_login(enrolled)
        assert "Antes de empezar" not in client.get(course.url).content.decode()

    def test_size_is_what_the_pool_spares(self, course, pool):
        assert api.entry_check_size(course=course, final=pool) == POOL - DRAWN
        course.entry_check_questions = 3
        assert api.entry_check_size(course=course, final=pool) == 3
        pool.questions_per_attempt = 0
        assert api.entry_check_size(course=course, final=pool) == 0


class TestTakingIt:
    def test_its_questions_without_their_key(self, client, enrolled, course, pool):
        client.force_login(enrolled)
        response = client.get(_entry_url(course))
        html = response.content.decode()
        shown = _questions_on(html)
        assert len(shown) == POOL - DRAWN
        assert set(shown) <= {block.id for block in pool.questions}
        assert "data-key" not in html  # nothing the phone could grade with
        assert "No es un examen" in html
        assert shown == _questions_on(client.get(_entry_url(course)).content.decode())

    def test_answered_it_is_kept_once_and_says_only_how_many(self, client, enrolled, course, pool):
        client.force_login(enrolled)
        shown = _questions_on(client.get(_entry_url(course)).content.decode())
        key = right_answers(pool)
        answers = {f"q-{block_id}": key[block_id] for block_id in shown[:2]}
        response = client.post(_entry_url(course), answers, follow=True)
        html = response.content.decode()
        assert "Contestó bien 2 de 6 preguntas" in html
        entry = EntryCheck.objects.get(user=enrolled)
        assert entry.question_ids == shown
        assert float(entry.score) == pytest.approx(100 * 2 / 6, abs=0.01)
        assert entry.assessment_id == pool.pk and entry.revision_id == pool.live_revision_id
        # Sent again: the same one, not a second.
        client.post(_entry_url(course), {f"q-{block_id}": key[block_id] for block_id in shown})
        assert EntryCheck.objects.get(user=enrolled).pk == entry.pk
        assert float(EntryCheck.objects.get(user=enrolled).score) == float(entry.score)
        # It is no attempt at the final and no progress.
        assert not Attempt.objects.filter(user=enrolled).exists()
        response = client.get(_entry_url(course), follow=True)
        assert "Ya contestó la prueba de entrada" in response.content.decode()

    def test_answers_to_other_questions_are_ignored(self, client, enrolled, course, pool):
        client.force_login(enrolled)
        shown = set(_questions_on(client.get(_entry_url(course)).content.decode()))
        key = right_answers(pool)
        others = {f"q-{b}": v for b, v in key.items() if b not in shown}
        client.post(_entry_url(course), others)
        entry = EntryCheck.objects.get(user=enrolled)
        assert float(entry.score) == 0
        assert set(entry.answers) == set()

    def test_closed_once_a_lesson_is_finished(self, client, enrolled, course, pool):
        complete_required_lessons(enrolled, course)
        client.force_login(enrolled)
        response = client.get(_entry_url(course), follow=True)
        assert "ya terminó una lección" in response.content.decode()
        client.post(_entry_url(course), {})
        assert not EntryCheck.objects.exists()


class TestWhoMay:
    def test_anonymous_goes_to_log_in(self, client, course, pool):
        response = client.get(_entry_url(course))
        assert response.status_code == 302 and "/entrar/" in response["Location"]
        assert client.post(_entry_url(course), {}).status_code == 302
        assert not EntryCheck.objects.exists()

    def test_not_enrolled_sees_no_question(self, client, educando, course, pool):
        client.force_login(educando)
        response = client.get(_entry_url(course), follow=True)
        html = response.content.decode()
        assert "Inscríbase en el curso" in html
        assert not _questions_on(html)
        client.post(_entry_url(course), {})
        assert not EntryCheck.objects.exists()

    def test_a_coordinator_is_no_learner_of_it(self, client, coordinador, course, pool):
        client.force_login(coordinador)
        assert not _questions_on(client.get(_entry_url(course), follow=True).content.decode())
        client.post(_entry_url(course), {})
        assert not EntryCheck.objects.exists()

    def test_unknown_course_is_404(self, client, enrolled, pool):
        client.force_login(enrolled)
        assert client.get("/evaluaciones/entrada/999999/").status_code == 404
        assert client.post("/evaluaciones/entrada/999999/", {}).status_code == 404


class TestNeverInTheFinal:
    def test_no_draw_of_the_final_has_an_entry_question(self, client, enrolled, course, pool):
        client.force_login(enrolled)
        client.post(_entry_url(course), {})
        entry = set(EntryCheck.objects.get(user=enrolled).question_ids)
        assert len(entry) == POOL - DRAWN
        complete_required_lessons(enrolled, course)
        for _ in range(5):
            shown = _questions_on(client.get(pool.url).content.decode())
            assert len(shown) == DRAWN
            assert not entry & set(shown)
            client.post(f"/evaluaciones/{pool.pk}/enviar/", {"shown": shown})
        attempts = Attempt.objects.filter(user=enrolled)
        assert attempts.count() == 5
        for attempt in attempts:
            assert not entry & set(attempt.question_ids)

    def test_for_many_learners_and_with_draws_by_outcome(self, course, pool, make_user):
        exam = pool
        exam.draw_by_outcome = True
        for number in range(40):
            user = make_user(f"educando-{number}")
            entry = [
                b.id
                for b in api.entry_check_questions(
                    user_id=user.pk,
                    course=course,
                    final=exam,
                    revision_id=exam.live_revision_id,
                )
            ]
            assert len(entry) == POOL - DRAWN
            for attempt in (1, 2, 3):
                drawn = api.drawn_questions(
                    user_id=user.pk,
                    assessment=exam,
                    attempt_number=attempt,
                    previous_ids=[],
                    excluded_ids=entry,
                )
                assert len(drawn) == DRAWN
                assert not set(entry) & {b.id for b in drawn}

    def test_the_final_page_reads_the_exclusion_from_the_cache(
        self, client, enrolled, course, pool, django_capture_on_commit_callbacks
    ):
        client.force_login(enrolled)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(_entry_url(course), {})
        complete_required_lessons(enrolled, course)
        client.get(pool.url)
        with CaptureQueriesContext(connection) as queries:
            client.get(pool.url)
        assert not any("entrycheck" in q["sql"] for q in queries.captured_queries)
        assert len(queries) <= 8


class TestTheLearnerSeesHowFarTheyCame:
    def test_the_final_result_recalls_the_entry_score(self, client, enrolled, course, pool):
        client.force_login(enrolled)
        client.post(_entry_url(course), {})  # nothing right: 0 %
        complete_required_lessons(enrolled, course)
        shown = _questions_on(client.get(pool.url).content.decode())
        key = right_answers(pool)
        answers = {f"q-{block_id}": key[block_id] for block_id in shown}
        response = client.post(
            f"/evaluaciones/{pool.pk}/enviar/", {**answers, "shown": shown}, follow=True
        )
        html = response.content.decode()
        assert "en la prueba de entrada, obtuvo 0 %. Hoy obtuvo 100 %." in html

    def test_not_without_an_entry_check(self, client, enrolled, course, pool):
        complete_required_lessons(enrolled, course)
        client.force_login(enrolled)
        response = client.post(f"/evaluaciones/{pool.pk}/enviar/", {}, follow=True)
        assert "prueba de entrada" not in response.content.decode()


def test_the_learners_data_download_holds_their_entry_checks(client, enrolled, course, pool):
    from lms.accounts import api as accounts_api

    client.force_login(enrolled)
    client.post(_entry_url(course), {})
    data = accounts_api.export_personal_data(user=enrolled)
    [entry] = data["pruebas_de_entrada"]
    assert entry["curso"] == course.pk and entry["calificacion"] == 0
