"""The "Escuchar" control: a lesson read aloud with the phone's Spanish voice
(static/js/escuchar.js), in headless Chromium on a 360 px phone (tests/browser.py).
Chromium here has no voices, so each test puts a fake ``speechSynthesis`` on the page
before its scripts run: its voices arrive late (as on Chrome, through "voiceschanged"),
``speak`` records each utterance and the test ends the utterance being spoken with
``fakeSpeech.finish()``."""

import json

import pytest

from lms.enrollment import api as enrollment_api
from tests.browser import open_phone, requires_chromium
from tests.content.test_responsive_images import make_image
from tests.factories.pages import add_course, add_lesson

pytestmark = requires_chromium

MEXICO = {"name": "Paulina", "lang": "es-MX", "localService": True}
VOICES = [
    {"name": "Samantha", "lang": "en-US", "localService": True},
    {"name": "Mónica", "lang": "es-ES", "localService": True},
    {"name": "Google español de Estados Unidos", "lang": "es-US", "localService": False},
    MEXICO,
]
ENGLISH_ONLY = [VOICES[0]]

FAKE_SPEECH = """
(() => {
  const voices = %s;
  const log = [];
  const queue = [];
  let loaded = false;
  const synth = new EventTarget();
  synth.speaking = false;
  synth.paused = false;
  synth.getVoices = () => (loaded ? voices : []);
  synth.speak = (u) => {
    const voice = u.voice && u.voice.name;
    log.push({type: "speak", text: u.text, rate: u.rate, lang: u.lang, voice});
    queue.push(u);
    synth.speaking = true;
    setTimeout(() => u.onstart && u.onstart({utterance: u}));
  };
  synth.cancel = () => {
    log.push({type: "cancel"});
    const dropped = queue.splice(0);
    synth.speaking = synth.paused = false;
    const interrupted = (u) => u.onerror && u.onerror({error: "interrupted", utterance: u});
    dropped.forEach((u) => setTimeout(() => interrupted(u)));
  };
  synth.pause = () => { log.push({type: "pause"}); synth.paused = true; };
  synth.resume = () => { log.push({type: "resume"}); synth.paused = false; };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.rate = 1; this.lang = ""; this.voice = null; }
  };
  window.fakeSpeech = {
    log,
    loaded: false,
    spoken: () => log.filter((e) => e.type === "speak").map((e) => e.text),
    finish() {
      const u = queue.shift();
      synth.speaking = queue.length > 0;
      setTimeout(() => u && u.onend && u.onend({utterance: u}));
    },
  };
  setTimeout(() => {
    loaded = true;
    synth.dispatchEvent(new Event("voiceschanged"));
    window.fakeSpeech.loaded = true;
  }, 50);
})();
"""

STATUS = "[data-escuchar-status]"  # the offline client has a role=status of its own
NO_HIGHLIGHT_API = "delete window.Highlight;"

HIGHLIGHTED = """() => {
  const ranges = CSS.highlights && CSS.highlights.get("escuchar");
  if (ranges) return [...ranges].map((r) => r.toString()).join("|");
  return [...document.querySelectorAll("mark.escuchar-actual")].map((m) => m.textContent).join("");
}"""

SENTENCES = [
    "Fracciones en la vida diaria",
    "¿Qué es una fracción?",
    "Es una parte de un entero.",
    "La Sra. López compró 2.5 kg de fruta, p. ej. manzanas.",
    "¡Muy bien!",
    "Partes de una fracción",
    "El número de arriba se llama numerador.",
    "Una pizza partida en cuatro.",
]


