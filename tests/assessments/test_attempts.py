import uuid

import pytest

from courses import api as courses_api
from courses.models import AssessmentPage
from lms.assessments import api
from lms.assessments.grading import grade_question
from lms.assessments.models import Attempt
from lms.enrollment.models import Enrollment
from lms.progress.models import LessonProgress
from tests.helpers import complete_required_lessons, post_answers, right_answers


@pytest.fixture
def enrolled(enrolled, course):
    """conftest's educanda, who has also finished the course's required lessons: its
    final assessment is open to her (``api.pending_lessons``)."""
    complete_required_lessons(enrolled, course)
    return enrolled


@pytest.fixture
def exam(course):
    return course.final_assessment.specific


class TestGrading:
    def _numeric(self, answer, tolerance=0):
        return {"answer": answer, "tolerance": tolerance, "explanation": ""}

    @pytest.mark.parametrize(
        ("given", "correct"),
        [
            ("12.5", True),
            ("12,5", True),
            ("$12.50", True),
            (" 12.5 % ", True),
            ("12.6", False),
            ("doce", False),
            ("", False),
        ],
    )
    def test_numeric(self, given, correct):
        assert grade_question("numeric", self._numeric(12.5), [given])["correct"] is correct

    def test_numeric_tolerance_and_thousands(self):
        assert grade_question("numeric", self._numeric(2400), ["2,400"])["correct"]
        assert grade_question("numeric", self._numeric(3.14, 0.01), ["3.15"])["correct"]
        assert not grade_question("numeric", self._numeric(3.14, 0.01), ["3.16"])["correct"]

    @pytest.mark.parametrize("given", ["Denominador", "  denominador ", "DENOMINADÓR"])
    def test_short_answer_ignores_case_accents_and_spaces(self, given):
        value = {"accepted_answers": ["denominador"], "explanation": "El de abajo."}
        result = grade_question("short_answer", value, [given])
        assert result["correct"] and result["feedback"] == ["El de abajo."]

    @pytest.mark.parametrize(
        ("given", "correct"),
        [
            ("curp", True),
            # The second variant, with other capitals, no accents and extra spaces.
            ("  clave unica de   REGISTRO de poblacion ", True),
            ("Clave Única de Registro", False),  # a part of a variant
            ("Clave Única de Registro de Poblaciones", False),
            ("CURPS", False),
            ("CURP Clave Única de Registro de Población", False),  # both at once
            ("", False),
        ],
    )
    def test_short_answer_accepts_each_variant_and_nothing_near(self, given, correct):
        value = {
            "accepted_answers": ["CURP", "Clave Única de Registro de Población"],
            "explanation": "",
        }
        assert grade_question("short_answer", value, [given])["correct"] is correct

    def test_short_answer_keeps_the_enye(self):
        """Accents do not count, but «ñ» is a letter of its own: «ano» is not «año»."""
        value = {"accepted_answers": ["año", "doce meses"], "explanation": ""}
        assert grade_question("short_answer", value, [" AÑO "])["correct"]
        assert grade_question("short_answer", value, ["Doce  MESES"])["correct"]
        assert not grade_question("short_answer", value, ["ano"])["correct"]

    def test_multiple_choice_needs_exactly_the_right_set(self, exam):
        block = next(b for b in exam.questions if b.block_type == "multiple_choice")
        options = list(block.value["options"].bound_blocks)
        right = [o.id for o in options if o.value["correct"]]
        wrong = [o.id for o in options if not o.value["correct"]]
        assert grade_question("multiple_choice", block.value, right)["correct"]
        assert not grade_question("multiple_choice", block.value, right[:-1] + wrong[:1])["correct"]
        assert not grade_question("multiple_choice", block.value, [])["correct"]


