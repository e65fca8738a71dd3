"""A thumb that double-taps, a browser that resends on a slow network: every learner action
below, posted twice or eight times (one after the other, and at once from eight
connections), has exactly one effect and gets the usual answer, never a 500.

- enroll in a course and withdraw from it: one enrollment row, changed once;
- "Marcar como terminada": the form carries a server-made ``event_id``, one learning event;
- submitting a quiz: the form carries a server-made ``attempt_id``, one attempt;
- joining a grupo with its code: one membership.

The concurrent cases run in the PostgreSQL pass, with committed data (``committed``): the
threads have connections of their own.
"""

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.db.models.signals import post_save
from django.test import Client
from django.utils import timezone

from courses.models import AssessmentPage, CatalogPage, CoursePage
from lms.accounts import api as accounts_api
from lms.assessments import api as assessments_api
from lms.assessments.models import Attempt
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment, Grupo, Membership, Sede
from lms.progress.models import LearningEvent, LessonProgress
from tests.conftest import in_threads, lesson
from tests.factories.pages import add_course
from tests.helpers import complete_required_lessons

TIMES = [2, 8]
THREADS = 8
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent transactions need PostgreSQL; SQLite serialises writers anyway",
)


def _messages(response) -> list[tuple[str, str]]:
    """The messages waiting to be shown after ``response`` (earlier ones not yet shown
    included), as (level, text)."""
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _posts(client, url, data=None, times=2) -> list:
    return [client.post(url, data or {}) for _ in range(times)]


def _at_once(user, url, data=None) -> list:
    """POST ``data`` to ``url`` from THREADS clients logged in as ``user``, released
    together. Returns the responses (a view that raised answers 500)."""
    clients = []
    for _ in range(THREADS):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)
    responses = []
    in_threads(lambda client: responses.append(client.post(url, data or {})), clients)
    assert len(responses) == THREADS
    return responses


def _form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the form"
    return match.group(1)


class _Saves:
    """The saves of one model (from any thread) whose fields include ``field``."""

    def __init__(self, model, field: str):
        self.model, self.field, self.saved = model, field, []

    def __call__(self, sender, instance, created, update_fields=None, **kwargs):
        if created or update_fields is None or self.field in update_fields:
            self.saved.append(instance.pk)

    def __enter__(self):
        post_save.connect(self, sender=self.model, weak=False, dispatch_uid="double-submit")
        return self.saved

    def __exit__(self, *exc):
        post_save.disconnect(sender=self.model, dispatch_uid="double-submit")


def _committed_user(committed, name: str):
    user = get_user_model().objects.create_user(username=f"{name}-{uuid.uuid4().hex[:8]}")
    user.groups.add(accounts_api.ensure_roles()[accounts_api.roles.EDUCANDO])
    committed.append(user)
    return user


# --- 1. Enroll --------------------------------------------------------------------------


@pytest.mark.parametrize("times", TIMES)
@pytest.mark.parametrize("came_back", [False, True], ids=["new", "after-withdrawing"])
def test_enroll_again_and_again(client, educando, course, times, came_back):
    if came_back:
        enrollment_api.enroll(user=educando, course=course)
        enrollment_api.withdraw(user=educando, course=course)
    client.force_login(educando)
    with _Saves(Enrollment, "withdrawn_at") as saves:
        responses = _posts(client, f"/mis-cursos/inscribir/{course.pk}/", times=times)
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, course.url)] * times
    enrollment = Enrollment.objects.get(user=educando, course_id=course.pk)
    assert enrollment.is_active and len(saves) == 1
    assert [level for level, _text in _messages(responses[-1])] == ["success"]


@on_postgresql
@pytest.mark.parametrize("capacity", [None, 1], ids=["open", "one-seat"])
def test_enroll_at_once(committed, capacity):
    course = add_course(
        catalog=CatalogPage.objects.get(), slug=f"doble-{uuid.uuid4().hex[:8]}", capacity=capacity
    )
    committed.append(course)
    user = _committed_user(committed, "inscribe")
    with _Saves(Enrollment, "withdrawn_at") as saves:
        responses = _at_once(user, f"/mis-cursos/inscribir/{course.pk}/")
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, course.url)] * THREADS
    assert all(level == "success" for r in responses for level, _text in _messages(r))
    assert Enrollment.objects.filter(user=user, withdrawn_at__isnull=True).count() == 1
    assert len(saves) == 1


