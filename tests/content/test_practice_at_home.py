"""«Practique en casa»: exercises with their answers behind a native ``<details>``.

The block (``PracticeAtHomeBlock``) refuses exercises or answers without text, renders the
answers closed under «Ver las respuestas» (no JavaScript needed), and its text counts in
the lesson's readability. Every «Practique en casa» of the shipped library is one, with
no answers left in parentheses, and a lesson page shows it closed.
"""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError

from content.api import (
    LIBRARY_ROOT,
    LessonStreamBlock,
    LibraryError,
    list_course_folders,
    read_course_folder,
)
from content.blocks import PracticeAtHomeBlock
from content.readability import stream_paragraphs
from courses import api as courses_api
from courses.models import CoursePage, LessonPage
from tests.helpers import copy_shipped_course, edit_yaml

VALUE = {
    "title": "Practique en casa",
    "problems": "<p>¿Cuánto es 1/4 de $80?</p>",
    "answers": "<p>80 ÷ 4 = <b>$20</b>.</p>",
}
DETAILS = re.compile(r"<details\b([^>]*)>(.*?)</details>", re.DOTALL)


def _render(value: dict) -> str:
    block = PracticeAtHomeBlock()
    return block.render(block.to_python(value))


def _block_errors(value: dict) -> set[str]:
    block = PracticeAtHomeBlock()
    with pytest.raises(ValidationError) as info:
        block.clean(block.to_python(value))
    return set(info.value.block_errors)


class TestBlock:
    def test_the_answers_are_behind_a_closed_details(self):
        html = _render(VALUE)
        [(attributes, inside)] = DETAILS.findall(html)
        assert "open" not in attributes
        assert "<summary>Ver las respuestas</summary>" in inside
        assert "$20" in inside
        outside = DETAILS.sub("", html)
        assert "¿Cuánto es 1/4 de $80?" in outside and "$20" not in outside
        assert "<h3>Practique en casa</h3>" in outside

    def test_without_a_title_it_is_called_practique_en_casa(self):
        html = _render({**VALUE, "title": "Repase con su familia"})
        assert "<h3>Repase con su familia</h3>" in html
        assert "<h3>Practique en casa</h3>" in _render({**VALUE, "title": ""})

    def test_a_complete_block_is_valid(self):
        block = PracticeAtHomeBlock()
        block.clean(block.to_python(VALUE))

    @pytest.mark.parametrize("blank", ["", "<p></p>", "<p> </p>", "<p><b> </b></p>"])
    def test_exercises_and_answers_need_text(self, blank):
        assert _block_errors({**VALUE, "answers": blank}) == {"answers"}
        assert _block_errors({**VALUE, "problems": blank}) == {"problems"}
        assert _block_errors({**VALUE, "problems": blank, "answers": blank}) == {
            "problems",
            "answers",
        }

    def test_it_is_a_lesson_block_with_a_preview(self):
        block = LessonStreamBlock().child_blocks["practice_at_home"]
        assert isinstance(block, PracticeAtHomeBlock)
        preview = block.meta.preview_value
        block.clean(block.to_python(preview))
        assert "<details" in block.render(block.to_python(preview))

    def test_its_title_exercises_and_answers_count_in_the_readability(self):
        body = [{"type": "practice_at_home", "value": VALUE}]
        assert stream_paragraphs(LessonStreamBlock(), body) == [
            "Practique en casa",
            "¿Cuánto es 1/4 de $80?",
            "80 ÷ 4 = $20.",
        ]


def _shipped_lessons():
    for path in list_course_folders(LIBRARY_ROOT):
        folder = read_course_folder(path)
        for slug, lesson in folder.lessons.items():
            yield f"{folder.slug}/{slug}", lesson["body"]


class TestShippedLibrary:
    def test_every_practique_en_casa_is_a_reveal_block(self):
        found = []
        for name, body in _shipped_lessons():
            for block in body:
                if block["type"] == "practice_at_home":
                    found.append(name)
                    value = block["value"]
                    assert value["problems"].strip() and value["answers"].strip(), name
                    assert "Respuestas:" not in value["problems"], name
                    continue
                text = " ".join(stream_paragraphs(LessonStreamBlock(), [block]))
                assert "Practique en casa" not in text, (name, block["id"])
                assert "(Respuestas:" not in text, (name, block["id"])
        # The five Fracciones lessons and the budget lesson of Finanzas personales.
        assert "finanzas-personales/presupuesto-mensual" in found
        assert sum(name.startswith("fracciones-y-porcentajes/") for name in found) == 5

    def test_a_lesson_page_shows_the_answers_closed(self, client, educando):
        from lms.enrollment import api as enrollment_api

        course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
        enrollment_api.enroll(user=educando, course=course)
        client.force_login(educando)
        lesson = LessonPage.objects.get(slug="operaciones-con-fracciones")
        html = client.get(lesson.url).content.decode()
        [(attributes, inside)] = DETAILS.findall(html)
        assert "open" not in attributes
        assert "Ver las respuestas" in inside and "5/6 − 2/6 = 3/6" in inside
        assert "5/6 − 1/3" in DETAILS.sub("", html)


def test_the_library_refuses_a_practice_without_answers(db, tmp_path):
    library = copy_shipped_course(tmp_path, "curso-sin-respuestas")
    path = library / "curso-sin-respuestas/lessons/que-es-una-fraccion.yaml"

    def no_answers(data):
        block = next(b for b in data["body"] if b["type"] == "practice_at_home")
        block["value"]["answers"] = "<p></p>\n"

    edit_yaml(path, no_answers)
    with pytest.raises(LibraryError) as info:
        courses_api.import_library(root=library)
    assert info.value.file.endswith("que-es-una-fraccion.yaml")
    assert info.value.field.startswith("body[") and info.value.field.endswith("answers")
    assert "respuestas" in info.value.message
    assert not CoursePage.objects.filter(slug="curso-sin-respuestas").exists()
