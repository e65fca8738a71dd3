"""The lesson page of a signed-in learner is served from its shell (lms/progress/lesson_shell.py)
and its route from the cache (courses/models/routing.py): the same page a full render gives,
with each learner's own token, queue key and state, and never a stale one."""

import re
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client
from wagtail.models import PageViewRestriction, Site

from courses import api as courses_api
from courses.models import LessonPage
from lms.enrollment import api as enrollment_api
from lms.progress import lesson_shell
from tests.factories.pages import add_course

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=|data-csrf=)"([^"]+)"')
EVENT = re.compile(r'name="event_id" value="([0-9a-f-]{36})"')
LEARNER = re.compile(r'(?:data-learner|name="aula-learner" content)="([^"]*)"')


@pytest.fixture
def course(catalog):
    return add_course(catalog=catalog, slug="curso-molde", title="Curso del molde", lessons=3)


def _lesson(number: int) -> LessonPage:
    return LessonPage.objects.get(slug=f"leccion-{number}", url_path__contains="/curso-molde/")


def _learner_client(course, username: str) -> tuple[Client, object]:
    user = get_user_model().objects.create_user(username=username, password="x" * 12)
    enrollment_api.enroll(user=user, course=course)
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def ana(course):
    return _learner_client(course, "ana-molde")


def _same_page(html: str) -> str:
    """A page with its per-view values (token, event id) left out."""
    return EVENT.sub('name="event_id" value="-"', TOKEN.sub(r'\1"-"', html))


def test_the_second_view_renders_no_template_and_is_the_same_page(ana):
    client, user = ana
    url = _lesson(1).url
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.templates[0].name == "courses/lesson_page.html"
    assert second.templates == []  # nothing rendered: the shell, filled in
    assert _same_page(second.content.decode()) == _same_page(first.content.decode())
    assert second["Content-Type"] == "text/html; charset=utf-8"
    assert second["X-Aula-Learner"] == f"u{user.pk}"
    assert second["Cache-Control"] == "private, no-store"
    assert not re.search(r"aula[0-9a-f]{24}", second.content.decode())  # no mark left


def test_each_learner_gets_their_own_key_token_and_event(course, ana):
    ana_client, _ana = ana
    url = _lesson(1).url
    ana_client.get(url)  # the shell is made from Ana's page
    beto_client, beto = _learner_client(course, "beto-molde")
    beto_client.get(url)
    html = beto_client.get(url).content.decode()
    assert set(LEARNER.findall(html)) == {f"u{beto.pk}"}
    events = {EVENT.search(beto_client.get(url).content.decode()).group(1) for _ in range(3)}
    assert len(events) == 3  # a new event id each time the page is shown

    # Beto's token is his: the form on the page he was served is accepted.
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = beto_client.cookies
    html = strict.get(url).content.decode()
    tokens = {value for _attribute, value in TOKEN.findall(html)}
    assert len(tokens) == 1
    response = strict.post(
        f"/mis-cursos/leccion/{_lesson(1).pk}/terminar/",
        {"csrfmiddlewaretoken": tokens.pop(), "event_id": EVENT.search(html).group(1)},
    )
    assert response.status_code == 302
    assert "Ya terminó esta lección." in beto_client.get(url).content.decode()
    assert "Ya terminó esta lección." not in ana_client.get(url).content.decode()


def test_finishing_a_lesson_shows_on_the_next_view_with_its_message(ana):
    client, _user = ana
    first, second = _lesson(1), _lesson(2)
    for page in (first, second, first, second):
        assert "Marcar como terminada" in client.get(page.url).content.decode()
    html = client.get(first.url).content.decode()
    response = client.post(
        f"/mis-cursos/leccion/{first.pk}/terminar/",
        {"event_id": EVENT.search(html).group(1), "next": second.url},
    )
    assert response["Location"] == second.url
    # The message waits in the session: the next page is rendered in full to show it.
    html = client.get(second.url).content.decode()
    assert "Terminó la lección «Lección 1»." in html
    assert "Terminó la lección" not in client.get(second.url).content.decode()
    html = client.get(first.url).content.decode()
    assert "Ya terminó esta lección." in html and "Marcar como terminada" not in html


_MISSING = object()
ROUND_TRIPS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "touch")


def test_a_lesson_from_its_shell_asks_the_shared_cache_once(ana):
    """Each round trip to the cache (Redis in production) is a wait on a busy server: a
    lesson from its shell asks for the generation with the route (one ``get_many``); whether
    any view restriction exists comes with the route, and the shell this process served
    last from its own memory."""
    client, _user = ana
    url = _lesson(1).url
    client.get(url)
    backend = caches["default"]
    with mock.patch.multiple(
        backend, **{name: mock.DEFAULT for name in ROUND_TRIPS}, autospec=False
    ) as calls:
        for name, fake in calls.items():
            fake.side_effect = getattr(type(backend), name).__get__(backend)
        # One call, one round trip (Redis's MGET), whatever the local cache does inside.
        calls["get_many"].side_effect = lambda keys, **kw: {
            key: value
            for key in keys
            if (value := type(backend).get(backend, key, _MISSING, **kw)) is not _MISSING
        }
        response = client.get(url)
    assert response.status_code == 200 and response.templates == []
    asked = {name: fake.call_count for name, fake in calls.items() if fake.call_count}
    assert asked == {"get_many": 1}


