import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from courses import api as courses_api
from courses.models import CoursePage, LessonPage
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment
from lms.progress import api
from lms.progress.models import CourseProgress, DailyActivity, LearningEvent, LessonProgress
from tests.conftest import in_threads, lesson

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def event(page, verb="started", at=T0, event_id=None, **result):
    return {
        "id": str(event_id or uuid.uuid4()),
        "verb": verb,
        "object": {"id": page.pk},
        "timestamp": at.isoformat(),
        "result": result,
    }


@pytest.fixture
def api_client(enrolled):
    client = APIClient()
    client.force_authenticate(enrolled)
    return client


@pytest.fixture
def page(db):
    return lesson("que-es-una-fraccion")


def _post(client, events):
    return client.post("/api/v1/events/", {"events": events}, format="json")


class TestEndpoint:
    def test_accepts_a_batch(self, api_client, page, enrolled):
        response = _post(api_client, [event(page), event(page, "progressed", duration=30)])
        assert response.status_code == 200
        assert response.json()["accepted"] == 2
        progress = LessonProgress.objects.get(user=enrolled, page_id=page.pk)
        assert progress.status == "started" and progress.time_spent_seconds == 30

    def test_same_uuid_twice_has_one_effect(self, api_client, page, enrolled):
        heartbeat = event(page, "progressed", duration=40)
        _post(api_client, [heartbeat])
        response = _post(api_client, [heartbeat, heartbeat])
        assert [r["status"] for r in response.json()["results"]] == ["duplicate", "duplicate"]
        assert LearningEvent.objects.filter(user=enrolled).count() == 1
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).time_spent_seconds == 40

    def test_bad_items_never_block_good_ones(self, api_client, page, course):
        other_course_lesson = lesson("enviar-dinero-a-casa")
        good = event(page)
        batch = [
            {**event(page), "id": "no-es-uuid"},
            event(other_course_lesson),
            {**event(page), "object": {"id": 99999999}},
            event(page, at=timezone.now() + timedelta(hours=2)),
            event(page, note="x" * 5000),
            event(page, "passed"),
            event(course.final_assessment, "completed"),
            event(page, "progressed", duration=-5),
            {**event(page), "timestamp": "ayer"},
            good,
        ]
        response = _post(api_client, batch)
        assert response.status_code == 200
        results = response.json()["results"]
        codes = [r.get("errors", [{}])[0].get("code") for r in results]
        assert codes == [
            "invalid_uuid",
            "not_enrolled",
            "unknown_object",
            "future_timestamp",
            "payload_too_large",
            "invalid_verb",
            "verb_not_allowed",
            "invalid_duration",
            "invalid_timestamp",
            None,
        ]
        assert results[-1] == {"id": good["id"], "status": "accepted"}
        assert all(r["errors"][0]["message"] for r in results[:-1])

    def test_errors_are_in_spanish_by_default(self, api_client, page):
        response = _post(api_client, [{**event(page), "id": "x"}])
        assert "UUID" in response.json()["results"][0]["errors"][0]["message"]
        assert "debe ser" in response.json()["results"][0]["errors"][0]["message"]

    def test_whole_request_errors(self, api_client, page):
        assert api_client.post("/api/v1/events/", [1], format="json").status_code == 400
        assert api_client.post("/api/v1/events/", {"eventos": []}, format="json").status_code == 400
        too_many = [event(page) for _ in range(api.MAX_BATCH + 1)]
        assert _post(api_client, too_many).status_code == 413
        huge = api_client.post(
            "/api/v1/events/",
            data=json.dumps({"events": [], "x": "y" * 600_000}),
            content_type="application/json",
        )
        assert huge.status_code == 413

    def test_authentication(self, enrolled, page):
        anonymous = APIClient()
        assert _post(anonymous, [event(page)]).status_code in (401, 403)
        token = Token.objects.create(user=enrolled)
        with_token = APIClient()
        with_token.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        assert _post(with_token, [event(page)]).json()["accepted"] == 1

    def test_session_clients_need_the_csrf_token(self, enrolled, page):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(enrolled)
        assert _post(client, [event(page)]).status_code == 403

    def test_a_learner_can_only_record_for_themselves(self, api_client, enrolled, make_user, page):
        other = make_user("otra")
        batch = [{**event(page), "actor": {"id": other.pk}}]
        _post(api_client, batch)
        assert not LearningEvent.objects.filter(user=other).exists()
        assert LearningEvent.objects.filter(user=enrolled).count() == 1

    def test_schema_and_docs_are_served(self, client):
        schema = client.get("/api/v1/schema/")
        assert schema.status_code == 200
        assert b"/api/v1/events/" in schema.content and b"events_create" in schema.content
        docs = client.get("/api/v1/docs/")
        assert docs.status_code == 200
        assert b"https://" not in docs.content and b"cdn." not in docs.content
        paths = json.loads(client.get("/api/v1/schema/?format=json").content)["paths"]
        assert all(path.startswith("/api/v1/") for path in paths)


