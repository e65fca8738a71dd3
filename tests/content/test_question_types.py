"""Each question type is one unit (``content.blocks.BaseQuestionBlock``): every type of
``QuestionStreamBlock`` has a template that shows its preview, a valid preview value, a
grader that accepts its example answer and refuses a wrong one, texts for the results
page, and survives the course library format. A new type is covered by being added to
``QuestionStreamBlock``; the system check refuses an incomplete one."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from django.core import checks
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape
from wagtail import blocks

from content.api import MediaResolver, QuestionStreamBlock, block_from_file, block_to_file
from content.blocks import BaseQuestionBlock, OptionBlock, SingleChoiceBlock
from content.checks import check_question_types
from lms.assessments import grading

STREAM = QuestionStreamBlock()
TYPES = list(STREAM.child_blocks)
QUESTION_ID = "q-prueba"


class NoMedia(MediaResolver):
    """Questions have no media: any lookup is a bug."""

    def image_id(self, path: str, where: str) -> int:
        raise AssertionError(path)

    def document_id(self, path: str, where: str) -> int:
        raise AssertionError(path)

    def image_path(self, pk: int) -> str:
        raise AssertionError(pk)

    def document_path(self, pk: int) -> str:
        raise AssertionError(pk)


def _error(field: str, message: str) -> Exception:
    return ValueError(f"{field}: {message}")


def _raw(name: str) -> list[dict[str, Any]]:
    """The type's preview value as stored in a page: a stream of one question with an id
    (its options get ids too)."""
    block = STREAM.child_blocks[name]
    value = block.get_prep_value(block.get_preview_value())
    return [{"type": name, "id": QUESTION_ID, "value": value}]


def _question(name: str):
    """The preview value as a page's question: a bound block with its id."""
    return STREAM.to_python(_raw(name))[0]


# Fields a file leaves out unless they are set: read back, an unset one is its default.
OMITTED = {
    name
    for block in (OptionBlock, BaseQuestionBlock)
    for name in getattr(block, "omitted_in_files_unless_set", ())
}


def _comparable(raw: Any) -> Any:
    """A stored value as the format keeps it: without the ids of list items (a file
    derives them) and without unset fields a file leaves out."""
    if isinstance(raw, list):
        return [_comparable(item) for item in raw]
    if isinstance(raw, dict):
        return {
            key: _comparable(item)
            for key, item in raw.items()
            if key != "id" and not (key in OMITTED and not item)
        }
    return raw