# --- 2. Withdraw ------------------------------------------------------------------------


@pytest.mark.parametrize("times", TIMES)
def test_withdraw_again_and_again(client, enrolled, course, times):
    client.force_login(enrolled)
    with _Saves(Enrollment, "withdrawn_at") as saves:
        responses = _posts(client, f"/mis-cursos/baja/{course.pk}/", times=times)
    assert [(r.status_code, r.get("Location")) for r in responses] == [
        (302, "/mis-cursos/")
    ] * times
    enrollment = Enrollment.objects.get(user=enrolled, course_id=course.pk)
    assert not enrollment.is_active and len(saves) == 1
    assert [level for level, _text in _messages(responses[-1])] == ["success"]
    assert _messages(responses[-1]) == _messages(responses[0])


def test_withdraw_without_ever_enrolling_says_nothing(client, educando, course):
    client.force_login(educando)
    response = client.post(f"/mis-cursos/baja/{course.pk}/")
    assert response.status_code == 302 and _messages(response) == []


@on_postgresql
def test_withdraw_at_once(committed):
    user = _committed_user(committed, "baja")
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    enrollment_api.enroll(user=user, course=course)
    with _Saves(Enrollment, "withdrawn_at") as saves:
        responses = _at_once(user, f"/mis-cursos/baja/{course.pk}/")
    assert [(r.status_code, r.get("Location")) for r in responses] == [
        (302, "/mis-cursos/")
    ] * THREADS
    assert Enrollment.objects.get(user=user, course_id=course.pk).withdrawn_at is not None
    assert len(saves) == 1


# --- 3. "Marcar como terminada" ---------------------------------------------------------


def _mark_done_form(client, page) -> dict[str, str]:
    html = client.get(page.url).content.decode()
    return {"event_id": _form_value(html, "event_id"), "next": "/cursos/fracciones-y-porcentajes/"}


def _completions(user, page):
    return LearningEvent.objects.filter(user=user, object_id=page.pk, verb="completed")


@pytest.mark.parametrize("times", TIMES)
def test_mark_done_again_and_again(client, enrolled, times):
    page = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    form = _mark_done_form(client, page)
    assert _mark_done_form(client, page)["event_id"] != form["event_id"]  # fresh each time
    responses = _posts(client, f"/mis-cursos/leccion/{page.pk}/terminar/", form, times)
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, form["next"])] * times
    assert [str(e.uuid) for e in _completions(enrolled, page)] == [form["event_id"]]
    assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).status == "completed"


@pytest.mark.parametrize("event_id", [None, "", "no-es-un-uuid"])
def test_mark_done_from_an_old_page_still_works(client, enrolled, event_id):
    page = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    data = {} if event_id is None else {"event_id": event_id}
    response = client.post(f"/mis-cursos/leccion/{page.pk}/terminar/", data)
    assert response.status_code == 302
    assert _completions(enrolled, page).count() == 1
    assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).status == "completed"


@pytest.mark.parametrize("form_first", [True, False], ids=["form-then-queue", "queue-then-form"])
def test_mark_done_and_the_offline_queue_send_one_event(client, enrolled, form_first):
    page = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    form = _mark_done_form(client, page)
    queued = {
        "id": form["event_id"],
        "verb": "completed",
        "object": {"id": page.pk},
        "timestamp": timezone.now().isoformat(),
        "result": {},
    }

    def send_queue():
        return client.post("/api/v1/events/", {"events": [queued]}, content_type="application/json")

    def send_form():
        return client.post(f"/mis-cursos/leccion/{page.pk}/terminar/", form)

    if form_first:
        assert send_form().status_code == 302
        answer = send_queue()
        assert answer.status_code == 200 and answer.json()["duplicates"] == 1
    else:
        assert send_queue().json()["accepted"] == 1
        assert send_form().status_code == 302
    assert [str(e.uuid) for e in _completions(enrolled, page)] == [form["event_id"]]


@on_postgresql
def test_mark_done_at_once(committed):
    user = _committed_user(committed, "termina")
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    enrollment_api.enroll(user=user, course=course)
    page = lesson("que-es-una-fraccion")
    client = Client()
    client.force_login(user)
    form = _mark_done_form(client, page)
    responses = _at_once(user, f"/mis-cursos/leccion/{page.pk}/terminar/", form)
    assert [(r.status_code, r.get("Location")) for r in responses] == [
        (302, form["next"])
    ] * THREADS
    assert [str(e.uuid) for e in _completions(user, page)] == [form["event_id"]]
    assert LessonProgress.objects.get(user=user, page_id=page.pk).status == "completed"


