"""Delivery to a real LRS (Ralph, started by the session, see conftest): every statement
arrives once and is accepted as valid xAPI; sending again duplicates nothing; an outage
delays but loses nothing; a learner's request never waits for the LRS."""

import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from rest_framework.test import APIClient

from lms.progress import api as progress_api
from lms.xapi import api
from lms.xapi.delivery import LEASE, LEASE_SECONDS
from lms.xapi.models import Cursor, Source, State, Statement
from tests import helpers
from tests.conftest import lesson


@pytest.fixture
def page(db):
    return lesson("que-es-una-fraccion")


def study(user, page, n):
    for index in range(n):
        progress_api.record_server_event(
            user=user, verb="progressed", page_id=page.pk, result={"duration": 30 + index}
        )


def ids_of(rows=None):
    rows = Statement.objects.all() if rows is None else rows
    return {str(value) for value in rows.values_list("statement_id", flat=True)}


def test_every_statement_arrives_once_and_validates(ralph, enrolled, course, page):
    from lms.certificates import api as certificates_api

    study(enrolled, page, 3)
    enrollment = helpers.complete(enrolled, course)
    certificate = certificates_api.issue_certificate(enrollment_id=enrollment.pk)
    certificates_api.revoke(certificate=certificate, by=None, reason="Se emitió por error.")
    report = api.deliver(max_batches=None)
    ours = ids_of()
    assert len(ours) == Statement.objects.count() >= 8
    assert report.sent == len(ours) and report.rejected == 0
    assert set(Statement.objects.values_list("state", flat=True)) == {State.SENT}
    stored = ralph.stored_ids()
    assert all(stored[statement_id] == 1 for statement_id in ours)
    # What the LRS stored passes Ralph's strict xAPI 1.0.3 model (its POST checks laxly).
    mine = [statement for statement in ralph.stored() if statement["id"] in ours]
    assert len(mine) == len(ours)
    assert ralph.invalid(mine) == []
    # Served back by the LRS as sent (the LRS adds only "stored" and "authority").
    for row in Statement.objects.filter(source__in=[Source.EVENT, Source.CERTIFICATE])[:3]:
        response = ralph.get(str(row.statement_id))
        assert response.status_code == 200, response.text
        served = response.json()
        if "statements" in served:  # Ralph answers a single statement as a list of one
            (served,) = served["statements"]
        for field in ("id", "actor", "verb", "object"):
            assert served[field] == row.payload[field]
    voiding = Statement.objects.get(source=Source.REVOCATION)
    assert stored[str(voiding.statement_id)] == 1


def test_sending_again_duplicates_nothing(ralph, enrolled, page):
    study(enrolled, page, 4)
    api.deliver()
    assert Statement.objects.filter(state=State.SENT).count() == 4
    # Everything sent again, as after a crash between the LRS's answer and our commit.
    Statement.objects.update(state=State.PENDING, sent_at=None)
    report = api.send_pending()
    assert report.sent == 4 and report.rejected == 0
    stored = ralph.stored_ids()
    assert [stored[statement_id] for statement_id in ids_of()] == [1, 1, 1, 1]


def test_batches_of_the_configured_size(ralph, enrolled, page, settings):
    settings.XAPI_BATCH_SIZE = 2
    study(enrolled, page, 5)
    report = api.deliver()
    assert (report.sent, report.requests) == (5, 3)


def test_an_outage_delays_but_loses_nothing(ralph, enrolled, page):
    study(enrolled, page, 3)
    ralph.stop()
    with pytest.raises(api.LRSUnavailable):
        api.deliver()
    assert Statement.objects.filter(state=State.PENDING).count() == 3
    assert Statement.objects.filter(tries=1).exclude(last_error="").count() == 3
    study(enrolled, page, 2)  # learning goes on during the outage
    with pytest.raises(api.LRSUnavailable):
        api.deliver()
    assert api.pending_count() == 5
    ralph.start()
    report = api.deliver()
    assert report.sent == 5
    stored = ralph.stored_ids()
    assert all(stored[statement_id] == 1 for statement_id in ids_of())


