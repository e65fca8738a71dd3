"""A course's final opens after its required lessons (``CoursePage.final_requires_lessons``,
on by default): until then submitting is refused (``lessons_pending``), the final's page
lists the lessons still to do, and "Continuar" never points at the final."""

from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages

from courses import api as courses_api
from courses.models import CoursePage, LessonPage
from lms.assessments import api
from lms.assessments.models import Attempt
from lms.progress import api as progress_api
from tests.helpers import complete_required_lessons, post_answers, right_answers

GATE_TITLE = "El examen final se abre al terminar las lecciones"


@pytest.fixture
def exam(course):
    return course.final_assessment.specific


def required_lessons(course):
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    return [s for s in steps.steps if s.kind == "lesson" and s.required]


def turn_gate(course, *, on):
    course = CoursePage.objects.get(pk=course.pk)
    course.final_requires_lessons = on
    course.save_revision().publish()


class TestSubmitting:
    def test_refused_while_lessons_are_pending(self, sedes, make_learner, course, exam):
        learner = make_learner("apurada", sedes["norte"][2], course, lessons_done=2)
        with pytest.raises(api.AttemptError) as refused:
            api.submit_attempt(user=learner, assessment=exam, answers=right_answers(exam))
        pending = len(required_lessons(course)) - 2
        assert refused.value.code == "lessons_pending"
        assert f"Le faltan {pending} lecciones" in refused.value.message
        assert not Attempt.objects.filter(user=learner).exists()
        assert progress_api.lesson_status_for(user_id=learner.pk, page_ids=[exam.pk]) == {}

    def test_one_lesson_left_is_still_refused(self, sedes, make_learner, course, exam):
        lessons = required_lessons(course)
        learner = make_learner("casi", sedes["norte"][2], course, lessons_done=len(lessons) - 1)
        with pytest.raises(api.AttemptError, match="Le falta 1 lección"):
            api.submit_attempt(user=learner, assessment=exam, answers={})

    def test_the_form_answers_with_a_spanish_error_not_a_500(self, client, enrolled, exam):
        client.force_login(enrolled)
        response = post_answers(client, exam, right_answers(exam))
        assert response.status_code == 302 and response["Location"] == exam.url
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        assert any("El examen final se abre cuando termine las lecciones" in t for t in texts)
        assert not Attempt.objects.exists()

    def test_allowed_once_every_required_lesson_is_done(self, client, enrolled, course, exam):
        complete_required_lessons(enrolled, course)
        client.force_login(enrolled)
        response = post_answers(client, exam, right_answers(exam))
        attempt = Attempt.objects.get(user=enrolled)
        assert response["Location"] == f"/evaluaciones/intentos/{attempt.uuid}/"
        assert attempt.passed

    def test_an_optional_lesson_does_not_hold_it_back(self, enrolled, course, exam):
        lessons = required_lessons(course)
        optional = LessonPage.objects.get(pk=lessons[-1].page_id)
        optional.required = False
        optional.save_revision().publish()
        for step in lessons[:-1]:
            progress_api.record_server_event(user=enrolled, verb="completed", page_id=step.page_id)
        attempt = api.submit_attempt(user=enrolled, assessment=exam, answers={})
        assert attempt.number == 1

    def test_allowed_when_the_author_turns_the_rule_off(self, enrolled, course, exam):
        turn_gate(course, on=False)
        attempt = api.submit_attempt(user=enrolled, assessment=exam, answers={})
        assert attempt.number == 1 and not attempt.passed
        turn_gate(course, on=True)  # and back on: the next attempt waits for the lessons
        with pytest.raises(api.AttemptError):
            api.submit_attempt(user=enrolled, assessment=exam, answers={})

    def test_a_practice_is_never_held_back(self, enrolled):
        from courses.models import AssessmentPage

        practice = AssessmentPage.objects.get(slug="practica-fracciones")
        assert api.pending_lessons(user_id=enrolled.pk, assessment=practice) == []
        assert api.submit_attempt(user=enrolled, assessment=practice, answers={}).number == 1

    def test_not_enrolled_is_told_to_enroll_first(self, educando, exam):
        with pytest.raises(api.AttemptError) as refused:
            api.submit_attempt(user=educando, assessment=exam, answers={})
        assert refused.value.code == "not_enrolled"