# --- 4. Submitting a quiz ---------------------------------------------------------------


@pytest.fixture
def exam(course, enrolled):
    """The course's final, open to conftest's educanda: she has done the lessons."""
    complete_required_lessons(enrolled, course)
    return course.final_assessment.specific


def _quiz_form(client, exam) -> dict[str, str]:
    """What the quiz form posts: its attempt_id and no answers (a wrong attempt)."""
    html = client.get(exam.url).content.decode()
    return {"attempt_id": _form_value(html, "attempt_id")}


def _submit_url(exam) -> str:
    return f"/evaluaciones/{exam.pk}/enviar/"


class _Graded:
    """The attempts announced by ``attempt_graded`` (from any thread)."""

    def __enter__(self):
        self.announced = []
        assessments_api.attempt_graded.connect(
            lambda sender, **kwargs: self.announced.append(kwargs["attempt_uuid"]),
            weak=False,
            dispatch_uid="double-submit",
        )
        return self.announced

    def __exit__(self, *exc):
        assessments_api.attempt_graded.disconnect(dispatch_uid="double-submit")


@pytest.mark.parametrize("times", TIMES)
def test_submit_again_and_again(client, enrolled, exam, times, django_capture_on_commit_callbacks):
    client.force_login(enrolled)
    form = _quiz_form(client, exam)
    assert _quiz_form(client, exam)["attempt_id"] != form["attempt_id"]  # fresh each time
    with _Graded() as announced, django_capture_on_commit_callbacks(execute=True):
        responses = _posts(client, _submit_url(exam), form, times)
    where = f"/evaluaciones/intentos/{form['attempt_id']}/"
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, where)] * times
    attempt = Attempt.objects.get(user=enrolled)
    assert str(attempt.uuid) == form["attempt_id"] and attempt.number == 1
    assert announced == [form["attempt_id"]]
    assert LearningEvent.objects.filter(user=enrolled, object_id=exam.pk).count() == 1
    assert _messages(responses[-1]) == []
    assert "Le quedan 2 intentos" in client.get(exam.url).content.decode()


def test_a_repeat_is_not_refused_when_the_attempts_are_used_up(client, enrolled, exam):
    client.force_login(enrolled)
    forms = [_quiz_form(client, exam) for _ in range(exam.max_attempts)]
    for form in forms:
        client.post(_submit_url(exam), form)
    # The last one again (a resent form), and the first one: their own attempts, no refusal.
    for form in (forms[-1], forms[0]):
        response = client.post(_submit_url(exam), form)
        assert response["Location"] == f"/evaluaciones/intentos/{form['attempt_id']}/"
    assert Attempt.objects.filter(user=enrolled).count() == exam.max_attempts
    # A new form is refused, as before.
    response = client.post(_submit_url(exam), {"attempt_id": str(uuid.uuid4())})
    assert response["Location"] == exam.url
    assert [level for level, _text in _messages(response)] == ["error"]


def test_someone_elses_attempt_id_is_never_revealed(client, enrolled, make_user, course, exam):
    client.force_login(enrolled)
    form = _quiz_form(client, exam)
    theirs = client.post(_submit_url(exam), form)["Location"]
    other = make_user("copiona")
    enrollment_api.enroll(user=other, course=course)
    complete_required_lessons(other, course)
    client.force_login(other)
    mine = client.post(_submit_url(exam), form)["Location"]
    assert mine != theirs
    attempt = Attempt.objects.get(user=other)
    assert mine == f"/evaluaciones/intentos/{attempt.uuid}/" and attempt.number == 1
    assert Attempt.objects.get(uuid=form["attempt_id"]).user == enrolled
    assert client.get(mine).status_code == 200


def test_an_attempt_id_of_another_assessment_makes_a_new_attempt(client, enrolled, exam):
    client.force_login(enrolled)
    form = _quiz_form(client, exam)
    client.post(_submit_url(exam), form)
    practice = AssessmentPage.objects.get(slug="practica-fracciones")
    response = client.post(_submit_url(practice), form)
    attempt = Attempt.objects.get(user=enrolled, assessment_id=practice.pk)
    assert response["Location"] == f"/evaluaciones/intentos/{attempt.uuid}/"
    assert str(attempt.uuid) != form["attempt_id"]