def test_a_shell_made_by_another_process_is_used(ana):
    """A process that has not served the lesson yet takes the shell another one made
    (from the shared cache), and keeps it."""
    client, _user = ana
    url = _lesson(1).url
    first = client.get(url)
    lesson_shell._local.clear()  # as in a process that never served it
    second = client.get(url)
    assert second.templates == []  # from the shared cache, not rendered again
    assert _same_page(second.content.decode()) == _same_page(first.content.decode())
    caches["default"].clear()  # the shared cache is gone too: rendered in full
    assert client.get(url).templates[0].name == "courses/lesson_page.html"


def test_an_address_with_a_query_string_is_rendered_in_full(ana):
    client, _user = ana
    url = _lesson(1).url
    client.get(url)
    response = client.get(url + "?origen=correo")
    assert response.templates and 'value="/cursos/curso-molde/leccion-1/?origen=correo"' in (
        response.content.decode()
    )


class TestNeverStale:
    """Each change is seen on the next view of a lesson whose route and shell are kept."""

    @pytest.fixture(autouse=True)
    def warm(self, ana):
        self.client = ana[0]
        for number in (1, 2, 3, 1, 2, 3):
            assert self.client.get(_lesson(number).url).status_code == 200

    def test_a_new_title_on_the_lesson_and_in_the_next_step(self):
        lesson = _lesson(2)
        lesson.title = "Lección 2, con otro título"
        lesson.save_revision().publish()
        assert "<h1>Lección 2, con otro título</h1>" in self.client.get(lesson.url).content.decode()
        assert "Lección 2, con otro título →" in self.client.get(_lesson(1).url).content.decode()

    def test_a_draft_is_not_served(self):
        lesson = _lesson(1)
        lesson.title = "Título en borrador"
        lesson.save_revision()
        assert "Título en borrador" not in self.client.get(lesson.url).content.decode()

    def test_unpublished_is_404_and_published_again_is_back(self):
        lesson = _lesson(2)
        lesson.unpublish()
        assert self.client.get(lesson.url).status_code == 404
        assert "Paso 2 de 2" in self.client.get(_lesson(3).url).content.decode()
        lesson.get_latest_revision().publish()
        assert self.client.get(lesson.url).status_code == 200

    def test_a_renamed_lesson_moves_to_its_new_address(self):
        lesson = _lesson(3)
        old_url = lesson.url
        lesson.slug = "leccion-tres"
        lesson.save_revision().publish()
        assert self.client.get(old_url).status_code == 404
        assert (
            "<h1>Lección 3</h1>"
            in self.client.get("/cursos/curso-molde/leccion-tres/").content.decode()
        )

    def test_a_reordered_lesson_changes_its_step(self):
        _lesson(3).move(_lesson(1), pos="left")
        html = self.client.get(_lesson(3).url).content.decode()
        assert "Paso 1 de 3" in html and "Lección 1 →" in html

    def test_a_private_lesson_asks_for_its_password(self):
        lesson = _lesson(1)
        PageViewRestriction.objects.create(
            page=lesson, restriction_type=PageViewRestriction.PASSWORD, password="secreto"
        )
        html = self.client.get(lesson.url).content.decode()
        assert 'name="password"' in html and "Marcar como terminada" not in html
        PageViewRestriction.objects.filter(page=lesson).delete()
        assert "Marcar como terminada" in self.client.get(lesson.url).content.decode()

    def test_a_learner_withdrawn_is_refused(self, course):
        user = get_user_model().objects.get(username="ana-molde")
        assert enrollment_api.withdraw(user=user, course=course) is not None
        assert self.client.get(_lesson(1).url).status_code == 403

    def test_a_site_change_renews_the_generation(self):
        before = courses_api.page_generation()
        site = Site.objects.get(is_default_site=True)
        site.site_name = "Aula (nuevo nombre)"
        site.save()
        assert courses_api.page_generation() != before


def test_a_signed_out_visitor_is_still_sent_to_log_in(ana):
    client, _user = ana
    url = _lesson(1).url
    client.get(url)
    response = Client().get(url)
    assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]


def test_a_learner_of_another_course_is_still_refused(ana, catalog):
    ana[0].get(_lesson(1).url)
    other = add_course(catalog=catalog, slug="otro-molde", title="Otro", lessons=1)
    client, _user = _learner_client(other, "carla-molde")
    assert client.get(_lesson(1).url).status_code == 403


def test_a_body_with_video_or_audio_is_not_shared():
    class Raw:
        def __init__(self, types):
            self.body = type("Body", (), {"raw_data": [{"type": t} for t in types]})()
            self.live = True
            self.live_revision_id = 1

    assert courses_api.body_is_shared(Raw(["paragraph", "image"]))
    assert not courses_api.body_is_shared(Raw(["paragraph", "video"]))
    assert not courses_api.body_is_shared(Raw(["audio"]))
    unpublished = Raw(["paragraph"])
    unpublished.live = False
    assert not courses_api.body_is_shared(unpublished)


def test_lesson_completed_answers_for_that_learner_and_that_lesson_only(ana, course):
    """The shell's written-out query: finished, started and never opened, and another
    learner's progress on the same lesson."""
    from lms.progress import api as progress_api
    from lms.progress import selectors

    _client, user = ana
    _beto_client, beto = _learner_client(course, "beto-completo")
    progress_api.record_server_event(user=user, verb="completed", page_id=_lesson(1).pk)
    progress_api.record_server_event(user=user, verb="started", page_id=_lesson(2).pk)
    assert selectors.lesson_completed(user_id=user.pk, page_id=_lesson(1).pk)
    assert not selectors.lesson_completed(user_id=user.pk, page_id=_lesson(2).pk)  # started
    assert not selectors.lesson_completed(user_id=user.pk, page_id=_lesson(3).pk)
    assert not selectors.lesson_completed(user_id=beto.pk, page_id=_lesson(1).pk)
