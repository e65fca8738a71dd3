"""The learner's offline client (static/js/progress.js) in a real browser, with Playwright's
controlled clock: minutes of study run in milliseconds.

- Time on task: what the page sends and what the server counts agree.
- A shared phone: one learner's queue is sent only with that learner's session.
- What is pressed offline ("Marcar como terminada", a practice quiz) is sent later, once.
- The sending protocol: per-item answers, back-off, batches that can never succeed.

The phone is simulated by tests/browser.py (Django's test client answers its requests).
"""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from courses.models import AssessmentPage
from lms.assessments.models import Attempt
from lms.progress.models import LearningEvent, LessonProgress
from tests import helpers
from tests.browser import EVENTS_API, requires_chromium
from tests.conftest import lesson

pytestmark = requires_chromium

SITE = "http://testserver"
GRACE_SECONDS = 60  # the reading grace after the last activity (progress.js, studyTime)
PENDING = "1 avance por enviar: está guardado en este teléfono y se enviará cuando haya internet."
PENDING_TIME = (
    "Su tiempo de estudio está guardado en este teléfono y se enviará cuando haya internet."
)


def queue_of(phone, user) -> list[dict]:
    return phone.evaluate(
        "key => JSON.parse(localStorage.getItem(key) || '[]')", f"aula-eventos:u{user.pk}"
    )


def settle(phone, condition, seconds: float = 10) -> None:
    """Wait (in real time, while the page's requests are served) until ``condition()``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        phone.wait_for_timeout(25)


def sent(phone, user) -> bool:
    return phone.evaluate("key => localStorage.getItem(key) === null", f"aula-eventos:u{user.pk}")


def showing(phone) -> str:
    """What the offline client's live region says."""
    return phone.locator("[data-queue-status]").inner_text()


def open_with_clock(phone, path: str) -> None:
    """Open ``path`` with the phone's clock under the test's control, stopped."""
    start = datetime.now(UTC)
    phone.clock.install(time=start)
    phone.clock.pause_at(start + timedelta(seconds=10))
    phone.goto(SITE + path)


def touch(phone) -> None:
    """The learner does something: a key press. (Not one that scrolls: Chromium sends the
    scroll event on its next frame, at whatever time the controlled clock has by then.)"""
    phone.keyboard.press("Shift")


def study(phone, minutes: int) -> None:
    """Active study: the learner does something at the start of every minute."""
    for _minute in range(minutes):
        touch(phone)
        phone.clock.run_for(60_000)


def log_in(phone, user) -> None:
    phone.goto(SITE + "/cuenta/entrar/")
    phone.fill("input[name=username]", user.username)
    phone.fill("input[name=password]", helpers.PASSWORD)
    with phone.expect_navigation():
        phone.get_by_role("button", name="Entrar", exact=True).click()


def log_out(phone) -> None:
    phone.goto(SITE + "/cuenta/")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Salir de Aula").click()


@pytest.fixture
def two_learners(course):
    """Ana and Beto, both enrolled in "Fracciones y porcentajes", share one phone."""
    return helpers.make_learner("ana", None, course), helpers.make_learner("beto", None, course)


# --- Time on task --------------------------------------------------------------------------


def test_ten_minutes_of_study_count_ten_minutes(db, phone, client, enrolled, monkeypatch):
    page = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    phone.follow_phone_clock(monkeypatch)
    open_with_clock(phone, page.url)
    study(phone, minutes=10)
    phone.goto(SITE + "/mis-cursos/")  # leaving the lesson sends its last stretch too
    settle(phone, lambda: sent(phone, enrolled))
    progress = LessonProgress.objects.get(user=enrolled, page_id=page.pk)
    assert abs(progress.time_spent_seconds - 600) <= 30
    beats = LearningEvent.objects.filter(user=enrolled, object_id=page.pk, verb="progressed")
    assert all(0 < beat.result["duration"] <= 60 for beat in beats)
    assert phone.csp_violations() == []


def test_a_tab_left_open_all_night_counts_the_active_minutes_and_the_grace(
    db, phone, client, enrolled, monkeypatch
):
    page = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    phone.follow_phone_clock(monkeypatch)
    open_with_clock(phone, page.url)
    study(phone, minutes=2)
    touch(phone)  # the last thing the learner did
    phone.clock.run_for(8 * 3600 * 1000)
    phone.goto(SITE + "/mis-cursos/")
    settle(phone, lambda: sent(phone, enrolled))
    progress = LessonProgress.objects.get(user=enrolled, page_id=page.pk)
    assert 120 <= progress.time_spent_seconds <= 120 + GRACE_SECONDS + 1


# --- A shared phone ------------------------------------------------------------------------


def test_a_shared_phone_sends_each_learners_work_with_their_own_session(
    db, phone, client, two_learners, monkeypatch
):
    ana, beto = two_learners
    page, other = lesson("que-es-una-fraccion"), lesson("fracciones-equivalentes")
    client.force_login(ana)
    phone.follow_phone_clock(monkeypatch)
    open_with_clock(phone, page.url)
    settle(phone, lambda: sent(phone, ana))  # online: "started" went at once

    # Offline, Ana studies and marks the lesson as done: it stays on the phone.
    phone.set_offline(True)
    for _beat in range(3):
        touch(phone)
        phone.clock.run_for(30_000)
    event_id = phone.locator("input[name=event_id]").input_value()
    phone.get_by_role("button", name="Marcar como terminada").click()
    status = phone.get_by_role("status")
    assert status.inner_text() == PENDING
    assert phone.get_by_text("Terminó esta lección en este teléfono.").is_visible()
    assert [item["verb"] for item in queue_of(phone, ana)] == ["progressed"] * 3 + ["completed"]
    assert queue_of(phone, ana)[-1]["id"] == event_id

    # A weak signal: pages load, the events do not get through. Ana logs out anyway, and
    # is told first what stays on the phone.
    phone.unreachable.add(EVENTS_API)
    phone.set_offline(False)
    phone.goto(SITE + "/cuenta/")
    phone.get_by_role("button", name="Salir de Aula").click()
    warning = phone.get_by_role("alert")
    assert warning.inner_text().startswith(
        "Tiene 4 actividades guardadas en este teléfono que aún no se envían. Se enviarán "
        "cuando vuelva a entrar con su cuenta y haya internet."
    )
    assert "_auth_user_id" in client.session  # not out yet: the learner decides
    with phone.expect_navigation():
        phone.get_by_role("button", name="Salir de todos modos").click()
    assert "_auth_user_id" not in client.session
    phone.unreachable.clear()

    # Beto signs in on the same phone, online, and studies: nothing of Ana's goes with him.
    log_in(phone, beto)
    phone.goto(SITE + other.url)
    settle(phone, lambda: sent(phone, beto))
    assert set(LearningEvent.objects.filter(user=beto).values_list("object_id", flat=True)) == {
        other.pk
    }
    assert list(LearningEvent.objects.filter(user=ana).values_list("verb", flat=True)) == [
        "started"
    ]
    assert len(queue_of(phone, ana)) == 4
    log_out(phone)

    # Ana signs in again: her work arrives.
    log_in(phone, ana)
    settle(phone, lambda: sent(phone, ana))
    done = LearningEvent.objects.get(user=ana, object_id=page.pk, verb="completed")
    assert str(done.uuid) == event_id
    assert LearningEvent.objects.filter(user=ana, object_id=page.pk, verb="progressed").count() == 3
    progress = LessonProgress.objects.get(user=ana, page_id=page.pk)
    assert progress.status == "completed"
    assert abs(progress.time_spent_seconds - 90) <= 2
    assert not LearningEvent.objects.filter(user=beto, object_id=page.pk).exists()
    assert phone.csp_violations() == []
    assert phone.external == []


def test_a_page_whose_session_became_another_learners_keeps_its_queue(
    db, phone, client, two_learners, monkeypatch
):
    """Ana's tab is still open when Beto signs in (in another tab): the server answers 409
    to Ana's page, which keeps her queue and stops sending."""
    ana, beto = two_learners
    page = lesson("que-es-una-fraccion")
    client.force_login(ana)
    phone.follow_phone_clock(monkeypatch)
    open_with_clock(phone, page.url)
    settle(phone, lambda: sent(phone, ana))
    client.force_login(beto)

    touch(phone)
    phone.clock.run_for(30_000)
    settle(phone, lambda: ("POST", EVENTS_API, 409) in phone.served)
    assert [item["verb"] for item in queue_of(phone, ana)] == ["progressed"]
    settle(phone, lambda: showing(phone) == PENDING_TIME)
    posts = len([s for s in phone.served if s[:2] == ("POST", EVENTS_API)])
    touch(phone)
    phone.clock.run_for(60_000)  # two more heartbeats, kept, and no more requests
    assert len([s for s in phone.served if s[:2] == ("POST", EVENTS_API)]) == posts
    assert len(queue_of(phone, ana)) == 3
    assert not LearningEvent.objects.filter(user=beto).exists()
    assert list(LearningEvent.objects.filter(user=ana).values_list("verb", flat=True)) == [
        "started"
    ]

    client.force_login(ana)  # Ana again: any page with the script sends her queue
    phone.goto(SITE + "/mis-cursos/")
    settle(phone, lambda: sent(phone, ana))
    assert LearningEvent.objects.filter(user=ana, verb="progressed").count() == 3
    assert not LearningEvent.objects.filter(user=beto).exists()


# --- Pressed offline -----------------------------------------------------------------------


@pytest.mark.parametrize("post_arrives", [True, False], ids=["post-arrives", "post-lost"])
def test_marking_done_online_counts_once_even_if_the_post_is_lost(
    db, phone, client, enrolled, monkeypatch, post_arrives
):
    """Online, "Marcar como terminada" is the plain form post; its event also waits in the
    queue (same event_id), so a post lost on a bad connection still counts, and one that
    arrived is not counted twice."""
    page = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    phone.follow_phone_clock(monkeypatch)
    open_with_clock(phone, page.url)
    event_id = phone.locator("input[name=event_id]").input_value()
    if not post_arrives:
        phone.unreachable.add(f"/mis-cursos/leccion/{page.pk}/terminar/")
    phone.get_by_role("button", name="Marcar como terminada").click()
    # The next page, or the browser's own page for a request that did not get through.
    phone.wait_for_url(lambda url: url.endswith("/terminar/") or url.startswith("chrome-error:"))
    completed = LearningEvent.objects.filter(user=enrolled, verb="completed")
    assert completed.count() == (1 if post_arrives else 0)
    phone.unreachable.clear()
    if post_arrives:  # the queue's copy goes a little later, and is a duplicate
        phone.goto(SITE + "/mis-cursos/")
        phone.clock.run_for(31_000)
        settle(phone, lambda: sent(phone, enrolled))
    else:  # the learner logs out: the queue goes first, then the log-out
        phone.goto(SITE + "/cuenta/")
        with phone.expect_navigation():
            phone.get_by_role("button", name="Salir de Aula").click()
        assert "_auth_user_id" not in client.session
        assert phone.get_by_role("alert").count() == 0
        assert sent(phone, enrolled)
    assert [str(event.uuid) for event in completed] == [event_id]
    assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).status == "completed"


def test_a_practice_quiz_answered_offline_is_sent_once_back_online(db, phone, client, enrolled):
    quiz = AssessmentPage.objects.get(slug="practica-fracciones")
    client.force_login(enrolled)
    phone.goto(SITE + quiz.url)
    phone.set_offline(True)
    phone.locator("form.quiz input[type=radio]").first.check()
    phone.get_by_role("button", name="Enviar mis respuestas").click()
    assert re.fullmatch(
        r"Calificado en este teléfono: \d+ de \d+ correctas\. Al volver el internet se "
        r"envían sus respuestas y se confirma el resultado\.",
        phone.get_by_role("status").inner_text(),
    )
    [item] = queue_of(phone, enrolled)
    assert item["kind"] == "form" and item["url"].endswith(f"/evaluaciones/{quiz.pk}/enviar/")
    assert item["id"] == phone.locator("input[name=attempt_id]").input_value()
    names = [name for name, _value in item["fields"]]
    assert "csrfmiddlewaretoken" not in names
    assert any(name.startswith("q-") for name in names)
    assert not Attempt.objects.filter(user=enrolled).exists()

    phone.set_offline(False)  # back online: the answers go by themselves
    settle(phone, lambda: sent(phone, enrolled))
    assert phone.get_by_role("status").inner_text().startswith("Sus respuestas se enviaron.")
    assert phone.get_by_role("link", name="Ver su resultado").count() == 1
    attempt = Attempt.objects.get(user=enrolled, assessment_id=quiz.pk)
    assert str(attempt.uuid) == item["id"]

    # The same queue sent a second time (another tab had it too): still one attempt.
    phone.evaluate(
        "([key, item]) => { localStorage.setItem(key, JSON.stringify([item]));"
        " dispatchEvent(new Event('online')); }",
        [f"aula-eventos:u{enrolled.pk}", item],
    )
    settle(phone, lambda: sent(phone, enrolled))
    assert Attempt.objects.filter(user=enrolled, assessment_id=quiz.pk).count() == 1
    assert phone.csp_violations() == []