@pytest.mark.parametrize("attempt_id", [None, "", "no-es-un-uuid"])
def test_submit_from_an_old_page_still_works(client, enrolled, exam, attempt_id):
    client.force_login(enrolled)
    data = {} if attempt_id is None else {"attempt_id": attempt_id}
    first, second = client.post(_submit_url(exam), data), client.post(_submit_url(exam), data)
    attempts = list(Attempt.objects.filter(user=enrolled).order_by("number"))
    assert [a.number for a in attempts] == [1, 2]  # no id to know them apart: two attempts
    assert [first["Location"], second["Location"]] == [
        f"/evaluaciones/intentos/{a.uuid}/" for a in attempts
    ]


@on_postgresql
def test_submit_at_once(committed):
    user = _committed_user(committed, "envia")
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    enrollment_api.enroll(user=user, course=course)
    complete_required_lessons(user, course)
    exam = course.final_assessment.specific
    client = Client()
    client.force_login(user)
    form = _quiz_form(client, exam)
    with _Graded() as announced:
        responses = _at_once(user, _submit_url(exam), form)
    where = f"/evaluaciones/intentos/{form['attempt_id']}/"
    assert [(r.status_code, r.get("Location")) for r in responses] == [(302, where)] * THREADS
    assert [str(a.uuid) for a in Attempt.objects.filter(user=user)] == [form["attempt_id"]]
    assert announced == [form["attempt_id"]]


@on_postgresql
def test_different_attempts_at_once_keep_the_limit(committed):
    user = _committed_user(committed, "muchos")
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    enrollment_api.enroll(user=user, course=course)
    complete_required_lessons(user, course)
    exam = course.final_assessment.specific
    clients = []
    for _ in range(THREADS):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append((client, _quiz_form(client, exam)))
    responses = []
    in_threads(lambda pair: responses.append(pair[0].post(_submit_url(exam), pair[1])), clients)
    assert all(r.status_code == 302 for r in responses)
    attempts = Attempt.objects.filter(user=user)
    assert sorted(a.number for a in attempts) == list(range(1, exam.max_attempts + 1))
    refused = [r for r in responses if r["Location"] == exam.url]
    assert len(refused) == THREADS - exam.max_attempts


# --- 5. Joining a grupo with its code ---------------------------------------------------


@pytest.fixture
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.usefixtures("_fresh_rate_limit")
@pytest.mark.parametrize("times", TIMES)
def test_join_grupo_again_and_again(client, sedes, make_learner, times):
    _sede, _coordinator, grupo = sedes["norte"]
    learner = make_learner("dos-veces")
    client.force_login(learner)
    code = enrollment_api.join_code_for(grupo=grupo)
    with _Saves(Membership, "grupo") as saves:
        responses = _posts(client, "/mis-cursos/grupo/", {"code": code}, times)
    assert [(r.status_code, r.get("Location")) for r in responses] == [
        (302, "/mis-cursos/grupo/")
    ] * times
    assert list(Membership.objects.filter(user=learner).values_list("grupo", flat=True)) == [
        grupo.pk
    ]
    assert len(saves) == 1
    assert [level for level, _text in _messages(responses[-1])] == ["success"]


@on_postgresql
@pytest.mark.usefixtures("_fresh_rate_limit")
def test_join_grupo_at_once(committed):
    sede = Sede.objects.create(
        key=f"doble-{uuid.uuid4().hex[:8]}", name="Plaza doble", kind=enrollment_api.SedeKind.PLAZA
    )
    committed.append(sede)
    grupo = Grupo.objects.create(sede=sede, name="Grupo 1")
    user = _committed_user(committed, "se-une")
    code = enrollment_api.join_code_for(grupo=grupo)
    with _Saves(Membership, "grupo") as saves:
        responses = _at_once(user, "/mis-cursos/grupo/", {"code": code})
    assert [(r.status_code, r.get("Location")) for r in responses] == [
        (302, "/mis-cursos/grupo/")
    ] * THREADS
    assert list(Membership.objects.filter(user=user).values_list("grupo", flat=True)) == [grupo.pk]
    assert len(saves) == 1