class TestThePage:
    def test_lists_the_pending_lessons_with_links_and_no_questions(
        self, client, sedes, make_learner, course, exam
    ):
        learner = make_learner("lectora", sedes["norte"][2], course, lessons_done=2)
        client.force_login(learner)
        html = client.get(exam.url).content.decode()
        assert GATE_TITLE in html
        lessons = required_lessons(course)
        for step in lessons[2:]:
            page = LessonPage.objects.get(pk=step.page_id)
            assert f'<a href="{page.url}">{page.title}</a>' in html
        for step in lessons[:2]:
            assert LessonPage.objects.get(pk=step.page_id).url not in html
        assert 'class="question"' not in html and "Enviar mis respuestas" not in html
        assert f"Le faltan {len(lessons) - 2} lecciones obligatorias" in html

    def test_the_form_once_the_lessons_are_done(self, client, enrolled, course, exam):
        complete_required_lessons(enrolled, course)
        client.force_login(enrolled)
        html = client.get(exam.url).content.decode()
        assert GATE_TITLE not in html
        assert html.count('class="question"') == len(exam.questions)
        assert "Enviar mis respuestas" in html

    def test_the_form_when_the_rule_is_off(self, client, enrolled, course, exam):
        turn_gate(course, on=False)
        client.force_login(enrolled)
        html = client.get(exam.url).content.decode()
        assert GATE_TITLE not in html and "Enviar mis respuestas" in html

    def test_each_learner_sees_only_their_own_state(
        self, client, sedes, make_learner, course, exam
    ):
        done = make_learner("termino", sedes["norte"][2], course)
        complete_required_lessons(done, course)
        behind = make_learner("atrasada", sedes["norte"][2], course)
        client.force_login(behind)
        html = client.get(exam.url).content.decode()
        assert GATE_TITLE in html  # another learner's lessons open nothing for her
        assert html.count("<li><a href=") >= len(required_lessons(course))
        client.force_login(done)
        assert GATE_TITLE not in client.get(exam.url).content.decode()
        with pytest.raises(api.AttemptError):
            api.submit_attempt(user=behind, assessment=exam, answers={})

    def test_an_editors_preview_shows_the_questions(self, exam):
        html = exam.make_preview_request().content.decode()
        assert GATE_TITLE not in html and 'class="question"' in html

    def test_the_final_says_it_is_the_last_step(self, client, enrolled, course, exam):
        count = len(courses_api.course_steps(course_ids=[course.pk])[course.pk].steps)
        client.force_login(enrolled)
        assert f"Paso {count} de {count}" in client.get(exam.url).content.decode()


class TestContinuar:
    def _steps(self):
        lesson = lambda pk: courses_api.Step(pk, "lesson", f"Lección {pk}", True)  # noqa: E731
        steps = courses_api.CourseSteps(1, "Curso", final_assessment_id=9)
        steps.steps = [
            lesson(1),
            lesson(2),
            courses_api.Step(3, "lesson", "Opcional", False),
            courses_api.Step(9, "assessment", "Examen final", False),
        ]
        return steps

    def test_never_the_final_while_a_required_lesson_is_pending(self):
        done = SimpleNamespace(status="completed")
        progress = SimpleNamespace(last_page_id=9)  # last seen: the final
        step = progress_api.resume_step(steps=self._steps(), progress=progress, statuses={1: done})
        assert step.page_id == 2
        # With the required lessons done, the final (an optional lesson does not count).
        statuses = {1: done, 2: done}
        step = progress_api.resume_step(steps=self._steps(), progress=progress, statuses=statuses)
        assert step.page_id == 9

    def test_my_courses_points_to_the_first_pending_lesson(
        self, client, sedes, make_learner, course, exam
    ):
        learner = make_learner("continua", sedes["norte"][2], course, lessons_done=1)
        # She opened the final (the last page she worked on), which did not let her in.
        progress_api.record_server_event(user=learner, verb="started", page_id=exam.pk)
        client.force_login(learner)
        (card,) = client.get("/mis-cursos/").context["cards"]
        second = required_lessons(course)[1]
        assert card.next_step.page_id == second.page_id
        assert f"Continuar: {second.title}" in client.get("/mis-cursos/").content.decode()


def test_the_gated_final_page_takes_5_queries_whatever_the_lessons(
    client, enrolled, course, django_assert_num_queries
):
    """Session, user, the enrollment, the learner's attempts and progress: the site, the
    page and its course come from the kept route, the pending lessons' titles and
    addresses from the cached study steps and outline."""
    final = course.final_assessment
    client.force_login(enrolled)
    assert (
        "El examen final se abre al terminar las lecciones"
        in client.get(final.url).content.decode()
    )
    with django_assert_num_queries(5):
        html = client.get(final.url).content.decode()
    first = LessonPage.objects.live().descendant_of(course).order_by("path").first()
    assert f'<a href="{first.url}">{first.title}</a>' in html
