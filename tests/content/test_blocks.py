"""Lesson and question blocks: validation as the editor applies it, and rendering."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from content import blocks
from content.api import LessonStreamBlock, QuestionStreamBlock, normalize_text


@pytest.fixture
def make_document(db):
    def make(name: str, content: bytes = b"x" * 2048):
        document = get_document_model()(title=name)
        document.file.save(name, ContentFile(content), save=False)
        document.file_size = len(content)
        document.save()
        return document

    return make


def _errors(exc: ValidationError) -> dict:
    return {name: " ".join(e.messages) for name, e in exc.block_errors.items()}


class TestVideo:
    block = blocks.VideoBlock()

    def _value(self, **fields):
        base = {
            "title": "Clase",
            "video": None,
            "embed_url": "",
            "captions": None,
            "transcript": "",
            "low_data_video": None,
        }
        base.update(fields)
        return self.block.to_python({k: (v.pk if hasattr(v, "pk") else v) for k, v in base.items()})

    def test_needs_a_file_or_a_link(self, db):
        with pytest.raises(ValidationError) as info:
            self.block.clean(self._value())
        assert "uno de los dos" in _errors(info.value)["video"]

    def test_uploaded_video_needs_captions_and_transcript(self, make_document):
        with pytest.raises(ValidationError) as info:
            self.block.clean(self._value(video=make_document("clase.mp4")))
        errors = _errors(info.value)
        assert "WebVTT" in errors["captions"]
        assert "transcripción" in errors["transcript"]

    def test_captions_must_be_webvtt(self, make_document):
        with pytest.raises(ValidationError) as info:
            self.block.clean(
                self._value(
                    video=make_document("clase.mp4"),
                    captions=make_document("subtitulos.srt"),
                    transcript="<p>Hola</p>",
                )
            )
        assert ".vtt" in _errors(info.value)["captions"]

    def test_complete_uploaded_video_is_valid_and_shows_its_size(self, make_document):
        value = self._value(
            video=make_document("clase.mp4", b"v" * 3 * 1024 * 1024),
            captions=make_document("clase.vtt", b"WEBVTT\n"),
            transcript="<p>Hola, bienvenidos.</p>",
        )
        self.block.clean(value)
        html = self.block.render(value)
        assert '<track kind="captions"' in html and 'srclang="es"' in html
        assert "3.0" in html and "MB" in html  # data cost shown before playing
        assert 'preload="none"' in html
        assert "Hola, bienvenidos." in html

    def test_external_video_is_a_link_not_an_embed(self, db):
        value = self._value(embed_url="https://www.youtube.com/watch?v=abc")
        self.block.clean(value)
        html = self.block.render(value)
        assert "<iframe" not in html
        assert 'href="https://www.youtube.com/watch?v=abc"' in html


def test_audio_must_be_an_audio_file(make_document):
    block = blocks.AudioBlock()
    value = block.to_python(
        {"title": "A", "audio": make_document("a.pdf").pk, "transcript": "<p>t</p>"}
    )
    with pytest.raises(ValidationError):
        block.clean(value)


def test_image_alt_text_is_required(db):
    block = blocks.ImageBlock()
    with pytest.raises(ValidationError) as info:
        block.clean(block.to_python({"image": None, "alt": "", "caption": ""}))
    assert {"image", "alt"} <= set(info.value.block_errors)


def test_document_shows_its_size(make_document):
    block = blocks.DocumentBlock()
    document = make_document("presupuesto.csv", b"a,b\n" * 512)
    html = block.render(
        block.to_python({"document": document.pk, "title": "Presupuesto", "description": ""})
    )
    assert "Presupuesto" in html and "CSV" in html and "2.0" in html and "KB" in html


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("heading", {"text": "Partes", "level": "h3"}, "<h3>Partes</h3>"),
        (
            "callout",
            {"kind": "important", "title": "", "body": "<p>Ojo</p>"},
            'class="callout callout-important"',
        ),
        ("callout", {"kind": "tip", "title": "", "body": "<p>Ojo</p>"}, "Consejo"),
        (
            "glossary_term",
            {"term": "Numerador", "definition": "El de arriba."},
            "<dt>Numerador</dt>",
        ),
        (
            "worked_example",
            {
                "title": "Pizza",
                "problem": "<p>8 partes</p>",
                "steps": ["Uno", "Dos"],
                "answer": "<p>3/8</p>",
            },
            "<li>Dos</li>",
        ),
        ("paragraph", "<p>Hola <b>mundo</b></p>", "<b>mundo</b>"),
    ],
)
def test_lesson_blocks_render(name, value, expected):
    block = LessonStreamBlock().child_blocks[name]
    assert expected in block.render(block.to_python(value))


def _option(text, correct=False):
    return {"text": text, "correct": correct, "feedback": ""}


class TestQuestions:
    stream = QuestionStreamBlock()

    def _clean(self, name, value):
        block = self.stream.child_blocks[name]
        return block.clean(block.to_python(value))

    def test_single_choice_needs_exactly_one_correct(self):
        with pytest.raises(ValidationError) as info:
            self._clean(
                "single_choice",
                {"prompt": "¿?", "options": [_option("a", True), _option("b", True)]},
            )
        assert "exactamente una" in _errors(info.value)["options"]
        with pytest.raises(ValidationError):
            self._clean("single_choice", {"prompt": "¿?", "options": [_option("a"), _option("b")]})
        self._clean(
            "single_choice", {"prompt": "¿?", "options": [_option("a", True), _option("b")]}
        )

    def test_multiple_choice_needs_at_least_one_correct(self):
        with pytest.raises(ValidationError):
            self._clean(
                "multiple_choice", {"prompt": "¿?", "options": [_option("a"), _option("b")]}
            )
        self._clean(
            "multiple_choice",
            {"prompt": "¿?", "options": [_option("a", True), _option("b", True), _option("c")]},
        )

    def test_numeric_tolerance_cannot_be_negative(self):
        with pytest.raises(ValidationError):
            self._clean("numeric", {"prompt": "¿?", "answer": 3, "tolerance": -1})

    def test_short_answer_needs_an_accepted_answer(self):
        with pytest.raises(ValidationError):
            self._clean("short_answer", {"prompt": "¿?", "accepted_answers": []})

    def test_choice_renders_inputs_named_by_block_id_and_option_id(self):
        value = self.stream.to_python(
            [
                {
                    "type": "multiple_choice",
                    "id": "q-123",
                    "value": {
                        "prompt": "¿Cuáles?",
                        "options": [
                            {
                                "type": "item",
                                "id": "opt-a",
                                "value": {
                                    "text": "A",
                                    "correct": True,
                                    "feedback": "RETRO-SECRETA",
                                },
                            },
                            {"type": "item", "id": "opt-b", "value": _option("B")},
                        ],
                    },
                }
            ]
        )
        child = value[0]
        html = child.block.render(child.value, {"block_id": child.id, "kind": child.block_type})
        assert 'type="checkbox" name="q-q-123" value="opt-a"' in html
        assert "Marque todas" in html
        # Neither the right answer nor its feedback reaches the browser before grading.
        assert "RETRO-SECRETA" not in html and "checked" not in html and "True" not in html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Matemáticas  ", "matematicas"),
        ("CAFÉ\tcon  LECHE", "cafe con leche"),
        ("Año", "año"),
        ("PEÑA", "peña"),
        ("ü", "u"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected
