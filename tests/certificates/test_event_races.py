"""certificate_issued and certificate_revoked under concurrency: duplicate messages and
two workers issuing at once, two coordinators revoking at once. Each is announced once.

These run in the PostgreSQL pass, with committed data (``committed``): the threads have
connections of their own. The other cases (payload, rollback, repeats, re-issue) are in
tests/test_domain_events.py.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from courses.models import CoursePage
from lms.certificates import api
from lms.certificates.models import Certificate
from lms.enrollment import api as enrollment_api
from tests.conftest import in_threads
from tests.helpers import certificate_receiver_muted, complete

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent transactions need PostgreSQL; SQLite serialises writers anyway",
)


def _listen(signal, received: list) -> None:
    signal.connect(
        lambda sender, **kwargs: received.append(kwargs),
        weak=False,
        dispatch_uid="tests.event_races",
    )


@pytest.fixture
def completed(committed):
    """A committed enrollment in "Fracciones y porcentajes", completed, no certificate."""
    course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
    user = get_user_model().objects.create_user(username=f"carrera-{timezone.now():%H%M%S%f}")
    committed.append(user)
    enrollment_api.enroll(user=user, course=course)
    with certificate_receiver_muted():
        enrollment = complete(user, course)
    assert enrollment.completed_at is not None
    yield enrollment
    Certificate.objects.filter(enrollment_id=enrollment.pk).delete()


@pytest.fixture
def received():
    """The keyword arguments of every send of both events, from any thread."""
    events = {"issued": [], "revoked": []}
    _listen(api.certificate_issued, events["issued"])
    _listen(api.certificate_revoked, events["revoked"])
    yield events
    api.certificate_issued.disconnect(dispatch_uid="tests.event_races")
    api.certificate_revoked.disconnect(dispatch_uid="tests.event_races")


def test_issuing_at_once_announces_one_certificate(completed, received):
    returned = []
    in_threads(
        lambda _: returned.append(api.issue_certificate(enrollment_id=completed.pk)), range(4)
    )
    certificate = Certificate.objects.get(enrollment_id=completed.pk)
    assert returned == [certificate] * 4  # the losers return the winner's
    assert [event["certificate_id"] for event in received["issued"]] == [certificate.pk]
    assert received["revoked"] == []


def test_revoking_at_once_announces_one_revocation(completed, received):
    certificate = api.issue_certificate(enrollment_id=completed.pk)
    # Two coordinators opened the learner's page before either revoked it.
    copies = [Certificate.objects.get(pk=certificate.pk) for _ in range(2)]
    outcomes = []

    def revoke(copy):
        try:
            api.revoke(certificate=copy, by=None, reason="Duplicada")
            outcomes.append("revoked")
        except api.CertificateError as error:
            outcomes.append(error.code)

    in_threads(revoke, copies)
    assert sorted(outcomes) == ["already_revoked", "revoked"]
    assert [event["certificate_id"] for event in received["revoked"]] == [certificate.pk]
    assert Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=False).exists()
