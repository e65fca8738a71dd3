"""«Frase en inglés»: a phrase in English with its meaning in Spanish.

The block (``PhraseBlock``) renders the English marked ``lang="en"``, the meaning, «Se
pronuncia: …» when given, and a button «Escuchar en inglés» hidden until
``static/js/escuchar.js`` finds an English voice; it refuses a phrase without its English
or its meaning, naming the field. Only the meaning counts in the lesson's readability. The
course library imports and exports it as it is written. On a phone (headless Chromium with
a fake ``speechSynthesis``, as in ``tests/test_read_aloud_browser.py``) the button says the
phrase with the English voice, and "Escuchar" never reads English with the Spanish voice.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.core.exceptions import ValidationError

from content.api import LessonStreamBlock, LibraryError, analyze_stream
from content.blocks import PhraseBlock
from content.readability import stream_paragraphs
from courses import api as courses_api
from courses.models import CoursePage, LessonPage
from lms.enrollment import api as enrollment_api
from tests.browser import requires_chromium
from tests.factories.pages import add_course, add_lesson
from tests.helpers import copy_shipped_course, edit_yaml
from tests.test_read_aloud_browser import ENGLISH_ONLY, FAKE_SPEECH, MEXICO, VOICES

VALUE = {
    "text": "Where is the restroom?",
    "meaning": "¿Dónde está el baño?",
    "sounds_like": "Juér is de réstrum",
}
BUTTON = re.compile(r"<button\b([^>]*)>(.*?)</button>", re.DOTALL)


def _render(value: dict) -> str:
    block = PhraseBlock()
    return block.render(block.to_python(value))


def _errors(value: dict) -> dict[str, str]:
    block = PhraseBlock()
    with pytest.raises(ValidationError) as info:
        block.clean(block.to_python(value))
    return {name: " ".join(e.messages) for name, e in info.value.block_errors.items()}


class TestBlock:
    def test_the_english_is_marked_as_english(self):
        html = _render(VALUE)
        assert '<p class="frase-texto" lang="en" data-frase-texto>Where is the restroom?</p>' in (
            html
        )
        assert html.count('lang="en"') == 1  # the meaning and the button stay Spanish
        assert "¿Dónde está el baño?" in html
        assert "Se pronuncia: Juér is de réstrum" in html

    def test_the_button_is_hidden_until_an_english_voice_is_found(self):
        [(attributes, inside)] = BUTTON.findall(_render(VALUE))
        assert 'type="button"' in attributes and "hidden" in attributes.split()
        assert "data-frase-escuchar" in attributes
        assert "Escuchar en inglés" in inside
        assert "onclick" not in _render(VALUE) and "<script" not in _render(VALUE)

    def test_no_pronunciation_line_without_sounds_like(self):
        html = _render({**VALUE, "sounds_like": ""})
        assert "Se pronuncia" not in html and "frase-sonido" not in html
        assert "Se pronuncia" not in _render({"text": VALUE["text"], "meaning": "¿Dónde?"})

    def test_the_text_is_escaped(self):
        html = _render({**VALUE, "text": "Fish & <chips>"})
        assert "Fish &amp; &lt;chips&gt;" in html

    def test_a_complete_block_is_valid(self):
        block = PhraseBlock()
        block.clean(block.to_python(VALUE))
        block.clean(block.to_python({**VALUE, "sounds_like": ""}))

    @pytest.mark.parametrize("blank", ["", "   "])
    def test_the_english_and_its_meaning_are_required(self, blank):
        errors = _errors({**VALUE, "text": blank})
        assert set(errors) == {"text"} and "frase en inglés" in errors["text"]
        errors = _errors({**VALUE, "meaning": blank})
        assert set(errors) == {"meaning"} and "significado en español" in errors["meaning"]
        assert set(_errors({**VALUE, "text": blank, "meaning": blank})) == {"text", "meaning"}

    def test_the_english_has_at_most_200_characters(self):
        errors = _errors({**VALUE, "text": "a" * 201})
        assert set(errors) == {"text"}
        block = PhraseBlock()
        block.clean(block.to_python({**VALUE, "text": "a" * 200}))

    def test_it_is_the_last_lesson_block_with_a_preview(self):
        stream = LessonStreamBlock()
        assert list(stream.child_blocks)[-1] == "phrase"
        block = stream.child_blocks["phrase"]
        assert isinstance(block, PhraseBlock)
        assert block.meta.icon and block.meta.description and block.meta.template
        preview = block.meta.preview_value
        block.clean(block.to_python(preview))
        assert 'lang="en"' in block.render(block.to_python(preview))


class TestReadability:
    def test_only_the_meaning_counts_as_spanish(self):
        body = [
            {"type": "paragraph", "value": "<p>En la tienda.</p>"},
            {"type": "phrase", "value": VALUE},
        ]
        assert stream_paragraphs(LessonStreamBlock(), body) == [
            "En la tienda.",
            "¿Dónde está el baño?",
        ]
        figures = analyze_stream(LessonStreamBlock(), body)
        assert figures.words == 3 + 4
        rare = {r.word for r in figures.rare_words}
        assert not rare & {"where", "restroom", "juér", "réstrum"}


def test_the_library_imports_and_exports_a_lesson_with_phrases(db, tmp_path):
    library = copy_shipped_course(tmp_path, "curso-con-frases")
    path = library / "curso-con-frases/lessons/que-es-una-fraccion.yaml"
    phrases = [
        {"type": "phrase", "value": VALUE},
        {
            "type": "phrase",
            "value": {"text": "Thank you", "meaning": "Gracias", "sounds_like": ""},
        },
    ]
    edit_yaml(path, lambda data: data["body"].extend(phrases))
    courses_api.import_library(root=library, slugs=["curso-con-frases"])

    course = CoursePage.objects.get(slug="curso-con-frases")
    lesson = LessonPage.objects.descendant_of(course).get(slug="que-es-una-fraccion")
    stored = [b.value for b in lesson.body if b.block_type == "phrase"]
    assert [dict(v) for v in stored] == [p["value"] for p in phrases]

    out = tmp_path / "exported"
    courses_api.export_course(course=course, root=out)
    exported = yaml.safe_load(
        (out / "curso-con-frases/lessons/que-es-una-fraccion.yaml").read_text("utf-8")
    )
    written = [{"type": b["type"], "value": b["value"]} for b in exported["body"][-2:]]
    assert written == phrases
    # Imported again, the exported file changes nothing.
    report = courses_api.import_library(root=out, slugs=["curso-con-frases"])
    assert "curso-con-frases/que-es-una-fraccion" not in report.updated


@pytest.mark.parametrize(
    ("field", "words"), [("text", "frase en inglés"), ("meaning", "significado en español")]
)
def test_the_library_refuses_a_phrase_without_its_text(db, tmp_path, field, words):
    library = copy_shipped_course(tmp_path, "curso-sin-frase")
    path = library / "curso-sin-frase/lessons/que-es-una-fraccion.yaml"
    edit_yaml(
        path, lambda data: data["body"].append({"type": "phrase", "value": {**VALUE, field: ""}})
    )
    with pytest.raises(LibraryError) as info:
        courses_api.import_library(root=library)
    assert info.value.file.endswith("que-es-una-fraccion.yaml")
    assert info.value.field.startswith("body[") and info.value.field.endswith(f".{field}")
    assert words in info.value.message
    assert not CoursePage.objects.filter(slug="curso-sin-frase").exists()


# --- On a phone -----------------------------------------------------------------------

SAMANTHA = VOICES[0]  # en-US, on the phone
SPANISH_ONLY = [v for v in VOICES if v["lang"].startswith("es")]
TITLE = "En la tienda"


@pytest.fixture
def phrase_lesson_url(db, client, catalog, educando):
    course = add_course(catalog=catalog, slug="curso-de-frases")
    lesson = add_lesson(
        parent=course,
        slug="en-la-tienda",
        title=TITLE,
        body=[
            ("paragraph", "<p>Pregunte así.</p>"),
            ("phrase", VALUE),
            ("phrase", {"text": "Thank you.", "meaning": "Gracias.", "sounds_like": ""}),
        ],
    )
    enrollment_api.enroll(user=educando, course=course)
    client.force_login(educando)
    return f"http://testserver{lesson.url}"


def _open(phone, url, voices):
    phone.add_init_script(FAKE_SPEECH % json.dumps(voices))
    phone.goto(url)
    phone.wait_for_function("() => window.fakeSpeech.loaded")


def _speaks(phone):
    return [e for e in phone.evaluate("() => window.fakeSpeech.log") if e["type"] == "speak"]


def _read_the_whole_lesson(phone):
    """Click "Escuchar" and end each sentence until the reading is done."""
    phone.get_by_role("button", name="Escuchar", exact=True).click()
    phone.wait_for_function("() => window.fakeSpeech.spoken().length >= 1")
    for _ in range(20):
        if phone.locator("[data-escuchar-status]").text_content() == "Terminó la lectura.":
            break
        count = len(_speaks(phone))
        phone.evaluate("() => window.fakeSpeech.finish()")
        phone.wait_for_function(
            f"() => window.fakeSpeech.spoken().length > {count}"
            " || document.querySelector('[data-escuchar-status]').textContent"
            " === 'Terminó la lectura.'"
        )
    return [{k: e[k] for k in ("text", "voice", "rate")} for e in _speaks(phone)]


@requires_chromium
def test_the_button_says_the_phrase_with_the_english_voice(db, phone, phrase_lesson_url):
    _open(phone, phrase_lesson_url, VOICES)
    buttons = phone.get_by_role("button", name="Escuchar en inglés")
    assert buttons.count() == 2
    assert min(buttons.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")) >= 44
    assert phone.locator(".frase-texto").first.get_attribute("lang") == "en"
    assert phone.evaluate("document.documentElement.scrollWidth") == 360
    buttons.first.focus()
    assert buttons.first.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    buttons.first.click()
    phone.wait_for_function("() => window.fakeSpeech.spoken().length >= 1")
    assert _speaks(phone)[-1] == {
        "type": "speak",
        "text": "Where is the restroom?",
        "rate": 0.85,
        "lang": "en-US",
        "voice": SAMANTHA["name"],
    }
    buttons.nth(1).click()
    phone.wait_for_function("() => window.fakeSpeech.spoken().length >= 2")
    assert _speaks(phone)[-1]["text"] == "Thank you."
    assert phone.csp_violations() == []
    assert phone.external == []


@requires_chromium
def test_the_reading_says_the_english_with_the_english_voice(db, phone, phrase_lesson_url):
    _open(phone, phrase_lesson_url, VOICES)
    spoken = _read_the_whole_lesson(phone)
    paulina, samantha = MEXICO["name"], SAMANTHA["name"]
    assert spoken == [
        {"text": TITLE, "voice": paulina, "rate": 1},
        {"text": "Pregunte así.", "voice": paulina, "rate": 1},
        {"text": "Where is the restroom?", "voice": samantha, "rate": 0.85},
        {"text": "¿Dónde está el baño?", "voice": paulina, "rate": 1},
        {"text": "Se pronuncia: Juér is de réstrum", "voice": paulina, "rate": 1},
        {"text": "Thank you.", "voice": samantha, "rate": 0.85},
        {"text": "Gracias.", "voice": paulina, "rate": 1},
    ]
    # A phrase's button stops the reading and says its phrase.
    phone.get_by_role("button", name="Escuchar", exact=True).click()
    phone.wait_for_function(f"() => window.fakeSpeech.spoken().length > {len(spoken)}")
    phone.get_by_role("button", name="Escuchar en inglés").first.click()
    phone.locator("[data-escuchar-label]").filter(has_text="Escuchar").wait_for()
    assert _speaks(phone)[-1]["text"] == "Where is the restroom?"
    assert phone.get_by_role("button", name="Detener").is_disabled()
    assert phone.csp_violations() == []


@requires_chromium
def test_without_an_english_voice_the_english_is_not_read(db, phone, phrase_lesson_url):
    _open(phone, phrase_lesson_url, SPANISH_ONLY)
    assert phone.get_by_role("button", name="Escuchar en inglés").count() == 0
    assert phone.locator("[data-frase-escuchar]").first.is_hidden()
    spoken = _read_the_whole_lesson(phone)
    assert [s["text"] for s in spoken] == [
        TITLE,
        "Pregunte así.",
        "¿Dónde está el baño?",
        "Se pronuncia: Juér is de réstrum",
        "Gracias.",
    ]
    assert {s["voice"] for s in spoken} == {MEXICO["name"]}


@requires_chromium
def test_with_only_an_english_voice_the_phrase_can_be_heard(db, phone, phrase_lesson_url):
    _open(phone, phrase_lesson_url, ENGLISH_ONLY)
    assert phone.locator("[data-escuchar]").is_hidden()  # no Spanish voice: no reading
    phone.get_by_role("button", name="Escuchar en inglés").first.click()
    phone.wait_for_function("() => window.fakeSpeech.spoken().length >= 1")
    assert _speaks(phone)[-1]["voice"] == SAMANTHA["name"]
    assert phone.csp_violations() == []