class TestSubmit:
    def test_all_right_passes_and_completes_the_step(self, client, enrolled, exam):
        client.force_login(enrolled)
        response = post_answers(client, exam, right_answers(exam))
        attempt = Attempt.objects.get(user=enrolled)
        assert response.status_code == 302
        assert response["Location"] == f"/evaluaciones/intentos/{attempt.uuid}/"
        assert attempt.score == 100 and attempt.passed and attempt.number == 1
        assert attempt.revision_id == exam.live_revision_id
        assert LessonProgress.objects.get(user=enrolled, page_id=exam.pk).status == "completed"
        html = client.get(response["Location"]).content.decode()
        assert "¡Aprobó!" in html and "100 %" in html

    def test_the_client_cannot_send_its_own_score(self, client, enrolled, exam):
        client.force_login(enrolled)
        client.post(f"/evaluaciones/{exam.pk}/enviar/", {"score": "100", "passed": "true"})
        attempt = Attempt.objects.get(user=enrolled)
        assert attempt.score == 0 and not attempt.passed

    def test_wrong_answers_show_feedback(self, client, enrolled, exam):
        client.force_login(enrolled)
        block = next(b for b in exam.questions if b.block_type == "single_choice")
        wrong = next(o for o in block.value["options"].bound_blocks if not o.value["correct"])
        response = post_answers(client, exam, {block.id: [wrong.id]})
        html = client.get(response["Location"]).content.decode()
        assert "Esta vez no aprobó" in html
        assert "Incorrecta" in html and "Sin responder" in html
        # A final keeps its key until the learner passes or has no attempts left.
        assert wrong.value["feedback"] not in html
        for _ in range(exam.max_attempts - 1):
            post_answers(client, exam, {})
        html = client.get(response["Location"]).content.decode()
        assert wrong.value["feedback"] in html

    def test_attempt_limit(self, client, enrolled, exam):
        client.force_login(enrolled)
        for _ in range(exam.max_attempts):
            post_answers(client, exam, {})
        response = post_answers(client, exam, right_answers(exam))
        assert response.status_code == 302 and response["Location"] == exam.url
        assert Attempt.objects.filter(user=enrolled).count() == exam.max_attempts
        html = client.get(exam.url).content.decode()
        assert "Ya no le quedan intentos" in html and "Enviar mis respuestas" not in html

    def test_history_on_the_assessment_page(self, client, enrolled, exam):
        client.force_login(enrolled)
        post_answers(client, exam, {})
        html = client.get(exam.url).content.decode()
        assert "Sus intentos" in html and "no aprobado" in html and "Le quedan 2 intentos" in html

    def test_not_enrolled_cannot_submit(self, client, educando, exam):
        client.force_login(educando)
        post_answers(client, exam, right_answers(exam))
        assert not Attempt.objects.exists()

    def test_anonymous_and_get(self, client, exam):
        assert client.get(f"/evaluaciones/{exam.pk}/enviar/").status_code in (302, 405)
        response = client.post(f"/evaluaciones/{exam.pk}/enviar/")
        assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]

    def test_someone_elses_attempt_is_404(self, client, enrolled, make_user, exam):
        client.force_login(enrolled)
        response = post_answers(client, exam, {})
        client.force_login(make_user("curiosa"))
        assert client.get(response["Location"]).status_code == 404
        assert client.get(f"/evaluaciones/intentos/{uuid.uuid4()}/").status_code == 404

    def test_republishing_never_changes_a_past_grade(self, client, enrolled, exam):
        client.force_login(enrolled)
        answers = right_answers(exam)
        post_answers(client, exam, answers)
        attempt = Attempt.objects.get(user=enrolled)
        # An editor rewrites the first question and moves the right option.
        first = exam.questions[0]
        options = first.value["options"]
        for option in options:
            option["correct"] = not option["correct"] if len(options) == 2 else False
        options[-1]["correct"] = True
        first.value["prompt"] = "Pregunta reescrita"
        exam.pass_mark = 100
        exam.save_revision().publish()
        attempt.refresh_from_db()
        assert attempt.score == 100 and attempt.passed
        html = client.get(f"/evaluaciones/intentos/{attempt.uuid}/").content.decode()
        assert "Pregunta reescrita" not in html and "¡Aprobó!" in html


def test_passing_the_final_completes_the_course(client, enrolled, course, exam):
    from lms.progress import api as progress_api

    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    for step in steps.steps:
        if step.kind == "lesson" and step.required:
            progress_api.record_server_event(user=enrolled, verb="completed", page_id=step.page_id)
    client.force_login(enrolled)
    post_answers(client, exam, right_answers(exam))
    enrollment = Enrollment.objects.get(user=enrolled, course_id=course.pk)
    assert enrollment.completed_at is not None


class TestDiagnostic:
    @pytest.fixture
    def diagnostic(self, catalog):
        def question(topic, right):
            return (
                "true_false",
                {"prompt": f"¿{topic}?", "answer": right, "topic": topic, "explanation": ""},
            )

        page = AssessmentPage(
            title="Diagnóstico",
            slug="diagnostico",
            kind="diagnostic",
            pass_mark=60,
            questions=[
                question("B3MFP", True),
                question("B3MFP", True),
                question("B2MCU", True),
                question("B2MCU", True),
            ],
        )
        catalog.add_child(instance=page)
        page.save_revision().publish()
        return page

    def test_recommends_courses_and_level(self, client, educando, diagnostic):
        client.force_login(educando)
        assert client.get(diagnostic.url).status_code == 200  # no enrollment needed
        blocks = list(diagnostic.questions)
        answers = {
            blocks[0].id: ["false"],
            blocks[1].id: ["false"],  # fractions: to study
            blocks[2].id: ["true"],
            blocks[3].id: ["true"],
        }  # money: known
        response = post_answers(client, diagnostic, answers)
        html = client.get(response["Location"]).content.decode()
        assert "Lo que le recomendamos" in html
        assert "Fracciones y porcentajes" in html  # corresponds to B3MFP
        assert "Empiece por el nivel Avanzado" in html
        placement = api.placement(attempt=Attempt.objects.get(user=educando))
        assert [t.key for t in placement.known] == ["B2MCU"]
        assert [t.key for t in placement.to_study] == ["B3MFP"]
        assert [c.slug for c in placement.courses] == ["fracciones-y-porcentajes"]

    def test_only_diagnostics_live_in_the_catalog(self, diagnostic):
        diagnostic.kind = "final"
        with pytest.raises(Exception, match="diagnósticas"):
            diagnostic.full_clean()
