"""Coverage and quality checks of assessments (``courses.assessment_review``): questions
tagged with the outcome they assess, warnings in the admin, after saving and on import,
and outcome numbers the course does not have refused by the admin and the importer."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation
from wagtail import hooks

from content.api import LibraryError
from courses import api
from courses.assessment_review import (
    INTRO_COUNT,
    KEY_POSITION,
    OUTCOME_NOT_DRAWN,
    TOP_KEYS,
    UNKNOWN_OUTCOME,
    UNTESTED_OUTCOME,
)
from courses.models import AssessmentPage, CoursePage
from lms.accounts import roles
from tests.helpers import copy_shipped_course, edit_yaml

OUTCOMES = ["Leer fracciones.", "Sumar fracciones.", "Calcular porcentajes."]


def _options(rights):
    return [
        {"text": f"Opción {index + 1}", "correct": right, "feedback": ""}
        for index, right in enumerate(rights)
    ]


def _question(kind, outcome=None, prompt="¿Cuál es la respuesta correcta?", **value):
    return {"type": kind, "value": {"prompt": prompt, "topic": "", "outcome": outcome, **value}}


def _single(right_at, outcome=None, count=4):
    return _question(
        "single_choice", outcome, options=_options([i == right_at for i in range(count)])
    )


def _true_false(outcome=None):
    return _question("true_false", outcome, answer=True, explanation="")


def _page(questions, *, intro="", kind="final", **fields):
    page = AssessmentPage(title="Examen", slug="examen", kind=kind, intro=intro, **fields)
    page.questions = AssessmentPage.questions.field.stream_block.to_python(questions)
    return page


def _codes(warnings):
    return [w.code for w in warnings]


def _review(page, **kwargs):
    with translation.override("es-mx"):
        return api.review_assessment(page, **kwargs)


# Every outcome assessed, right options spread, the intro's count right: nothing to say.
GOOD = [_single(0, 1), _single(1, 2), _single(2, 3), _single(3, 1), _true_false(2)]


class TestChecks:
    def test_a_good_final_has_no_warning(self, db, django_assert_num_queries):
        page = _page(GOOD, intro="<p>Tiene cinco preguntas. Lea una pregunta a la vez.</p>")
        with django_assert_num_queries(0):
            assert _review(page, outcomes=OUTCOMES, is_final=True) == []

    def test_untested_outcomes_of_the_final(self):
        page = _page([_single(0, 1), _single(1, 1), _true_false(None)])
        warnings = _review(page, outcomes=OUTCOMES, is_final=True)
        untested = [w for w in warnings if w.code == UNTESTED_OUTCOME]
        assert len(untested) == 2
        assert "aprendizaje esperado 2, «Sumar fracciones.»" in untested[0].message
        assert "aprendizaje esperado 3, «Calcular porcentajes.»" in untested[1].message
        assert "Escriba 3 en «Aprendizaje esperado que evalúa»" in untested[1].message
        # Not the course's final: not every outcome has to be there.
        assert UNTESTED_OUTCOME not in _codes(_review(page, outcomes=OUTCOMES))

    def test_a_tag_naming_an_outcome_the_course_lacks(self):
        page = _page([*GOOD, _true_false(7)])
        warnings = _review(page, outcomes=OUTCOMES, is_final=True)
        assert _codes(warnings) == [UNKNOWN_OUTCOME]
        assert "Pregunta 6" in warnings[0].message and "aprendizaje esperado 7" in (
            warnings[0].message
        )

    def test_right_options_gathered_in_one_position(self):
        page = _page([_single(0), _single(0), _single(0), _single(1), _true_false()])
        warnings = _review(page)
        assert _codes(warnings) == [KEY_POSITION]
        message = warnings[0].message
        assert message.startswith("75 % de las respuestas correctas (3 de 4")
        assert "opción 1 del archivo" in message and "vista previa" in message
        # Spread out, too few choice questions, or not a final: no warning.
        assert _review(_page([_single(0), _single(1), _single(2), _single(0)])) == []
        assert _review(_page([_single(0), _single(0), _single(0)])) == []
        same_practice = _page([_single(0)] * 4, kind="practice")
        assert _review(same_practice) == []
        assert _codes(_review(same_practice, is_final=True)) == [KEY_POSITION]

    @pytest.mark.parametrize(
        "intro",
        [
            "<p>Tiene 10 preguntas.</p>",
            "<p>Conteste las diez preguntas.</p>",
            "<p>Son DIECISÉIS preguntas.</p>",
            "<p>10 preguntas</p>",
            "<p>This quiz has 10 questions.</p>",
            "<p>Tiene 5 preguntas; son twelve questions.</p>",
        ],
    )
    def test_an_intro_stating_another_count(self, intro):
        warnings = _review(_page(GOOD, intro=intro, kind="practice"))
        assert INTRO_COUNT in _codes(warnings)
        message = next(w.message for w in warnings if w.code == INTRO_COUNT)
        assert "cada intento tiene 5 preguntas" in message

    @pytest.mark.parametrize(
        "intro",
        [
            "<p>Tiene 5 preguntas y 3 intentos.</p>",
            "<p>Conteste las cinco preguntas.</p>",
            "<p>5 questions</p>",
            "<p>Lea cada pregunta con calma. Lea una pregunta a la vez.</p>",
            "",
        ],
    )
    def test_an_intro_stating_the_right_count(self, intro):
        assert _review(_page(GOOD, intro=intro, kind="practice")) == []

    def test_a_pool_counts_what_an_attempt_gets(self):
        page = _page(GOOD, intro="<p>4 preguntas por intento.</p>", questions_per_attempt=4)
        assert INTRO_COUNT not in _codes(_review(page))
        page.intro = "<p>Tiene 5 preguntas.</p>"
        assert INTRO_COUNT in _codes(_review(page))

    def test_multiple_choice_with_the_right_options_on_top(self):
        top = _question(
            "multiple_choice",
            prompt="¿Cuáles de estas cantidades valen lo mismo que un cuarto de entero?",
            options=_options([True, True, False, False]),
        )
        warnings = _review(_page([_true_false(), top], kind="practice"))
        assert _codes(warnings) == [TOP_KEYS]
        message = warnings[0].message
        assert message.startswith("Pregunta 2 («¿Cuáles de estas cantidades valen lo mismo")
        assert "…" in message and "primeras 2 opciones de 4" in message
        mixed = _question("multiple_choice", options=_options([True, False, True, False]))
        every = _question("multiple_choice", options=_options([True, True]))
        assert _review(_page([mixed, every], kind="practice")) == []

    def test_draw_by_outcome_with_an_outcome_without_questions(self):
        page = _page(
            [_single(0, 1), _single(1, 2), _true_false(1)],
            kind="practice",
            questions_per_attempt=2,
            draw_by_outcome=True,
        )
        warnings = _review(page, outcomes=OUTCOMES)
        assert _codes(warnings) == [OUTCOME_NOT_DRAWN]
        assert "aprendizaje esperado 3, «Calcular porcentajes.»" in warnings[0].message
        page.draw_by_outcome = False
        assert _review(page, outcomes=OUTCOMES) == []


class TestShippedFinals:
    def test_every_outcome_of_every_shipped_course_is_assessed(self, db):
        for course in CoursePage.objects.live():
            assert len(course.outcomes) >= 1, course.slug
            final = course.final_assessment
            assert all(block.value["outcome"] for block in final.questions), course.slug
            assert api.course_warnings(course) == [], course.slug
            found = _codes(api.assessment_warnings(final))
            assert UNTESTED_OUTCOME not in found and UNKNOWN_OUTCOME not in found

    def test_no_shipped_assessment_has_a_warning(self, db):
        """The shipped library is what authors copy: every assessment in it passes its
        own review (keys spread over the positions, intros stating the real count)."""
        assessments = list(AssessmentPage.objects.live())
        assert len(assessments) >= 5
        for assessment in assessments:
            assert api.assessment_warnings(assessment) == [], assessment.slug


@pytest.fixture
def new_outcome(course):
    """The course gets a sixth outcome that no question of its final assesses."""
    course.outcomes.append(("outcome", "Leer un recibo de nómina."))
    course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk)


@pytest.fixture
def superuser(make_user):
    return make_user("raiz", roles.ADMINISTRADOR, is_superuser=True, is_staff=True)


class TestAdmin:
    def test_the_assessment_edit_view_shows_the_warnings(
        self, client, superuser, course, new_outcome
    ):
        client.force_login(superuser)
        final = course.final_assessment
        html = client.get(f"/admin/pages/{final.pk}/edit/").content.decode()
        assert "data-review-warnings" in html
        assert 'data-code="untested_outcome"' in html
        assert "aprendizaje esperado 6, «Leer un recibo de nómina.»" in html
        # The panel is the first thing of the content tab, before the title.
        assert html.index("data-review-warnings") < html.index('name="title"')
        # A new assessment has nothing to review yet.
        response = client.get(f"/admin/pages/add/courses/assessmentpage/{course.pk}/")
        assert response.status_code == 200
        assert "data-review-warnings" not in response.content.decode()

    def test_the_course_edit_view_shows_its_finals_untested_outcomes(
        self, client, superuser, course
    ):
        client.force_login(superuser)
        html = client.get(f"/admin/pages/{course.pk}/edit/").content.decode()
        assert "data-review-warnings" not in html
        course.outcomes.append(("outcome", "Leer un recibo de nómina."))
        course.save_revision().publish()
        html = client.get(f"/admin/pages/{course.pk}/edit/").content.decode()
        assert "data-review-warnings" in html and "Revisión del examen final" in html
        assert "aprendizaje esperado 6, «Leer un recibo de nómina.»" in html
        # Only the outcomes on the course: the final's other warnings are for its own page.
        assert 'data-code="key_position"' not in html

    def test_a_panel_without_warnings_is_not_shown(self, client, superuser):
        client.force_login(superuser)
        clean = AssessmentPage.objects.get(slug="practica-fracciones")
        clean.questions = AssessmentPage.questions.field.stream_block.to_python(GOOD)
        clean.intro = ""
        clean.save_revision().publish()
        html = client.get(f"/admin/pages/{clean.pk}/edit/").content.decode()
        assert "data-review-warnings" not in html

    def test_learners_never_reach_it(self, client, educando, course):
        client.force_login(educando)
        response = client.get(f"/admin/pages/{course.final_assessment_id}/edit/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]

    def test_saving_shows_each_warning_as_a_message(self, rf, superuser, course, new_outcome):
        request = rf.post("/admin/")
        request.user = superuser
        request.session = {}
        request._messages = FallbackStorage(request)
        with translation.override("es-mx"):
            for hook in hooks.get_hooks("after_edit_page"):
                hook(request, course.final_assessment.specific)
            for hook in hooks.get_hooks("after_create_page"):
                hook(request, new_outcome)
                hook(request, course.get_children().live().first().specific)
        shown = [str(m) for m in get_messages(request)]
        expected = api.assessment_warnings(course.final_assessment)
        assert len(shown) == len(expected) + 1
        assert sum("aprendizaje esperado 6" in m for m in shown) == 2
        assert all(m.level_tag == "warning" for m in get_messages(request))


class TestOutcomeNumbers:
    def test_clean_refuses_an_outcome_the_course_lacks(self, course):
        final = course.final_assessment.specific
        final.questions[2].value["outcome"] = 9
        with translation.override("es-mx"), pytest.raises(ValidationError) as info:
            final.full_clean()
        error = info.value.error_dict["questions"][0]
        message = " ".join(error.block_errors[2].block_errors["outcome"].messages)
        assert "Pregunta 3" in message and "aprendizaje esperado 9" in message
        assert "del 1 al 5" in message
        final.questions[2].value["outcome"] = 5
        final.full_clean()


@pytest.fixture
def library_copy(tmp_path):
    return copy_shipped_course(tmp_path, "curso-aprendizajes")


def _tag_first_question(library_copy, value):
    path = library_copy / "curso-aprendizajes/assessments/examen-final.yaml"
    edit_yaml(path, lambda data: data["questions"][0]["value"].update(outcome=value))


def _add_outcome(library_copy, text="Leer un recibo de nómina."):
    edit_yaml(
        library_copy / "curso-aprendizajes/course.yaml", lambda data: data["outcomes"].append(text)
    )


class TestLibrary:
    def test_the_import_command_refuses_untested_outcomes(self, db, library_copy):
        _add_outcome(library_copy)
        with translation.override("es-mx"), pytest.raises(CommandError) as info:
            call_command("library", "import", "--root", str(library_copy))
        message = str(info.value)
        assert "No se importó nada" in message and "examen-final.yaml" in message
        assert "aprendizaje esperado 6, «Leer un recibo de nómina.»" in message
        # The library is all or nothing: the course is not there.
        assert not CoursePage.objects.filter(slug="curso-aprendizajes").exists()

    def test_a_fully_tagged_final_lists_no_untested_outcome(self, db, library_copy):
        report = api.import_library(root=library_copy)
        assert "curso-aprendizajes/examen-final" not in report.checks

    @pytest.mark.parametrize(
        ("value", "message"), [(6, "no tiene el aprendizaje esperado 6"), (0, "1"), ("dos", "")]
    )
    def test_an_outcome_the_course_lacks_is_refused(self, db, library_copy, value, message):
        _tag_first_question(library_copy, value)
        with translation.override("es-mx"), pytest.raises(LibraryError) as info:
            api.import_library(root=library_copy)
        assert info.value.file.endswith("examen-final.yaml")
        assert info.value.field == "questions[0].value.outcome"
        assert message in info.value.message
        assert not CoursePage.objects.filter(slug="curso-aprendizajes").exists()

    def test_a_new_outcome_and_its_tag_arrive_together(self, db, library_copy):
        """The course page gets its outcomes after its assessments: a question may name an
        outcome that the same import adds to the course."""
        api.import_library(root=library_copy)
        _add_outcome(library_copy)
        _tag_first_question(library_copy, 6)
        report = api.import_library(root=library_copy)
        assert "curso-aprendizajes/examen-final" in report.updated
        course = CoursePage.objects.get(slug="curso-aprendizajes")
        assert len(course.outcomes) == 6
        assert course.final_assessment.questions[0].value["outcome"] == 6
        assert api.course_warnings(course) == []

    def test_export_writes_the_tag_only_when_set(self, db, library_copy, tmp_path):
        api.import_library(root=library_copy)
        course = CoursePage.objects.get(slug="curso-aprendizajes")
        api.export_course(course=course, root=tmp_path / "out")
        folder = tmp_path / "out/curso-aprendizajes/assessments"
        final = (folder / "examen-final.yaml").read_text(encoding="utf-8")
        assert "      topic: null\n      outcome: 2\n" in final
        assert "outcome" not in (folder / "practica-fracciones.yaml").read_text("utf-8")