# Tests ask for ``db`` before the phone: the phone serves its requests in a copy of the
# test's context, which must already hold the test's database connection.
@pytest.fixture
def lesson_url(db, client, catalog, educando):
    course = add_course(catalog=catalog, slug="curso-para-escuchar")
    lesson = add_lesson(
        parent=course,
        slug="fracciones-en-la-vida-diaria",
        title=SENTENCES[0],
        body=[
            (
                "paragraph",
                "<p>¿Qué es una fracción? Es una <b>parte</b> de un entero. La Sra. López "
                "compró 2.5 kg de fruta, p. ej. manzanas. ¡Muy bien!</p>",
            ),
            ("heading", {"text": "Partes de una fracción", "level": "h2"}),
            ("paragraph", "<p>El número de arriba se llama numerador.</p>"),
            (
                "image",
                {
                    "image": make_image("Pizza", size=(1200, 900)),
                    "alt": "Una pizza con una rebanada de menos",
                    "caption": "Una pizza partida en cuatro.",
                },
            ),
        ],
    )
    enrollment_api.enroll(user=educando, course=course)
    client.force_login(educando)
    return f"http://testserver{lesson.url}"


def _open(phone, url, voices=VOICES, extra_script=""):
    phone.add_init_script(FAKE_SPEECH % json.dumps(voices) + extra_script)
    phone.goto(url)
    phone.wait_for_function("() => window.fakeSpeech.loaded")


def _spoken(phone):
    return phone.evaluate("() => window.fakeSpeech.spoken()")


def _log(phone):
    return phone.evaluate("() => window.fakeSpeech.log")


def _wait_spoken(phone, count):
    phone.wait_for_function(f"() => window.fakeSpeech.spoken().length >= {count}")


def _finish(phone, expect_spoken):
    phone.evaluate("() => window.fakeSpeech.finish()")
    _wait_spoken(phone, expect_spoken)


def test_lesson_is_read_sentence_by_sentence_with_the_mexican_voice(db, phone, lesson_url):
    _open(phone, lesson_url)
    # The controls fit the phone and are easy to touch.
    assert phone.evaluate("document.documentElement.scrollWidth") == 360
    heights = phone.eval_on_selector_all(
        "[data-escuchar] button", "bs => bs.map(b => b.getBoundingClientRect().height)"
    )
    assert len(heights) == 5 and min(heights) >= 44
    listen = phone.get_by_role("button", name="Escuchar")
    listen.click()
    _wait_spoken(phone, 1)
    first = _log(phone)[-1]
    assert first == {
        "type": "speak",
        "text": SENTENCES[0],
        "rate": 1,
        "lang": "es-MX",
        "voice": MEXICO["name"],
    }
    assert phone.evaluate(HIGHLIGHTED) == SENTENCES[0]
    for count in range(2, len(SENTENCES) + 1):
        _finish(phone, count)
        # The highlight follows the voice, across <b> and around abbreviations.
        assert phone.evaluate(HIGHLIGHTED) == SENTENCES[count - 1]
    assert _spoken(phone) == SENTENCES  # not the alt text, the buttons or the "Paso" line
    phone.evaluate("() => window.fakeSpeech.finish()")
    phone.locator(STATUS).filter(has_text="Terminó la lectura.").wait_for()
    assert phone.evaluate(HIGHLIGHTED) == ""
    assert phone.get_by_role("button", name="Escuchar").is_visible()
    assert phone.get_by_role("button", name="Detener").is_disabled()
    assert phone.csp_violations() == []
    assert phone.external == []