@pytest.mark.parametrize("name", TYPES)
class TestEveryQuestionType:
    def test_is_a_question_type_of_its_own_kind(self, name):
        block = STREAM.child_blocks[name]
        assert isinstance(block, BaseQuestionBlock)
        assert block.kind == name
        # The page hands a type that shuffles the options in the learner's order; a type
        # without options must not ask for them.
        assert block.shuffles_options == ("options" in block.child_blocks)

    def test_preview_value_is_a_valid_question(self, name):
        block = STREAM.child_blocks[name]
        preview = block.get_preview_value()
        assert preview["prompt"].strip()
        cleaned = block.clean(block.to_python(block.get_prep_value(preview)))
        assert cleaned["prompt"] == preview["prompt"]
        assert block.is_previewable

    def test_template_renders_the_answer_field_as_the_page_does(self, name):
        question = _question(name)
        get_template(question.block.meta.template)
        # assessment_page.html: include_block with block_id, kind (and options).
        html = question.render(context={"block_id": question.id, "kind": question.block_type})
        assert f'name="q-{QUESTION_ID}"' in html
        # The form can send the example answer: each value is an input's, or typed.
        for sent in question.block.example_answer(question.value):
            assert f'value="{escape(sent)}"' in html or 'type="text"' in html
        if question.block.shuffles_options:  # one input per option, named by its id
            for option in question.value["options"].bound_blocks:
                assert f'value="{option.id}"' in html
                assert escape(option.value["text"]) in html
        # No right answer or feedback reaches the page before grading.
        assert "checked" not in html
        example = question.block.example_answer(question.value)
        for text in question.block.grade(question.value, example)["feedback"]:
            assert escape(text) not in html

    def test_preview_shows_the_prompt_and_the_answer_field(self, name):
        block = STREAM.child_blocks[name]
        value = block.get_preview_value()
        base = {
            "request": RequestFactory().get("/"),
            "block_def": block,
            "block_class": type(block),
            "bound_block": block.bind(value),
            "page_title": "Vista previa",
        }
        html = render_to_string(
            block.get_preview_template(value, base), block.get_preview_context(value, dict(base))
        )
        assert escape(value["prompt"]) in html
        assert 'name="q-vista-previa"' in html
        assert "<fieldset" in html

    def test_the_editor_sees_the_preview(self, name, client, asesor):
        client.force_login(asesor)
        block = STREAM.child_blocks[name]
        url = reverse("wagtailadmin_block_preview") + f"?id={block.definition_prefix}"
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert escape(block.get_preview_value()["prompt"]) in html
        assert 'name="q-vista-previa"' in html

    def test_example_answer_is_right(self, name):
        question = _question(name)
        block, value = question.block, question.value
        answer = block.example_answer(value)
        assert answer and all(isinstance(sent, str) and sent.strip() for sent in answer)
        result = block.grade(value, answer)
        assert result["kind"] == name
        assert result["answered"] is True and result["correct"] is True
        assert isinstance(result["feedback"], list)
        if block.shuffles_options:
            assert result["right_options"]

    @pytest.mark.parametrize("given", [[], [""], ["   "]])
    def test_no_answer_is_not_right(self, name, given):
        question = _question(name)
        result = question.block.grade(question.value, given)
        assert result["answered"] is False and result["correct"] is False

    def test_a_wrong_answer_is_not_right(self, name):
        question = _question(name)
        block, value = question.block, question.value
        wrong = [["esto no es la respuesta"]]
        if block.shuffles_options:
            right = set(block.example_answer(value))
            wrong += [[o.id] for o in value["options"].bound_blocks if o.id not in right]
        for given in wrong:
            result = block.grade(value, given)
            assert result["answered"] is True and result["correct"] is False, given

    def test_results_page_texts(self, name):
        question = _question(name)
        block, value = question.block, question.value
        answer = block.example_answer(value)
        result = block.grade(value, answer)
        right = block.right_texts(value, result)
        given = block.given_texts(value, answer)
        assert right and all(isinstance(t, str) and t.strip() for t in right)
        assert given and all(isinstance(t, str) and t.strip() for t in given)
        assert block.given_texts(value, []) == []
        # The assessment's functions hand the question to its type.
        assert grading.right_texts(question, result) == right
        assert grading.given_texts(question, answer) == given

    def test_assessment_grades_through_the_type(self, name):
        questions = STREAM.to_python(_raw(name))
        question = questions[0]
        answer = question.block.example_answer(question.value)
        score, results = grading.grade(questions, {QUESTION_ID: answer})
        assert score == 100
        graded = question.block.grade(question.value, answer)
        assert results[QUESTION_ID].items() >= graded.items()
        assert results[QUESTION_ID]["topic"] == ""
        score, results = grading.grade(questions, {})
        assert score == 0 and results[QUESTION_ID]["answered"] is False
        assert grading.grade_question(name, question.value, answer)["correct"]

    def test_round_trips_through_the_course_library_format(self, name):
        raw = _raw(name)
        file = block_to_file(STREAM, raw, media=NoMedia())
        assert file[0]["type"] == name and file[0]["id"] == QUESTION_ID
        back = block_from_file(
            STREAM, file, media=NoMedia(), where="questions", id_seed="prueba", error=_error
        )
        assert back[0]["id"] == QUESTION_ID and back[0]["type"] == name
        before, after = STREAM.to_python(raw)[0], STREAM.to_python(back)[0]
        block = before.block
        assert _comparable(block.get_prep_value(after.value)) == _comparable(
            block.get_prep_value(before.value)
        )
        # Read from a file, the ids are the file's: written and read again, all equal.
        assert block_to_file(STREAM, back, media=NoMedia()) == file
        again = block_from_file(
            STREAM,
            block_to_file(STREAM, back, media=NoMedia()),
            media=NoMedia(),
            where="questions",
            id_seed="prueba",
            error=_error,
        )
        assert again == back
        value = after.value
        assert block.grade(value, block.example_answer(value))["correct"]
        assert block.right_texts(value, block.grade(value, [])) == block.right_texts(
            before.value, block.grade(before.value, [])
        )


