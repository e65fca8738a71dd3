"""Studying offline in a real browser (Chromium with the service worker of
templates/offline/sw.js and static/js/offline.js): save a course, lose the signal, study,
and what was done arrives once, for the learner who did it; a lesson republished while
the phone was offline is the new one at the next connection.

The phone is tests/browser.py's, with its service worker allowed: its requests, and the
worker's, are answered by Django's test client."""

import time

import pytest

from courses.models import AssessmentPage, CoursePage, LessonPage
from lms.assessments.models import Attempt
from lms.progress.models import LearningEvent
from tests import helpers
from tests.browser import open_phone, requires_chromium

pytestmark = requires_chromium

SITE = "http://testserver"
SAVE = "Guardar para estudiar sin conexión"


@pytest.fixture
def sw_phone(browser, client):
    yield from open_phone(browser, client, service_workers="allow")


def settle(phone, condition, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        phone.wait_for_timeout(50)


def controlled(phone) -> bool:
    return phone.evaluate("!!(navigator.serviceWorker && navigator.serviceWorker.controller)")


def worker_knows(phone) -> str:
    """Whom the service worker serves offline: the learner the pages told it about."""
    return phone.evaluate(
        "caches.open('aula-state').then(c => c.match('/__aula/learner'))"
        ".then(r => r ? r.text() : '')"
    )


def queue_of(phone, user) -> list:
    return phone.evaluate(
        "key => JSON.parse(localStorage.getItem(key) || '[]')", f"aula-eventos:u{user.pk}"
    )


def save_course(phone, course) -> str:
    """Open the course page, wait for the worker, tap «Guardar…»; the status it shows."""
    phone.goto(SITE + course.url)
    settle(phone, lambda: controlled(phone))
    learner = phone.locator('meta[name="aula-learner"]').get_attribute("content")
    settle(phone, lambda: worker_knows(phone) == learner)
    status = phone.locator(".offline-save [data-status]")
    settle(phone, lambda: "Ocupa unos" in status.inner_text())
    size = status.inner_text()
    phone.get_by_role("button", name=SAVE).click()
    settle(phone, lambda: status.inner_text().startswith("Guardado en este teléfono"))
    return size


@pytest.fixture
def two_learners(course):
    return helpers.make_learner("ana", None, course), helpers.make_learner("beto", None, course)


def test_a_saved_course_is_studied_offline_and_the_work_arrives_once_for_its_learner(
    db, sw_phone, client, course, two_learners
):
    phone = sw_phone
    ana, beto = two_learners
    client.force_login(ana)
    size = save_course(phone, course)
    assert size.startswith("Ocupa unos ") and " MB en su teléfono." in size
    assert phone.get_by_role("button", name="Quitar del teléfono").is_visible()

    # No signal: the saved course opens, its lessons follow one another, and «Marcar como
    # terminada» waits on the phone.
    phone.set_offline(True)
    phone.goto(SITE + course.url)
    assert phone.locator("h1").inner_text() == course.title
    lessons = list(LessonPage.objects.live().descendant_of(course).order_by("path"))
    phone.goto(SITE + lessons[0].url)
    for index, lesson in enumerate(lessons[:3]):
        assert phone.locator("h1").inner_text() == lesson.title
        # Its pictures come from the phone (the worker answers; there is no network).
        assert all(
            phone.locator("figure img").evaluate_all(
                "imgs => Promise.all(imgs.map(img => fetch(img.src)"
                ".then(r => r.ok && r.headers.get('content-type').startsWith('image/'),"
                " () => false)))"
            )
        )
        phone.get_by_role("button", name="Marcar como terminada").click()
        settle(phone, lambda n=index + 1: len(queue_of(phone, ana)) >= n)
        if index < 2:
            with phone.expect_navigation():
                phone.locator(".step-nav a[rel=next]").click()
    completed = [item for item in queue_of(phone, ana) if item.get("verb") == "completed"]
    assert [int(item["object"]["id"]) for item in completed] == [
        lesson.pk for lesson in lessons[:3]
    ]

    # A practice quiz, answered offline, waits too.
    quiz = AssessmentPage.objects.live().descendant_of(course).filter(kind="practice").first()
    phone.goto(SITE + quiz.url)
    phone.locator("form.quiz input[type=radio]").first.check()
    phone.get_by_role("button", name="Enviar mis respuestas").click()
    settle(phone, lambda: any(item.get("kind") == "form" for item in queue_of(phone, ana)))

    # A page that is not saved: the offline page, with what is saved.
    phone.goto(SITE + "/cuenta/")
    assert phone.locator("h1").inner_text() == "Sin conexión"
    settle(phone, lambda: phone.locator("[data-saved-list] h2").count() == 1)
    assert phone.locator("[data-saved-list] h2").inner_text() == course.title
    assert not LearningEvent.objects.filter(verb="completed").exists()

    # Beto signs in on this phone, online: Ana's work stays hers, and offline Beto is
    # never shown Ana's saved copies.
    client.logout()
    client.force_login(beto)
    phone.set_offline(False)
    phone.goto(SITE + "/mis-cursos/")
    settle(phone, lambda: worker_knows(phone) == f"u{beto.pk}")
    phone.set_offline(True)
    phone.goto(SITE + lessons[0].url)
    assert phone.locator("h1").inner_text() == "Sin conexión"
    settle(phone, lambda: phone.locator("[data-saved-empty]").is_visible())
    assert not LearningEvent.objects.filter(verb="completed").exists()
    assert not Attempt.objects.exists()

    # Ana again, online: her work arrives, once.
    phone.set_offline(False)
    client.logout()
    client.force_login(ana)
    phone.goto(SITE + "/mis-cursos/")
    settle(phone, lambda: queue_of(phone, ana) == [], seconds=20)
    done = LearningEvent.objects.filter(user=ana, verb="completed")
    assert sorted(done.values_list("object_id", flat=True)) == sorted(
        page.pk for page in lessons[:3]
    )
    assert Attempt.objects.filter(user=ana, assessment_id=quiz.pk).count() == 1
    assert not LearningEvent.objects.filter(user=beto).exclude(verb="started").exists()
    assert phone.csp_violations() == []
    assert phone.external == []


def test_a_lesson_republished_while_offline_is_the_new_one_at_the_next_connection(
    db, sw_phone, client, enrolled, course
):
    phone = sw_phone
    client.force_login(enrolled)
    save_course(phone, course)
    lesson = LessonPage.objects.live().descendant_of(course).order_by("path").first()

    phone.set_offline(True)
    new_text = "Texto nuevo que la asesora publicó mientras el teléfono no tenía señal."
    body = list(lesson.body.raw_data)
    body.insert(0, {"type": "paragraph", "value": f"<p>{new_text}</p>"})
    lesson.body = lesson.body.stream_block.to_python(body)
    lesson.save_revision().publish()
    phone.goto(SITE + lesson.url)
    assert new_text not in phone.content()  # still the saved copy: no signal

    # Back online: the course page brings the saved copy up to date.
    phone.set_offline(False)
    phone.goto(SITE + CoursePage.objects.get(pk=course.pk).url)
    status = phone.locator(".offline-save [data-status]")
    settle(phone, lambda: "Se actualizaron 1 páginas" in status.inner_text())

    phone.set_offline(True)
    phone.goto(SITE + lesson.url)
    assert new_text in phone.content()
    assert phone.csp_violations() == []


def test_removing_a_saved_course_leaves_nothing_behind(db, sw_phone, client, enrolled, course):
    phone = sw_phone
    client.force_login(enrolled)
    save_course(phone, course)
    phone.get_by_role("button", name="Quitar del teléfono").click()
    status = phone.locator(".offline-save [data-status]")
    settle(phone, lambda: status.inner_text() == "Se quitó de este teléfono.")
    names = phone.evaluate("caches.keys()")
    assert not [name for name in names if name.startswith(f"aula-u{enrolled.pk}-")]
    phone.set_offline(True)
    phone.goto(SITE + course.url)
    assert phone.locator("h1").inner_text() == "Sin conexión"


def test_the_status_line_counts_what_waits_and_says_when_all_is_sent(
    db, sw_phone, client, enrolled, course
):
    phone = sw_phone
    client.force_login(enrolled)
    save_course(phone, course)
    lessons = list(LessonPage.objects.live().descendant_of(course).order_by("path"))
    phone.set_offline(True)
    phone.goto(SITE + lessons[0].url)
    status = phone.locator("[data-queue-status]")
    phone.get_by_role("button", name="Marcar como terminada").click()
    settle(phone, lambda: status.inner_text().startswith("1 avance por enviar"))
    with phone.expect_navigation():
        phone.locator(".step-nav a[rel=next]").click()
    assert status.inner_text().startswith("1 avance por enviar")  # the next page says it too
    phone.get_by_role("button", name="Marcar como terminada").click()
    settle(phone, lambda: status.inner_text().startswith("2 avances por enviar"))
    phone.set_offline(False)
    phone.evaluate("dispatchEvent(new Event('online'))")
    settle(phone, lambda: status.inner_text() == "Todo enviado.")
    assert LearningEvent.objects.filter(user=enrolled, verb="completed").count() == 2


def test_a_practice_quiz_is_graded_on_the_phone_and_confirmed_by_the_server(
    db, sw_phone, client, enrolled, course
):
    """Offline, the phone grades a practice quiz with the keys the practice page carries
    (a final carries none); back online the server grades the same answers, and agrees."""
    phone = sw_phone
    client.force_login(enrolled)
    quiz = AssessmentPage.objects.live().descendant_of(course).filter(kind="practice").first()
    phone.goto(SITE + quiz.url)
    questions = phone.locator("fieldset.question[data-key]")
    count = questions.count()
    assert count == len(quiz.specific.questions) or quiz.specific.questions_per_attempt
    # Answer every question right, then the first one wrong where it can be.
    right = helpers.right_answers(quiz.specific)
    for index in range(count):
        fieldset = questions.nth(index)
        block_id = fieldset.get_attribute("id").removeprefix("pregunta-")
        for value in right[block_id]:
            field = fieldset.locator(f'input[name="q-{block_id}"]')
            kind = field.first.get_attribute("type")
            if kind in ("radio", "checkbox"):
                fieldset.locator(f'input[name="q-{block_id}"][value="{value}"]').check()
            else:
                field.first.fill(value)
    phone.set_offline(True)
    phone.get_by_role("button", name="Enviar mis respuestas").click()
    status = phone.locator("[data-queue-status]")
    assert status.inner_text().startswith(f"Calificado en este teléfono: {count} de {count}")
    assert phone.locator(".phone-mark.is-right").count() == count
    phone.set_offline(False)
    phone.evaluate("dispatchEvent(new Event('online'))")
    settle(phone, lambda: status.inner_text().startswith("Sus respuestas se enviaron."))
    attempt = Attempt.objects.get(user=enrolled, assessment_id=quiz.pk)
    assert attempt.score == 100


def test_a_final_never_carries_its_key(db, client, enrolled, course):
    from tests.helpers import complete_required_lessons

    complete_required_lessons(enrolled, course)
    client.force_login(enrolled)
    html = client.get(course.final_assessment.url).content.decode()
    assert "data-key" not in html


def test_a_full_phone_is_told_why_and_keeps_nothing_half_saved(
    db, sw_phone, client, enrolled, course
):
    """The phone's storage fills up halfway: the learner reads why, in Spanish, and no half
    course stays behind taking space."""
    phone = sw_phone
    phone.add_init_script(
        """(() => {
            let puts = 0;
            const put = Cache.prototype.put;
            Cache.prototype.put = function (...args) {
                const full = new DOMException("full", "QuotaExceededError");
                if (++puts > 3) return Promise.reject(full);
                return put.apply(this, args);
            };
        })();"""
    )
    client.force_login(enrolled)
    phone.goto(SITE + course.url)
    status = phone.locator(".offline-save [data-status]")
    settle(phone, lambda: "Ocupa unos" in status.inner_text())
    phone.get_by_role("button", name=SAVE).click()
    settle(phone, lambda: status.inner_text().startswith("No hay espacio suficiente"))
    assert "Libere espacio" in status.inner_text()
    names = phone.evaluate("caches.keys()")
    assert not [name for name in names if name.startswith(f"aula-u{enrolled.pk}-")]
    assert phone.get_by_role("button", name=SAVE).is_visible()


def test_signing_out_hides_the_saved_copies(db, sw_phone, client, enrolled, course):
    """Signed out (the pages then carry no script), the worker serves nobody's copies."""
    phone = sw_phone
    client.force_login(enrolled)
    save_course(phone, course)
    client.logout()
    phone.goto(SITE + "/cursos/")
    assert phone.evaluate("document.scripts.length") == 0
    settle(phone, lambda: worker_knows(phone) == "")
    phone.set_offline(True)
    phone.goto(SITE + course.url)
    assert phone.locator("h1").inner_text() == "Sin conexión"