def test_pause_resume_stop_and_speed(db, phone, lesson_url):
    _open(phone, lesson_url)
    phone.get_by_role("button", name="Escuchar").click()
    _wait_spoken(phone, 1)
    _finish(phone, 2)

    phone.get_by_role("button", name="Pausar").click()
    assert _log(phone)[-1] == {"type": "pause"}
    assert phone.locator(STATUS).text_content() == "Lectura en pausa."
    phone.get_by_role("button", name="Continuar").click()
    assert _log(phone)[-1] == {"type": "resume"}
    assert phone.get_by_role("button", name="Pausar").is_visible()
    assert phone.evaluate(HIGHLIGHTED) == SENTENCES[1]

    # A new speed reads the current sentence again, faster, and is remembered.
    faster = phone.get_by_role("button", name="Más rápido")
    faster.click()
    _wait_spoken(phone, 3)
    assert [e for e in _log(phone) if e["type"] == "speak"][-1]["rate"] == 1.2
    assert _spoken(phone)[-1] == SENTENCES[1]
    assert faster.get_attribute("aria-pressed") == "true"
    assert phone.get_by_role("button", name="Normal").get_attribute("aria-pressed") == "false"
    _finish(phone, 4)
    assert [e for e in _log(phone) if e["type"] == "speak"][-1]["rate"] == 1.2

    # Paused, then the sentence is dropped (as on some Android phones): read it again.
    phone.get_by_role("button", name="Pausar").click()
    phone.evaluate("() => { speechSynthesis.cancel(); }")
    phone.get_by_role("button", name="Continuar").click()
    _wait_spoken(phone, 5)
    assert _spoken(phone)[-1] == SENTENCES[2]

    text_before = phone.locator("article .prose").first.text_content()
    phone.get_by_role("button", name="Detener").click()
    assert _log(phone)[-1] == {"type": "cancel"}
    assert phone.evaluate(HIGHLIGHTED) == ""
    assert phone.locator(STATUS).text_content() == "Lectura detenida."
    assert phone.get_by_role("button", name="Escuchar").evaluate(
        "b => b === document.activeElement"
    )
    assert phone.locator("article .prose").first.text_content() == text_before

    phone.reload()
    phone.wait_for_function("() => window.fakeSpeech.loaded")
    assert phone.get_by_role("button", name="Más rápido").get_attribute("aria-pressed") == "true"
    phone.get_by_role("button", name="Escuchar").click()
    _wait_spoken(phone, 1)
    assert _log(phone)[-1]["rate"] == 1.2
    assert phone.csp_violations() == []


def test_without_the_highlight_api_the_sentence_is_marked(db, phone, lesson_url):
    _open(phone, lesson_url, extra_script=NO_HIGHLIGHT_API)
    paragraph = phone.locator("article .prose").first
    original = paragraph.inner_html()
    phone.get_by_role("button", name="Escuchar").click()
    _wait_spoken(phone, 1)
    for count in range(2, 5):
        _finish(phone, count)
        assert phone.evaluate(HIGHLIGHTED) == SENTENCES[count - 1]
        assert phone.locator("mark.escuchar-actual").first.is_visible()
    phone.get_by_role("button", name="Detener").click()
    assert phone.locator("mark").count() == 0
    assert paragraph.inner_html() == original  # the lesson's text is as it was


def test_hidden_without_a_spanish_voice(db, phone, lesson_url):
    _open(phone, lesson_url, voices=ENGLISH_ONLY)
    assert phone.get_by_role("button").filter(has_text="Escuchar").count() == 0
    assert phone.locator("[data-escuchar]").is_hidden()
    assert phone.locator("h1").text_content() == SENTENCES[0]
    assert phone.csp_violations() == []


@pytest.fixture
def phone_at_dpr_2(db, browser, client):
    yield from open_phone(browser, client, device_scale_factor=2)


def test_a_360px_phone_at_dpr_2_downloads_the_720px_webp(db, phone_at_dpr_2, lesson_url):
    page = phone_at_dpr_2
    page.goto(lesson_url)
    img = page.locator("article picture img")
    img.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('article picture img');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    # 324 CSS px wide at DPR 2: the 720 px WebP (its file name carries the filter spec).
    current = img.evaluate("i => i.currentSrc")
    assert current.endswith(".width-720.format-webp.webp"), current
    assert img.evaluate("i => Math.round(i.getBoundingClientRect().width)") == 324
    assert page.csp_violations() == []


@pytest.fixture
def phone_without_js(db, browser, client):
    yield from open_phone(browser, client, java_script_enabled=False)


def test_lesson_works_without_javascript(db, phone_without_js, lesson_url):
    page = phone_without_js
    page.goto(lesson_url)
    assert page.locator("h1").text_content() == SENTENCES[0]
    assert page.get_by_role("button", name="Escuchar").count() == 0
    assert page.locator("[data-escuchar]").is_hidden()
    assert page.get_by_role("button", name="Marcar como terminada").is_visible()
    assert page.locator("article picture img").count() == 1
    assert page.external == []