def test_an_educando_does_not_see_the_editor_preview(client, educando):
    client.force_login(educando)
    block = STREAM.child_blocks[TYPES[0]]
    url = reverse("wagtailadmin_block_preview") + f"?id={block.definition_prefix}"
    response = client.get(url)
    assert response.status_code in (302, 403)
    assert 'name="q-vista-previa"' not in response.content.decode()


# --- The system check -------------------------------------------------------------------


class Complete(SingleChoiceBlock):
    kind = "completa"


class NoTemplate(SingleChoiceBlock):
    kind = "sin_plantilla"

    class Meta:
        template = None


class MissingTemplate(SingleChoiceBlock):
    kind = "plantilla_perdida"

    class Meta:
        template = "content/questions/no_existe.html"


class NoPreview(BaseQuestionBlock):
    kind = "sin_vista_previa"
    answer_minutes = Fraction(2)

    def grade(self, value, given):
        return {}

    def given_texts(self, value, given):
        return []

    def right_texts(self, value, result):
        return []

    def example_answer(self, value):
        return []

    class Meta:
        template = "content/questions/short_answer.html"


class NoGrading(BaseQuestionBlock):
    """Fields, template and preview, but none of the protocol's methods."""

    kind = "sin_calificar"
    answer_minutes = Fraction(2)

    class Meta:
        template = "content/questions/short_answer.html"
        preview_value = {"prompt": "¿Cuánto es la mitad de $100?"}


class OnlyGrading(NoGrading):
    kind = "solo_calificar"

    def grade(self, value, given):
        return {}


class NoTime(Complete):
    kind = "sin_tiempo"
    answer_minutes = None


class NoTimeAtAll(Complete):
    kind = "tiempo_cero"
    answer_minutes = Fraction(0)


def test_the_check_is_registered_and_passes_for_every_type():
    assert check_question_types in checks.registry.registry.get_checks()
    assert check_question_types() == []


@pytest.mark.parametrize(
    ("name", "block", "ids", "words"),
    [
        ("completa", Complete(), [], []),
        ("sin_plantilla", NoTemplate(), ["content.E002"], ["template"]),
        ("plantilla_perdida", MissingTemplate(), ["content.E002"], ["no_existe.html"]),
        ("sin_vista_previa", NoPreview(), ["content.E003"], ["preview value"]),
        (
            "sin_calificar",
            NoGrading(),
            ["content.E004"],
            ["grade", "given_texts", "right_texts", "example_answer"],
        ),
        ("solo_calificar", OnlyGrading(), ["content.E004"], ["given_texts, right_texts"]),
        ("otro_nombre", Complete(), ["content.E005"], ["'completa'"]),
        ("sin_tiempo", NoTime(), ["content.E006"], ["answer time"]),
        ("tiempo_cero", NoTimeAtAll(), ["content.E006"], ["answer time"]),
        ("texto", blocks.CharBlock(), ["content.E001"], ["BaseQuestionBlock"]),
    ],
)
def test_the_check_refuses_an_incomplete_question_type(name, block, ids, words):
    errors = check_question_types(question_types=[(name, block)])
    assert [error.id for error in errors] == ids
    assert all(isinstance(error, checks.Error) for error in errors)
    for word in words:
        assert any(word in error.msg for error in errors), word
    if ids:
        assert name in errors[0].msg