def test_an_lrs_that_refuses_the_credentials_keeps_everything_pending(
    ralph, enrolled, page, settings
):
    settings.XAPI_LRS_PASSWORD = "otra"
    study(enrolled, page, 2)
    with pytest.raises(api.LRSUnavailable, match="401"):
        api.deliver()
    assert api.pending_count() == 2
    assert not set(ids_of()) & set(ralph.stored_ids())


def test_nothing_listening_keeps_everything_pending(nothing_listening, enrolled, page):
    study(enrolled, page, 2)
    with pytest.raises(api.LRSUnavailable):
        api.deliver()
    assert api.pending_count() == 2


def test_one_statement_the_lrs_refuses_holds_back_no_other(ralph, enrolled, page):
    study(enrolled, page, 3)
    api.collect()
    bad = Statement.objects.order_by("id")[1]
    bad.payload = {**bad.payload, "actor": {"objectType": "Agent"}}  # no identifier
    bad.save()
    report = api.send_pending()
    assert (report.sent, report.rejected) == (2, 1)
    bad.refresh_from_db()
    assert bad.state == State.REJECTED
    assert bad.last_error.startswith(("400", "422"))
    stored = ralph.stored_ids()
    assert stored[str(bad.statement_id)] == 0
    assert all(stored[i] == 1 for i in ids_of(Statement.objects.exclude(pk=bad.pk)))
    assert api.send_pending().sent == 0  # not tried again by itself


def test_a_differing_statement_with_a_sent_id_is_rejected_not_resent_forever(ralph, enrolled, page):
    study(enrolled, page, 2)
    api.deliver()
    first = Statement.objects.order_by("id").first()
    Statement.objects.filter(pk=first.pk).update(
        state=State.PENDING,
        payload={**first.payload, "timestamp": "2020-01-01T00:00:00+00:00"},
    )
    report = api.send_pending()
    assert report.rejected == 1
    first.refresh_from_db()
    assert first.state == State.REJECTED and first.last_error.startswith("409")
    assert ralph.stored_ids()[str(first.statement_id)] == 1


def test_one_send_loop_at_a_time(ralph, enrolled, page):
    study(enrolled, page, 1)
    api.collect()
    Cursor.objects.update_or_create(
        name=LEASE, defaults={"locked_until": timezone.now() + timedelta(seconds=60)}
    )
    assert api.send_pending().busy
    assert api.pending_count() == 1
    # A lease left by a crashed loop runs out.
    Cursor.objects.filter(name=LEASE).update(
        locked_until=timezone.now() - timedelta(seconds=LEASE_SECONDS)
    )
    assert api.send_pending().sent == 1


def test_a_learner_request_never_calls_the_lrs(nothing_listening, enrolled, page, monkeypatch):
    calls = []
    original = requests.Session.request

    def spy(self, method, url, *args, **kwargs):
        calls.append(url)
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    client = APIClient()
    client.force_authenticate(enrolled)
    event = {
        "id": str(uuid.uuid4()),
        "verb": "completed",
        "object": {"id": page.pk},
        "timestamp": (timezone.now() - timedelta(minutes=1)).isoformat(),
        "result": {},
    }
    response = client.post("/api/v1/events/", {"events": [event]}, format="json")
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "accepted"
    assert calls == []
    assert not Statement.objects.exists()  # made later, by the task
    with pytest.raises(api.LRSUnavailable):
        api.deliver()
    assert calls and api.pending_count() == 1


def test_the_task_retries_an_outage_then_leaves_it_to_the_next_run(
    nothing_listening, enrolled, page
):
    from celery.exceptions import Retry

    from lms.xapi import tasks

    study(enrolled, page, 1)
    with pytest.raises(Retry):
        tasks.deliver.apply(retries=0)
    last = tasks.deliver.apply(retries=tasks.deliver.max_retries)
    assert last.successful() and "unavailable" in last.result
    assert api.pending_count() == 1
