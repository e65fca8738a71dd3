"""Filling the outbox: every record gets its statement once, whatever order rows commit
in; nothing while no LRS is configured; a learner's account takes theirs along."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lms.accounts import api as accounts_api
from lms.certificates import api as certificates_api
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api
from lms.progress.models import LearningEvent
from lms.xapi import api
from lms.xapi.collect import GRACE
from lms.xapi.models import Cursor, Source, Statement
from tests import helpers
from tests.conftest import lesson


@pytest.fixture(autouse=True)
def _lrs_configured(settings):
    settings.XAPI_LRS_URL = "http://127.0.0.1:9"


@pytest.fixture
def page(db):
    return lesson("que-es-una-fraccion")


def complete(user, page, n=1):
    for _ in range(n):
        progress_api.record_server_event(user=user, verb="progressed", page_id=page.pk)


def cursor(name="events"):
    return Cursor.objects.get(name=name).position


def test_nothing_is_collected_while_no_lrs_is_configured(settings, enrolled, page):
    settings.XAPI_LRS_URL = ""
    complete(enrolled, page)
    assert api.deliver().as_dict() == {"sent": 0, "rejected": 0, "requests": 0, "busy": False}
    assert not Statement.objects.exists()


def test_the_cursor_stays_before_rows_younger_than_the_grace(enrolled, page):
    complete(enrolled, page, 3)
    ids = list(LearningEvent.objects.order_by("id").values_list("id", flat=True))
    now = timezone.now()
    assert api.collect(now=now) == 3
    assert cursor() == 0  # every row is young: read again next time, made once
    LearningEvent.objects.filter(id=ids[0]).update(received_at=now - GRACE - timedelta(1))
    assert api.collect(now=now) == 0
    assert cursor() == ids[0]
    assert api.collect(now=now + GRACE + timedelta(seconds=1)) == 0
    assert cursor() == ids[-1]
    assert Statement.objects.filter(source=Source.EVENT).count() == 3


def test_a_row_committed_late_behind_the_cursor_is_found_by_the_reconciliation(enrolled, page):
    """Ids are handed out at insert, not at commit: simulate a transaction that took one
    id, committed after a later one had moved the cursor past it."""
    complete(enrolled, page, 3)
    late = LearningEvent.objects.order_by("id")[1]
    LearningEvent.objects.filter(pk=late.pk).delete()
    api.collect(now=timezone.now() + GRACE * 2)
    assert cursor() > late.pk
    late.save(force_insert=True)  # the late commit, with its lower id
    assert api.collect(now=timezone.now() + GRACE * 2) == 0  # behind the cursor
    assert api.reconcile() == 1
    assert Statement.objects.filter(source=Source.EVENT, source_id=late.pk).exists()


def test_completions_certificates_and_revocations(enrolled, course):
    enrollment = helpers.complete(enrolled, course)
    certificate = certificates_api.issue_certificate(enrollment_id=enrollment.pk)
    api.collect()
    assert Statement.objects.filter(source=Source.COMPLETION, source_id=enrollment.pk).exists()
    earned = Statement.objects.get(source=Source.CERTIFICATE, source_id=certificate.pk)
    assert not Statement.objects.filter(source=Source.REVOCATION).exists()
    certificates_api.revoke(certificate=certificate, by=None, reason="Se emitió por error.")
    assert api.collect() == 1
    voiding = Statement.objects.get(source=Source.REVOCATION, source_id=certificate.pk)
    assert voiding.payload["object"]["id"] == str(earned.statement_id)
    assert voiding.id > earned.id  # sent after the statement it voids


def test_attempts_are_collected(enrolled, course, client):
    from courses.read_models import AssessmentPage

    helpers.complete_required_lessons(enrolled, course)
    assessment = AssessmentPage.objects.live().descendant_of(course).first()
    client.force_login(enrolled)
    response = helpers.post_answers(client, assessment, helpers.right_answers(assessment))
    assert response.status_code in (200, 302)
    api.collect()
    statement = Statement.objects.get(source=Source.ATTEMPT)
    assert statement.payload["verb"]["id"] == "http://adlnet.gov/expapi/verbs/scored"
    assert statement.payload["result"]["success"] is True


def test_deleting_the_account_takes_the_unsent_statements_along(make_user, course, page):
    learner = make_user("se-va", accounts_api.roles.EDUCANDO)
    enrollment_api.enroll(user=learner, course=course)
    complete(learner, page, 2)
    api.collect()
    assert Statement.objects.filter(user=learner).count() == 2
    accounts_api.delete_account(user=learner)
    assert not Statement.objects.exists()


def test_collecting_reads_a_batch_in_a_fixed_number_of_queries(enrolled, page, make_user, course):
    def queries(n_learners):
        Statement.objects.all().delete()
        Cursor.objects.all().delete()
        for index in range(n_learners):
            learner = make_user(f"lote-{n_learners}-{index}")
            enrollment_api.enroll(user=learner, course=course)
            complete(learner, page, 2)
        with CaptureQueriesContext(connection) as captured:
            api.collect()
        return len(captured)

    assert queries(2) == queries(20)