def test_an_exam_needs_the_connection_and_keeps_the_answers_on_the_page(
    db, phone, client, enrolled, course
):
    exam = course.final_assessment.specific
    helpers.complete_required_lessons(enrolled, course)
    client.force_login(enrolled)
    phone.goto(SITE + exam.url)
    phone.set_offline(True)
    phone.locator("form.quiz input[type=radio]").first.check()
    phone.get_by_role("button", name="Enviar mis respuestas").click()
    assert phone.get_by_role("status").inner_text() == (
        "Para enviar este examen necesita internet. Sus respuestas siguen en la página."
    )
    assert phone.locator("form.quiz input[type=radio]").first.is_checked()
    assert queue_of(phone, enrolled) == []


# --- The sending protocol, against a scripted server ---------------------------------------


def test_retry_items_wait_without_blocking_newer_ones_and_failures_back_off(
    db, phone, client, enrolled
):
    """The queue against a scripted events API: 503 keeps everything and waits (15 s,
    then longer), ``retry`` items stay and do not block the 100 after them, a batch answered
    400 is dropped, and every batch says whose it is and the phone's time."""
    batches, answers = [], []

    def scripted_api(route):
        batch = json.loads(route.request.post_data)
        batches.append(batch)
        status, retry = answers.pop(0) if answers else (200, set())
        if status != 200:
            return route.fulfill(status=status, json={"detail": "No.", "code": "x"})
        results = [
            {"id": e["id"], "status": "retry" if e["id"] in retry else "accepted"}
            for e in batch["events"]
        ]
        route.fulfill(status=200, json={"results": results})

    client.force_login(enrolled)
    open_with_clock(phone, "/mis-cursos/")  # the script, with an empty queue
    phone.route("**" + EVENTS_API, scripted_api)  # answers instead of Django
    items = phone.evaluate(
        """([key, count]) => {
            const items = [];
            for (let i = 0; i < count; i++) items.push({
                id: crypto.randomUUID ? crypto.randomUUID() :
                    `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
                verb: "progressed", object: {id: 1},
                timestamp: new Date(Date.now() - (count - i) * 1000).toISOString(),
                result: {duration: 1}});
            localStorage.setItem(key, JSON.stringify(items));
            return items;
        }""",
        [f"aula-eventos:u{enrolled.pk}", 150],
    )
    ids = [item["id"] for item in items]
    answers.extend([(503, set()), (200, {ids[0]})])
    phone.evaluate("dispatchEvent(new Event('online'))")
    settle(phone, lambda: len(batches) == 1)
    assert batches[0]["learner"] == f"u{enrolled.pk}"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", batches[0]["sent_at"]
    )
    assert [e["id"] for e in batches[0]["events"]] == ids[:100]  # oldest first, 100 at most
    settle(phone, lambda: showing(phone) == PENDING_TIME)
    phone.clock.run_for(11_000)  # backing off: no new try yet
    assert len(batches) == 1
    phone.clock.run_for(8_000)
    settle(phone, lambda: len(queue_of(phone, enrolled)) == 1)
    assert len(batches) == 3
    assert [e["id"] for e in batches[1]["events"]] == ids[:100]
    assert [e["id"] for e in batches[2]["events"]] == ids[100:]  # the retry one waits
    assert [item["id"] for item in queue_of(phone, enrolled)] == [ids[0]]

    # A batch that can never succeed (400) is dropped; the retry item is still kept.
    answers.append((400, set()))
    phone.evaluate(
        """key => {
            const queue = JSON.parse(localStorage.getItem(key));
            queue.push({...queue[0], id: "11111111-1111-4111-8111-111111111111"});
            localStorage.setItem(key, JSON.stringify(queue));
            dispatchEvent(new Event('online'));
        }""",
        f"aula-eventos:u{enrolled.pk}",
    )
    settle(phone, lambda: len(batches) == 4)
    settle(phone, lambda: len(queue_of(phone, enrolled)) == 1)
    assert [e["id"] for e in batches[3]["events"]] == ["11111111-1111-4111-8111-111111111111"]
    assert [item["id"] for item in queue_of(phone, enrolled)] == [ids[0]]