class TestTimeOnTask:
    def test_a_heartbeat_counts_at_most_a_minute(self, enrolled, page):
        api.record_events(user=enrolled, items=[event(page, "progressed", duration=8 * 3600)])
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).time_spent_seconds == 60

    def test_ten_minutes_of_heartbeats_every_30_s_is_600_s(self, enrolled, page):
        """The client's rhythm (a 30 s heartbeat while active) and the server's accounting
        agree: this used to count 300 s (one heartbeat per clock minute)."""
        items = [
            event(page, "progressed", at=T0 + timedelta(seconds=s), duration=30)
            for s in range(30, 601, 30)
        ]
        api.record_events(user=enrolled, items=items)
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).time_spent_seconds == 600

    def test_repeated_or_overlapping_heartbeats_add_nothing(self, enrolled, page):
        """A client that re-sends a heartbeat under a new id, or sends them too often,
        cannot count the same seconds twice: time is the union of the intervals."""
        again = [event(page, "progressed", at=T0, duration=30) for _ in range(5)]
        every_5_s = [
            event(page, "progressed", at=T0 + timedelta(seconds=s), duration=30)
            for s in range(5, 60, 5)
        ]
        api.record_events(user=enrolled, items=again + every_5_s)
        # [T0 - 30 s, T0 + 55 s]
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).time_spent_seconds == 85

    def test_a_tab_open_all_night_is_not_eight_hours(self, enrolled, page):
        """A client that keeps sending hour-long heartbeats every 10 s for 10 minutes: each
        counts at most a minute and never more than the wall clock they cover; the client
        itself stops when the learner is idle (progress.js, tests/test_offline_client.py)."""
        items = [
            event(page, "progressed", at=T0 + timedelta(seconds=s), duration=3600)
            for s in range(0, 600, 10)
        ]
        api.record_events(user=enrolled, items=items)
        # [T0 - 60 s, T0 + 590 s]
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).time_spent_seconds == 650


