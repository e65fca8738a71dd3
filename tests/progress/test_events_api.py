"""POST /api/v1/events/ with what a buggy phone, an old app or an attacker sends: never a
5xx, good items always applied, clocks corrected, queues never credited to someone else."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from lms.progress import api
from lms.progress.models import LearningEvent, LessonProgress
from lms.progress.parsers import MAX_BODY_BYTES, MAX_DEPTH
from tests.conftest import lesson

URL = "/api/v1/events/"


def event(page, verb="started", at=None, **result):
    return {
        "id": str(uuid.uuid4()),
        "verb": verb,
        "object": {"id": page.pk},
        "timestamp": (at or timezone.now() - timedelta(minutes=1)).isoformat(),
        "result": result,
    }


@pytest.fixture
def page(db):
    return lesson("que-es-una-fraccion")


@pytest.fixture
def api_client(enrolled):
    client = APIClient()
    client.force_authenticate(enrolled)
    return client


def post_raw(client, body: bytes | str, content_type="application/json", **extra):
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return client.generic("POST", URL, body, content_type=content_type, **extra)


def statuses(response):
    return [item["status"] for item in response.json()["results"]]


def codes(response):
    return [(item.get("errors") or [{}])[0].get("code") for item in response.json()["results"]]


class TestClocks:
    def test_a_phone_an_hour_fast_records_at_the_right_time(self, api_client, enrolled, page):
        now = timezone.now()
        phone = now + timedelta(hours=1)  # the phone's clock is an hour ahead
        studied = event(page, "progressed", at=phone - timedelta(minutes=10), duration=30)
        response = api_client.post(
            URL, {"sent_at": phone.isoformat(), "events": [studied]}, format="json"
        )
        assert statuses(response) == ["accepted"]
        stored = LearningEvent.objects.get(user=enrolled)
        assert abs(stored.client_timestamp - (now - timedelta(minutes=10))) < timedelta(seconds=5)
        assert abs(stored.clock_correction + timedelta(hours=1)) < timedelta(seconds=5)

    def test_a_phone_a_day_slow_loses_nothing(self, api_client, enrolled, page):
        now = timezone.now()
        phone = now - timedelta(days=1)
        items = [
            event(page, "progressed", at=phone - timedelta(seconds=s), duration=30)
            for s in (90, 60, 30)
        ]
        response = api_client.post(
            URL, {"sent_at": phone.isoformat(), "events": items}, format="json"
        )
        assert statuses(response) == ["accepted"] * 3
        progress = LessonProgress.objects.get(user=enrolled, page_id=page.pk)
        assert abs(progress.last_activity_at - (now - timedelta(seconds=30))) < timedelta(seconds=5)
        assert progress.time_spent_seconds == 90

    def test_impossible_times_are_kept_by_the_client(self, api_client, enrolled, page):
        """Even corrected, 1970 (a phone whose clock reset) and two hours ahead are
        impossible: the client must keep them (``retry``), and nothing is stored."""
        now = timezone.now()
        items = [
            event(page, at=datetime(1970, 1, 1, tzinfo=UTC)),
            event(page, at=now + timedelta(hours=2)),
            event(page),
        ]
        response = api_client.post(
            URL, {"sent_at": now.isoformat(), "events": items}, format="json"
        )
        assert statuses(response) == ["retry", "retry", "accepted"]
        assert codes(response) == ["impossible_timestamp", "future_timestamp", None]
        assert response.json()["retry"] == 2
        assert "reloj del teléfono" in response.json()["results"][0]["errors"][0]["message"]
        assert LearningEvent.objects.filter(user=enrolled).count() == 1

    def test_without_sent_at_times_are_taken_as_they_come(self, api_client, enrolled, page):
        at = timezone.now() - timedelta(hours=3)
        api_client.post(URL, {"events": [event(page, at=at)]}, format="json")
        assert LearningEvent.objects.get(user=enrolled).client_timestamp == at

    def test_a_bad_sent_at_is_a_whole_request_error(self, api_client, enrolled, page):
        response = api_client.post(
            URL, {"sent_at": "mañana", "events": [event(page)]}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_sent_at"
        assert not LearningEvent.objects.exists()


class TestSharedPhones:
    def test_a_queue_of_someone_else_is_refused_whole(self, api_client, enrolled, make_user, page):
        other = make_user("otra-persona")
        body = {"learner": api.queue_key(user_id=other.pk), "events": [event(page)]}
        response = api_client.post(URL, body, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "other_learner"
        assert not LearningEvent.objects.exists()
        body["learner"] = api.queue_key(user_id=enrolled.pk)
        assert api_client.post(URL, body, format="json").json()["accepted"] == 1

    def test_the_same_event_id_from_two_learners_is_two_events(
        self, api_client, enrolled, make_user, page, course
    ):
        """The rule: an event id belongs to its learner. The second learner's event is
        accepted as theirs; neither answer says anything about the other learner."""
        from lms.enrollment import api as enrollment_api

        other = make_user("otra-educanda")
        enrollment_api.enroll(user=other, course=course)
        shared = event(page, "progressed", duration=30)
        first = api_client.post(URL, {"events": [shared]}, format="json")
        second_client = APIClient()
        second_client.force_authenticate(other)
        second = second_client.post(URL, {"events": [shared]}, format="json")
        assert statuses(first) == statuses(second) == ["accepted"]
        assert LearningEvent.objects.filter(uuid=shared["id"]).count() == 2
        assert LessonProgress.objects.get(user=other, page_id=page.pk).time_spent_seconds == 30
        # Re-sent by the first learner: their own duplicate, still one event each.
        again = api_client.post(URL, {"events": [shared]}, format="json")
        assert statuses(again) == ["duplicate"]
        assert LearningEvent.objects.filter(uuid=shared["id"]).count() == 2


class TestWholeRequest:
    def test_not_json_bad_utf8_and_deep_nesting_are_json_400(self, api_client):
        for body in (
            b"{no es json",
            b'{"events": [\xff\xfe]}',
            "[" * 100_000 + "]" * 100_000,
            '{"events": [{"result": '
            + '{"a": ' * (MAX_DEPTH + 2)
            + "1"
            + "}" * (MAX_DEPTH + 3)
            + "]}",
            b"",
        ):
            response = post_raw(api_client, body)
            assert response.status_code == 400, body[:40]
            assert response["Content-Type"] == "application/json"
            assert response.json()["detail"]

    @pytest.mark.parametrize(
        "body", ["null", "[]", '"eventos"', "5", '{"events": null}', '{"events": "x"}', "{}"]
    )
    def test_json_that_is_not_a_batch_is_400_saying_what_to_send(self, api_client, body):
        response = post_raw(api_client, body)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_batch"
        assert "«events»" in response.json()["detail"]

    def test_a_wrong_batch_leaves_nothing_behind_for_the_next(self, api_client, enrolled, page):
        """Batches are validated by one serializer kept for every request: what it found
        wrong in one batch is not carried into the next."""
        wrong = api_client.post(URL, {"sent_at": "ayer", "events": [event(page)]}, format="json")
        assert wrong.json()["code"] == "invalid_sent_at"
        good = event(page)
        right = api_client.post(URL, {"events": [good, {"id": 1}]}, format="json")
        assert statuses(right) == ["accepted", "rejected"]
        assert LearningEvent.objects.filter(user=enrolled, uuid=good["id"]).exists()

    def test_the_wrong_content_type_is_415_json(self, api_client, page):
        response = post_raw(api_client, json.dumps({"events": [event(page)]}), "text/plain")
        assert response.status_code == 415
        assert response.json()["detail"]

    def test_a_body_over_the_limit_is_413_even_if_its_length_lies(self, api_client, page):
        body = json.dumps({"events": [], "x": "y" * MAX_BODY_BYTES})
        assert post_raw(api_client, body).status_code == 413
        lying = post_raw(api_client, body, CONTENT_LENGTH="12abc")
        assert lying.status_code == 400 and lying.json()["detail"]

    def test_without_credentials_it_is_401_with_www_authenticate(self, db, page):
        response = APIClient().post(URL, {"events": []}, format="json")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")

    def test_the_schema_documents_every_status(self, client):
        schema = json.loads(client.get("/api/v1/schema/?format=json").content)
        responses = schema["paths"]["/api/v1/events/"]["post"]["responses"]
        assert set(responses) >= {"200", "400", "401", "403", "409", "413", "415", "429"}
        request = schema["components"]["schemas"]["Batch"]
        assert {"sent_at", "learner", "events"} <= set(request["properties"])


# Values a phone, an old app version or an attacker may put in a field, item by item.
ODD_VALUES = {
    "id": [
        12,
        True,
        None,
        "١٢٣٤٥٦٧٨-1234-1234-1234-123456789012",
        "x" * 10_000,
        "\ud800",
        {"a": 1},
    ],
    "verb": ["", "passed", "COMPLETED", ["started"], None, "\x00"],
    "object": [
        {"id": "١٢"},
        {"id": "²"},
        {"id": 10**30},
        {"id": 2**31},
        {"id": -1},
        {"id": 1.5},
        {"id": True},
        "14",
        [],
    ],
    "timestamp": [
        "2026-02-30T10:00:00Z",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-11-02T15:00:00",
        "2026-11-02T15:00:00+99:00",
        "２０２６-11-02T15:00:00Z",
        1764000000,
        "",
    ],
    "result": [
        [],
        "x",
        {"duration": "30"},
        {"duration": -1},
        {"duration": 10**40},
        {"duration": True},
        {"note": "\x00"},
        {"note": "\udfff"},
        {"note": "x" * 5000},
        {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}},
    ],
}


class TestOddValues:
    @pytest.mark.parametrize(
        ("field", "value"), [(f, v) for f, values in ODD_VALUES.items() for v in values]
    )
    def test_each_is_an_item_error_and_the_good_items_count(
        self, api_client, enrolled, page, field, value
    ):
        good = [event(page), event(page, "progressed", duration=30)]
        odd = {**event(page), field: value}
        # json.dumps escapes what cannot be sent as UTF-8 (unpaired surrogates) as \uXXXX.
        response = post_raw(api_client, json.dumps({"events": [good[0], odd, good[1]]}))
        assert response.status_code == 200
        assert statuses(response) == ["accepted", "rejected", "accepted"]
        error = response.json()["results"][1]["errors"][0]
        assert error["code"].startswith("invalid_") or error["code"] == "payload_too_large"
        assert error["message"]
        assert set(LearningEvent.objects.filter(user=enrolled).values_list("uuid", flat=True)) == {
            uuid.UUID(g["id"]) for g in good
        }

    def test_non_finite_and_huge_numbers_in_the_body(self, api_client, enrolled, page):
        """NaN, Infinity and numbers of thousands of digits are not strict JSON, but a
        client may send them: they are errors of their item, not of the batch."""
        good = event(page)
        at = good["timestamp"]

        def raw(object_id, result=""):
            result = f', "result": {result}' if result else ""
            return (
                f'{{"id": "{uuid.uuid4()}", "verb": "progressed", "object": {{"id": {object_id}}}'
                f', "timestamp": "{at}"{result}}}'
            )

        items = [
            json.dumps(good),
            raw(page.pk, '{"duration": NaN}'),
            raw("9" * 5000),
            raw(page.pk, '{"duration": 1e400, "x": -Infinity}'),
        ]
        body = '{"events": [' + ", ".join(items) + "]}"
        response = post_raw(api_client, body)
        assert response.status_code == 200
        assert statuses(response) == ["accepted", "rejected", "rejected", "rejected"]
        assert codes(response)[1:] == ["invalid_result", "invalid_object", "invalid_result"]

    def test_an_unprintable_id_is_not_echoed(self, api_client, page):
        body = '{"events": [{"id": "\\ud800", "verb": "started"}]}'
        response = post_raw(api_client, body)
        assert response.status_code == 200
        assert response.json()["results"][0]["id"] is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    field=st.sampled_from(["id", "verb", "object", "timestamp", "result", "sent_at", "learner"]),
    value=json_values,
    nested=st.booleans(),
)
def test_any_json_in_any_field_never_fails_the_server(
    api_client, enrolled, page, field, value, nested
):
    """Whatever JSON goes in a field (of an item, of its object, or of the batch), the
    answer is not a 5xx, and in a batch that is valid as a whole the good items count."""
    good = event(page)
    odd = event(page)
    body: dict = {"events": [good, odd]}
    if field in ("sent_at", "learner"):
        body[field] = value
    elif field == "object" and nested:
        odd["object"] = {"id": value}
    else:
        odd[field] = value
    response = api_client.post(URL, body, format="json")
    assert response.status_code < 500
    if response.status_code == 200:
        first = response.json()["results"][0]
        if field == "sent_at" and first["status"] == "retry":
            return  # a valid but far-off phone clock: the client keeps the event
        assert first["status"] in ("accepted", "duplicate")
        assert LearningEvent.objects.filter(user=enrolled, uuid=good["id"]).exists()
    else:
        assert field in ("sent_at", "learner")
        assert response.status_code in (400, 409)
        assert response.json()["detail"]


def test_a_batch_costs_the_same_queries_whatever_its_size(
    enrolled, course, page, django_assert_num_queries
):
    """Validation, the idempotent insert and the derived rows of every touched lesson and
    course: a fixed number of queries, for 2 events on one lesson or 60 on all of them.
    (SQLite splits an INSERT of more than 999 values, about 90 events, in two.)"""
    from courses import api as courses_api
    from courses.models import LessonPage

    lessons = [
        LessonPage.objects.get(pk=s.page_id)
        for s in courses_api.course_steps(course_ids=[course.pk])[course.pk].steps
        if s.kind == "lesson"
    ]
    small = [event(page), event(page, "progressed", duration=30)]
    large = [event(lessons[i % len(lessons)], "progressed", duration=30) for i in range(60)]
    # PostgreSQL inserts, notes the days and learns which ids were new in one statement,
    # and writes the lesson and course rows in another; SQLite asks first and writes one
    # table at a time. The course's steps come from the cache, read above
    # (tests/courses/test_page_cache.py). Events that come after the ones counted never
    # re-read the log (test_ingestion.py).
    queries = 7 if connection.vendor == "postgresql" else 10
    with django_assert_num_queries(queries):
        api.record_events(user=enrolled, items=small)
    with django_assert_num_queries(queries):
        api.record_events(user=enrolled, items=large)
    assert LessonProgress.objects.filter(user=enrolled).count() == len(lessons)


def test_one_serializer_validates_batches_from_many_threads_as_a_new_one_would():
    """``validate_batch`` shares one ``BatchSerializer`` between requests (and gthread
    workers' threads): each answer is the one a serializer made for that batch gives."""
    from concurrent.futures import ThreadPoolExecutor

    from rest_framework.exceptions import ValidationError

    from lms.progress.serializers import BatchSerializer, validate_batch

    good = {
        "id": "0b0a6f2e-7a38-4c1e-9d54-2f1b6f0e9a11",
        "verb": "progressed",
        "object": {"id": 42},
        "timestamp": "2026-11-28T10:15:00-08:00",
        "result": {"duration": 30},
    }
    batches = [
        {"events": [good]},
        {"events": [good, {**good, "verb": "passed"}, {**good, "object": 7}]},
        {"sent_at": "2026-11-28T10:15:02Z", "learner": "u1", "events": [good] * 3},
        {"sent_at": "mañana", "events": [good]},
        {"learner": "u" * 40, "events": []},
        {"events": [{"id": 5}, "x", None]},
        {"events": "x"},
        {"events": [good] * 501},
        {},
        None,
        [],
    ] * 20

    def shared(batch):
        try:
            data = validate_batch(batch)
        except ValidationError as invalid:
            return ("errors", json.loads(json.dumps(invalid.detail)))
        return ("valid", repr(data))

    def fresh(batch):
        serializer = BatchSerializer(data=batch)
        if serializer.is_valid():
            return ("valid", repr(dict(serializer.validated_data)))
        errors = json.loads(json.dumps(serializer.errors))
        return ("errors", errors)

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(shared, batches))
    expected = [fresh(batch) for batch in batches]
    # A body of null: DRF's own serializer says "No data provided"; the shared one says
    # the field may not be null. Both are errors of the whole batch.
    for index, batch in enumerate(batches):
        if batch is None:
            assert answers[index][0] == expected[index][0] == "errors"
            assert set(answers[index][1]) == set(expected[index][1]) == {"non_field_errors"}
            answers[index] = expected[index]
    assert answers == expected
    assert {kind for kind, _ in answers} == {"valid", "errors"}