def _log_reads(queries):
    """The queries that read a lesson's whole event log."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and "progress_learningevent" in q["sql"]
        and '"object_id" IN' in q["sql"]
    ]


def _study(user, page):
    row = LessonProgress.objects.get(user=user, page_id=page.pk)
    return row.time_spent_seconds, row.study_microseconds, row.study_last_start, row.study_end


class TestTimeKeptWithoutTheLog:
    """A lesson's row keeps where its union of heartbeats stands, so the minute-by-minute
    heartbeats of a learner studying are added without re-reading the lesson's log (which
    grows all the time they study); only a heartbeat that arrives out of order is."""

    def test_heartbeats_in_order_never_read_the_log(self, enrolled, page):
        for minute in range(10):
            at = T0 + timedelta(minutes=minute)
            batch = [
                event(page, "progressed", at=at - timedelta(seconds=30), duration=30),
                event(page, "progressed", at=at, duration=30),
            ]
            with CaptureQueriesContext(connection) as queries:
                result = api.record_events(user=enrolled, items=batch)
            assert result.count("accepted") == 2
            assert _log_reads(queries) == []
        seconds, microseconds, last_start, end = _study(enrolled, page)
        assert (seconds, microseconds) == (600, 600_000_000)
        assert (last_start, end) == (
            T0 + timedelta(minutes=9, seconds=-30),
            T0 + timedelta(minutes=9),
        )

    def test_a_heartbeat_out_of_order_is_counted_from_the_log(self, enrolled, page):
        api.record_events(user=enrolled, items=[event(page, "progressed", at=T0, duration=30)])
        late = T0 - timedelta(minutes=10)  # sent from a phone that was offline
        with CaptureQueriesContext(connection) as queries:
            api.record_events(
                user=enrolled, items=[event(page, "progressed", at=late, duration=30)]
            )
        assert len(_log_reads(queries)) == 1
        assert _study(enrolled, page) == (60, 60_000_000, T0 - timedelta(seconds=30), T0)
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).started_at == late

    def test_an_overlap_with_the_last_counted_adds_only_what_is_new(self, enrolled, page):
        api.record_events(user=enrolled, items=[event(page, "progressed", at=T0, duration=30)])
        again = T0 + timedelta(seconds=10)  # [T0 - 20 s, T0 + 10 s]: 10 s are new
        with CaptureQueriesContext(connection) as queries:
            api.record_events(
                user=enrolled, items=[event(page, "progressed", at=again, duration=30)]
            )
        assert _log_reads(queries) == []
        assert _study(enrolled, page)[:2] == (40, 40_000_000)

    def test_a_row_from_before_time_was_kept_is_counted_from_the_log(self, enrolled, page):
        api.record_events(user=enrolled, items=[event(page, "progressed", at=T0, duration=30)])
        # As the migration left rows written before: their exact time unknown.
        LessonProgress.objects.filter(user=enrolled, page_id=page.pk).update(
            study_microseconds=None, study_last_start=None, study_end=None
        )
        later = T0 + timedelta(minutes=1)
        with CaptureQueriesContext(connection) as queries:
            api.record_events(
                user=enrolled, items=[event(page, "progressed", at=later, duration=30)]
            )
        assert len(_log_reads(queries)) == 1
        assert _study(enrolled, page) == (60, 60_000_000, later - timedelta(seconds=30), later)
        assert CourseProgress.objects.get(user=enrolled).time_spent_seconds == 60

    def test_a_completion_is_added_without_the_log_and_announced_once(
        self, enrolled, page, django_capture_on_commit_callbacks
    ):
        api.record_events(user=enrolled, items=[event(page, "progressed", at=T0, duration=30)])
        done = T0 + timedelta(minutes=5)
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks() as announced,
        ):
            api.record_events(user=enrolled, items=[event(page, "completed", at=done)])
        assert _log_reads(queries) == []
        row = LessonProgress.objects.get(user=enrolled, page_id=page.pk)
        assert (row.status, row.completed_at, row.last_activity_at) == ("completed", done, done)
        assert len(announced) == 1
        with django_capture_on_commit_callbacks() as announced:
            api.record_events(
                user=enrolled, items=[event(page, "completed", at=done - timedelta(minutes=1))]
            )
        row.refresh_from_db()
        assert row.completed_at == done - timedelta(minutes=1)  # the earliest counts
        assert announced == []


class TestStudyDays:
    """Each new event notes the day it fell on in the site's time zone (weekly charts and
    "active in the last N days" read these rows): on PostgreSQL in the statement that
    stores the events, on SQLite after it; both as ``timezone.localdate`` says."""

    def _days(self, user):
        return sorted(DailyActivity.objects.filter(user=user).values_list("course_id", "day"))

    @pytest.mark.parametrize(
        ("zone", "days"),
        [
            # 23:30 on the 2nd and 00:30 on the 3rd in Los Angeles (UTC-8 in November)
            ("America/Los_Angeles", [date(2026, 11, 2), date(2026, 11, 3)]),
            # 01:30 and 02:30 on the 3rd in Mexico City (UTC-6)
            ("America/Mexico_City", [date(2026, 11, 3)]),
        ],
    )
    def test_days_are_local_dates_of_the_site(self, enrolled, course, page, zone, days):
        before = datetime(2026, 11, 3, 7, 30, tzinfo=UTC)
        after = datetime(2026, 11, 3, 8, 30, tzinfo=UTC)
        course_id = course.pk
        with override_settings(TIME_ZONE=zone):
            again = event(page, "progressed", at=before, duration=30)
            api.record_events(user=enrolled, items=[again, event(page, at=after)])
            api.record_events(user=enrolled, items=[again])  # a duplicate notes nothing new
            assert [timezone.localdate(t) for t in (before, after)] == (
                days if len(days) == 2 else days * 2
            )
        assert self._days(enrolled) == [(course_id, day) for day in days]

    def test_a_later_batch_adds_its_own_day_only(self, enrolled, course, page):
        course_id = course.pk
        api.record_events(user=enrolled, items=[event(page, at=T0)])
        api.record_events(
            user=enrolled,
            items=[
                event(page, at=T0 + timedelta(minutes=5)),
                event(page, at=T0 + timedelta(days=2)),
            ],
        )
        assert self._days(enrolled) == [
            (course_id, date(2026, 11, 2)),
            (course_id, date(2026, 11, 4)),
        ]


def _heartbeat_batches(pages):
    """Batches of one learner's events, mostly heartbeats in order as a phone sends them,
    some late (offline), overlapping or repeated, with the odd start and completion."""
    item = st.tuples(
        st.sampled_from(range(len(pages))),
        st.sampled_from(["progressed"] * 6 + ["started", "completed"]),
        st.integers(min_value=-600, max_value=120),  # seconds from where the learner is
        st.sampled_from([0, 0.5, 10, 29.999999, 30, 30, 30, 45.25, 60, 3600]),
    )
    return st.lists(
        st.tuples(st.integers(min_value=0, max_value=90), st.lists(item, min_size=1, max_size=4)),
        min_size=1,
        max_size=12,
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_rows_kept_batch_by_batch_equal_a_rebuild_from_the_log(enrolled, course, data):
    """Whatever the order, overlaps and repeats of the batches, the rows kept batch by
    batch (from the row where they can, from the log where they must) are exactly what a
    rebuild from the whole log gives, time on task to the microsecond."""
    pages = [
        LessonPage.objects.get(pk=s.page_id)
        for s in courses_api.course_steps(course_ids=[course.pk])[course.pk].steps
        if s.kind == "lesson"
    ][:3]
    sent = []
    with transaction.atomic():
        now = T0
        for step, items in data.draw(_heartbeat_batches(pages)):
            now += timedelta(seconds=step)
            batch = [
                event(pages[p], verb, at=now + timedelta(seconds=offset), duration=duration)
                for p, verb, offset, duration in items
            ]
            if sent and data.draw(st.booleans()):
                batch.append(data.draw(st.sampled_from(sent)))  # sent again
            sent += batch
            api.record_events(user=enrolled, items=batch)
        kept = _state(enrolled), _kept_study(enrolled)
        api.rebuild_progress(user_id=enrolled.pk)
        assert (_state(enrolled), _kept_study(enrolled)) == kept
        transaction.set_rollback(True)


def _kept_study(user):
    return sorted(
        LessonProgress.objects.filter(user=user).values_list(
            "page_id", "study_microseconds", "study_last_start", "study_end"
        )
    )


class TestMarkAsDone:
    def test_form_marks_the_lesson_and_goes_on(self, client, enrolled, page):
        client.force_login(enrolled)
        html = client.get(page.url).content.decode()
        assert "Marcar como terminada" in html
        response = client.post(
            f"/mis-cursos/leccion/{page.pk}/terminar/",
            {"next": "/cursos/fracciones-y-porcentajes/"},
        )
        assert response.status_code == 302
        assert response["Location"] == "/cursos/fracciones-y-porcentajes/"
        assert LessonProgress.objects.get(user=enrolled, page_id=page.pk).status == "completed"
        assert "Ya terminó esta lección" in client.get(page.url).content.decode()

    def test_refuses_get_unsafe_next_and_strangers(
        self, client, enrolled, educando, make_user, page
    ):
        client.force_login(enrolled)
        assert client.get(f"/mis-cursos/leccion/{page.pk}/terminar/").status_code == 405
        response = client.post(
            f"/mis-cursos/leccion/{page.pk}/terminar/", {"next": "https://malo.example/"}
        )
        assert response["Location"] == "/mis-cursos/"
        client.force_login(make_user("no-inscrita"))
        assert client.post(f"/mis-cursos/leccion/{page.pk}/terminar/").status_code == 404


def _complete_course(user, course):
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    items = [
        event(
            LessonPage.objects.get(pk=s.page_id),
            "completed",
            at=T0 + timedelta(minutes=i),
        )
        for i, s in enumerate(steps.steps)
        if s.kind == "lesson" and s.required
    ]
    api.record_events(user=user, items=items)
    return steps


class TestCompletion:
    def test_course_completes_once_when_the_rule_holds(
        self, enrolled, course, django_capture_on_commit_callbacks
    ):
        received = []

        def receiver(**kwargs):
            received.append(kwargs)

        enrollment_api.course_completed.connect(receiver)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                steps = _complete_course(enrolled, course)
            enrollment = Enrollment.objects.get(user=enrolled, course_id=course.pk)
            assert enrollment.completed_at is None  # the final exam is still missing
            progress = CourseProgress.objects.get(user=enrolled, course_id=course.pk)
            assert progress.required_done == progress.required_total - 1
            assert 0 < progress.percent < 100
            with django_capture_on_commit_callbacks(execute=True):
                api.record_server_event(
                    user=enrolled,
                    verb="passed",
                    page_id=steps.final_assessment_id,
                    when=T0 + timedelta(hours=1),
                )
            enrollment.refresh_from_db()
            assert enrollment.completed_at == T0 + timedelta(hours=1)
            with django_capture_on_commit_callbacks(execute=True):
                api.record_server_event(
                    user=enrolled, verb="passed", page_id=steps.final_assessment_id
                )
            enrollment.refresh_from_db()
            assert enrollment.completed_at == T0 + timedelta(hours=1)
            assert len(received) == 1 and received[0]["course_id"] == course.pk
            assert CourseProgress.objects.get(user=enrolled, course_id=course.pk).percent == 100
        finally:
            enrollment_api.course_completed.disconnect(receiver)

    def test_failing_the_final_does_not_complete(self, enrolled, course):
        steps = _complete_course(enrolled, course)
        api.record_server_event(user=enrolled, verb="failed", page_id=steps.final_assessment_id)
        assert Enrollment.objects.get(user=enrolled).completed_at is None

    def test_optional_lessons_do_not_count(self, enrolled, course):
        target = lesson("que-es-una-fraccion")
        target.required = False
        target.save_revision().publish()
        steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
        assert target.pk not in steps.required_ids


# --- Order independence and idempotence, by property ---------------------------------------


def _stream(pages):
    return st.lists(
        st.tuples(
            st.sampled_from(range(len(pages))),
            st.sampled_from(["started", "progressed", "completed"]),
            st.integers(min_value=0, max_value=5000),  # seconds after T0
            st.integers(min_value=0, max_value=120),  # heartbeat duration
        ),
        min_size=1,
        max_size=25,
    )


def _state(user):
    lessons = sorted(
        LessonProgress.objects.filter(user=user).values_list(
            "page_id",
            "status",
            "started_at",
            "completed_at",
            "last_activity_at",
            "time_spent_seconds",
        )
    )
    courses = sorted(
        CourseProgress.objects.filter(user=user).values_list(
            "course_id",
            "required_done",
            "percent",
            "last_page_id",
            "last_activity_at",
            "time_spent_seconds",
        )
    )
    completed = list(Enrollment.objects.filter(user=user).values_list("completed_at", flat=True))
    days = sorted(DailyActivity.objects.filter(user=user).values_list("course_id", "day"))
    return lessons, courses, [c is not None for c in completed], days


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_order_and_any_duplication_gives_the_same_state(enrolled, course, data):
    pages = [
        LessonPage.objects.get(pk=s.page_id)
        for s in courses_api.course_steps(course_ids=[course.pk])[course.pk].steps
        if s.kind == "lesson"
    ][:4]
    raw = data.draw(_stream(pages))
    events = [
        event(pages[p], verb, T0 + timedelta(seconds=t), event_id=uuid.UUID(int=i + 1), duration=d)
        for i, (p, verb, t, d) in enumerate(raw)
    ]

    def apply(batches):
        with transaction.atomic():
            for batch in batches:
                api.record_events(user=enrolled, items=batch)
            state = _state(enrolled)
            transaction.set_rollback(True)
        return state

    clean = apply([sorted(events, key=lambda e: e["timestamp"])])
    shuffled = data.draw(st.permutations(events))
    duplicated = shuffled + data.draw(st.lists(st.sampled_from(events), max_size=10))
    cut = data.draw(st.integers(min_value=0, max_value=len(duplicated)))
    messy = apply([duplicated[:cut], duplicated[cut:], duplicated])
    assert messy == clean


def test_rebuild_from_the_log_gives_the_same_state(enrolled, course):
    _complete_course(enrolled, course)
    before = _state(enrolled)
    LessonProgress.objects.filter(user=enrolled).delete()
    CourseProgress.objects.filter(user=enrolled).delete()
    assert api.rebuild_progress(user_id=enrolled.pk) == 1
    assert _state(enrolled) == before


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL; SQLite serialises them",
)
def test_concurrent_overlapping_batches(committed):
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    user = get_user_model().objects.create_user(username="concurrente")
    committed.append(user)
    enrollment_api.enroll(user=user, course=course)
    pages = [
        LessonPage.objects.get(pk=s.page_id)
        for s in courses_api.course_steps(course_ids=[course.pk])[course.pk].steps
        if s.kind == "lesson"
    ]
    events = [
        event(pages[i % len(pages)], "progressed", T0 + timedelta(minutes=i), duration=30)
        for i in range(40)
    ] + [event(p, "completed", T0 + timedelta(hours=2)) for p in pages]
    batches = [events[i : i + 20] for i in range(0, len(events), 10)]  # each event in ~2 batches
    in_threads(lambda batch: api.record_events(user=user, items=batch), batches)
    assert LearningEvent.objects.filter(user=user).count() == len(events)
    progress = LessonProgress.objects.filter(user=user)
    assert progress.count() == len(pages)
    assert sum(p.time_spent_seconds for p in progress) == 40 * 30
    assert all(p.status == "completed" for p in progress)
    assert CourseProgress.objects.get(user=user).time_spent_seconds == 40 * 30


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL; SQLite serialises them",
)
def test_rebuild_while_learners_study_equals_a_fresh_rebuild(committed):
    """Rebuilding takes the same per-learner lock as ingestion: rebuilds running while
    three learners' batches arrive never overwrite newer progress with older, so the
    derived tables end equal to a rebuild from scratch."""
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    pages = [
        LessonPage.objects.get(pk=s.page_id)
        for s in courses_api.course_steps(course_ids=[course.pk])[course.pk].steps
        if s.kind == "lesson"
    ]
    learners = []
    for i in range(3):
        user = get_user_model().objects.create_user(username=f"reconstruye-{i}")
        committed.append(user)
        enrollment_api.enroll(user=user, course=course)
        learners.append(user)
    work = []
    for user in learners:
        events = [
            event(
                pages[i % len(pages)],
                "progressed",
                T0 + timedelta(minutes=i, days=i % 3),
                duration=30,
            )
            for i in range(36)
        ] + [event(p, "completed", T0 + timedelta(hours=5)) for p in pages[::2]]
        work += [("ingest", user, events[i : i + 6]) for i in range(0, len(events), 6)]
    work += [("rebuild", None, None)] * 8

    def run(job):
        kind, user, batch = job
        if kind == "ingest":
            api.record_events(user=user, items=batch)
        else:
            api.rebuild_progress()

    in_threads(run, work)
    during = [_state(user) for user in learners]
    for user in learners:
        assert api.rebuild_progress(user_id=user.pk) == 1
    assert [_state(user) for user in learners] == during
    assert all(LessonProgress.objects.filter(user=user).exists() for user in learners)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL; SQLite serialises them",
)
def test_a_batch_during_a_rebuild_waits_and_counts(committed, monkeypatch):
    """The race the lock closes, made certain: the rebuild has read the log and is still
    computing when a new heartbeat arrives. Without the lock the rebuild would then write
    its older figures over the new ones; with it the batch waits and applies on top."""
    import threading
    import time

    from lms.progress import derived

    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    page = lesson("que-es-una-fraccion")
    user = get_user_model().objects.create_user(username="reconstruye-lento")
    committed.append(user)
    enrollment_api.enroll(user=user, course=course)
    api.record_events(user=user, items=[event(page, "progressed", T0, duration=30)])
    computing, real = threading.Event(), derived._study_time

    def slow(heartbeats):
        if threading.current_thread().name == "rebuild":
            computing.set()
            time.sleep(1.5)
        return real(heartbeats)

    monkeypatch.setattr(derived, "_study_time", slow)
    name = connection.settings_dict["NAME"]

    def rebuild():
        from django.db import connections

        connections["default"].settings_dict["NAME"] = name
        try:
            api.rebuild_progress(user_id=user.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=rebuild, name="rebuild")
    thread.start()
    assert computing.wait(10)
    api.record_events(
        user=user, items=[event(page, "progressed", T0 + timedelta(days=2), duration=30)]
    )
    thread.join()
    assert LessonProgress.objects.get(user=user, page_id=page.pk).time_spent_seconds == 60


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="synchronous_commit is PostgreSQL's; SQLite commits as it always does",
)
@pytest.mark.parametrize(
    ("verbs", "waits_for_the_disk"),
    [
        (["progressed", "progressed"], False),  # a heartbeat: time of study only
        (["progressed", "completed"], True),
        (["started"], True),
    ],
)
def test_only_time_of_study_commits_without_waiting_for_the_disk(
    enrolled, page, verbs, waits_for_the_disk
):
    """A batch of heartbeats is committed asynchronously (``synchronous_commit`` off for
    its transaction only); any batch that carries more than time waits for the disk."""

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('synchronous_commit')")
            return cursor.fetchone()[0]

    # The test's transaction stands for the batch's, kept open to look inside it (the
    # setting is SET LOCAL: it ends with the transaction).
    assert setting() == "on"
    items = [event(page, verb, at=T0, duration=30) for verb in verbs]
    result = api.record_events(user=enrolled, items=items)
    assert result.count("accepted") == len(verbs)
    assert setting() == ("on" if waits_for_the_disk else "off")
