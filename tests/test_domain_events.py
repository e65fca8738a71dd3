"""Domain events where apps meet: each is sent once, after its transaction commits, with
the documented arguments, and never for work that is rolled back or merely rebuilt."""

import logging
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from courses import api as courses_api
from lms.assessments import api as assessments_api
from lms.certificates import api as certificates_api
from lms.certificates import issuing
from lms.certificates.models import Certificate
from lms.certificates.tasks import issue_certificate_task, sweep_missing_certificates
from lms.progress import api as progress_api
from tests.helpers import certificate_receiver_muted, complete, complete_required_lessons

pytestmark = pytest.mark.django_db


@contextmanager
def listening(signal):
    """The keyword arguments of every send of ``signal`` while inside."""
    received = []

    def receiver(sender, **kwargs):
        kwargs.pop("signal")
        received.append(kwargs)

    signal.connect(receiver, weak=False, dispatch_uid="tests.listening")
    try:
        yield received
    finally:
        signal.disconnect(dispatch_uid="tests.listening")


def _first_lesson(course):
    steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
    return next(step for step in steps.steps if step.kind == "lesson")


class TestLessonCompleted:
    def test_sent_once_after_commit(self, enrolled, course, django_capture_on_commit_callbacks):
        step = _first_lesson(course)
        with listening(progress_api.lesson_completed) as received:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                progress_api.record_server_event(
                    user=enrolled, verb="completed", page_id=step.page_id
                )
            assert received == []  # nothing before the commit
            for callback in callbacks:
                callback()
        assert len(received) == 1
        event = received[0]
        assert (event["user_id"], event["page_id"], event["course_id"]) == (
            enrolled.pk,
            step.page_id,
            course.pk,
        )
        assert event["completed_at"] is not None

    def test_late_duplicates_and_earlier_completions_announce_nothing_more(
        self, enrolled, course, django_capture_on_commit_callbacks
    ):
        step = _first_lesson(course)
        with listening(progress_api.lesson_completed) as received:
            with django_capture_on_commit_callbacks(execute=True):
                progress_api.record_server_event(
                    user=enrolled, verb="completed", page_id=step.page_id
                )
            with django_capture_on_commit_callbacks(execute=True):
                # Completed again, and an earlier completion arriving late from a phone.
                progress_api.record_server_event(
                    user=enrolled, verb="completed", page_id=step.page_id
                )
                progress_api.record_server_event(
                    user=enrolled,
                    verb="completed",
                    page_id=step.page_id,
                    when=timezone.now() - timedelta(days=2),
                )
            with django_capture_on_commit_callbacks(execute=True):
                progress_api.rebuild_progress(user_id=enrolled.pk)
        assert len(received) == 1

    def test_a_rolled_back_completion_is_never_announced(self, enrolled, course):
        step = _first_lesson(course)
        with (
            listening(progress_api.lesson_completed) as received,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            progress_api.record_server_event(user=enrolled, verb="completed", page_id=step.page_id)
            raise RuntimeError
        assert received == []


class TestAttemptGraded:
    def test_sent_after_commit_with_the_grade(
        self, enrolled, course, django_capture_on_commit_callbacks
    ):
        final = course.final_assessment.specific
        complete_required_lessons(enrolled, course)
        with (
            listening(assessments_api.attempt_graded) as received,
            django_capture_on_commit_callbacks(execute=True),
        ):
            attempt = assessments_api.submit_attempt(user=enrolled, assessment=final, answers={})
        assert len(received) == 1
        event = received[0]
        assert event["attempt_id"] == attempt.pk
        assert event["attempt_uuid"] == str(attempt.uuid)
        assert (event["user_id"], event["assessment_id"], event["course_id"]) == (
            enrolled.pk,
            final.pk,
            course.pk,
        )
        assert event["score"] == attempt.score == 0
        assert event["passed"] is False and event["number"] == 1


# --- certificate_issued and certificate_revoked -------------------------------------------


@contextmanager
def listening_to_both():
    """(event name, keyword arguments) of every send of certificate_issued and
    certificate_revoked while inside, in the order they were sent."""
    received = []
    signals = {
        "issued": certificates_api.certificate_issued,
        "revoked": certificates_api.certificate_revoked,
    }
    for name, signal in signals.items():

        def receiver(sender, signal, name=name, **kwargs):
            received.append((name, kwargs))

        signal.connect(receiver, weak=False, dispatch_uid="tests.listening_to_both")
    try:
        yield received
    finally:
        for signal in signals.values():
            signal.disconnect(dispatch_uid="tests.listening_to_both")


@pytest.fixture
def completed(enrolled, course):
    """The enrollment of an educanda who completed the course, whose certificate is not
    issued yet (as if the message had been lost)."""
    with certificate_receiver_muted():
        return complete(enrolled, course)


@pytest.fixture
def issued(completed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return certificates_api.issue_certificate(enrollment_id=completed.pk)


def _issued_payload(certificate, *, replaces_id=None) -> dict:
    return {
        "certificate_id": certificate.pk,
        "certificate_uuid": str(certificate.uuid),
        "folio": certificate.folio,
        "user_id": certificate.user_id,
        "enrollment_id": certificate.enrollment_id,
        "course_id": certificate.course_id,
        "issued_at": certificate.issued_at,
        "replaces_id": replaces_id,
    }


class TestCertificateIssued:
    def test_sent_once_after_commit_with_the_certificate(
        self, completed, enrolled, course, django_capture_on_commit_callbacks
    ):
        with listening(certificates_api.certificate_issued) as received:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                certificate = certificates_api.issue_certificate(enrollment_id=completed.pk)
            assert received == []  # nothing before the commit
            for callback in callbacks:
                callback()
        assert received == [_issued_payload(certificate)]
        assert (received[0]["user_id"], received[0]["course_id"]) == (enrolled.pk, course.pk)
        assert received[0]["enrollment_id"] == completed.pk

    def test_completing_a_course_announces_its_certificate_once(
        self, enrolled, course, django_capture_on_commit_callbacks
    ):
        """The whole chain: course_completed queues the (eager) task, which issues; a
        duplicate message, the sweep and a direct call issue nothing more."""
        with listening(certificates_api.certificate_issued) as received:
            with django_capture_on_commit_callbacks(execute=True):
                enrollment = complete(enrolled, course)
            with django_capture_on_commit_callbacks(execute=True):
                issue_certificate_task.delay(enrollment.pk)
                assert sweep_missing_certificates() == 0
                certificates_api.issue_certificate(enrollment_id=enrollment.pk)
        certificate = Certificate.objects.get(enrollment=enrollment)
        assert received == [_issued_payload(certificate)]

    def test_an_idempotent_repeat_announces_nothing(
        self, completed, django_capture_on_commit_callbacks
    ):
        with listening(certificates_api.certificate_issued) as received:
            with django_capture_on_commit_callbacks(execute=True):
                first = certificates_api.issue_certificate(enrollment_id=completed.pk)
            with django_capture_on_commit_callbacks(execute=True):
                assert certificates_api.issue_certificate(enrollment_id=completed.pk) == first
                assert issue_certificate_task.run(completed.pk) == first.folio
        assert len(received) == 1

    def test_the_loser_of_a_race_announces_nothing(
        self, issued, monkeypatch, django_capture_on_commit_callbacks
    ):
        """Two issues at once: the second one to insert hits the unique constraint and
        returns the winner's certificate, unannounced (the winner announced it)."""
        real_valid_for = issuing._valid_for
        looks = []

        def current_for(enrollment_id):
            looks.append("first")
            return None  # The loser's first look came before the winner inserted.

        def valid_for(enrollment_id):
            looks.append("after the insert failed")
            return real_valid_for(enrollment_id)

        monkeypatch.setattr(issuing, "_current_for", current_for)
        monkeypatch.setattr(issuing, "_valid_for", valid_for)
        with (
            listening(certificates_api.certificate_issued) as received,
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert certificates_api.issue_certificate(enrollment_id=issued.enrollment_id) == issued
        assert looks == ["first", "after the insert failed"]  # it did try to insert
        assert received == []
        assert Certificate.objects.count() == 1

    def test_a_rolled_back_issue_is_never_announced(self, completed):
        with (
            listening(certificates_api.certificate_issued) as received,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            certificates_api.issue_certificate(enrollment_id=completed.pk)
            raise RuntimeError
        assert received == []
        assert not Certificate.objects.exists()

    def test_a_failing_receiver_never_breaks_issuing(
        self, completed, enrolled, caplog, django_capture_on_commit_callbacks
    ):
        enrolled.email = "maria@example.org"
        enrolled.save()

        def broken(sender, **kwargs):
            raise RuntimeError("a listener's bug")

        certificates_api.certificate_issued.connect(broken, weak=False, dispatch_uid="broken")
        try:
            with (
                listening(certificates_api.certificate_issued) as received,
                caplog.at_level(logging.ERROR, logger="django.dispatch"),
                django_capture_on_commit_callbacks(execute=True),
            ):
                certificate = certificates_api.issue_certificate(enrollment_id=completed.pk)
        finally:
            certificates_api.certificate_issued.disconnect(dispatch_uid="broken")
        assert Certificate.objects.get() == certificate
        assert len(received) == 1  # the other receivers still hear of it
        assert len(mail.outbox) == 1  # and the learner still gets the email
        assert "a listener's bug" in caplog.text  # logged, not raised


class TestCertificateRevoked:
    def test_sent_once_after_commit_with_the_reason(
        self, issued, coordinador, django_capture_on_commit_callbacks
    ):
        stale = Certificate.objects.get(pk=issued.pk)
        with listening(certificates_api.certificate_revoked) as received:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                certificates_api.revoke(certificate=issued, by=coordinador, reason=" Duplicada ")
            assert received == []  # nothing before the commit
            for callback in callbacks:
                callback()
            # Revoking again, with the same object or a copy read before, is refused.
            for again in (issued, stale):
                with (
                    django_capture_on_commit_callbacks(execute=True),
                    pytest.raises(certificates_api.CertificateError) as error,
                ):
                    certificates_api.revoke(certificate=again, by=coordinador, reason="Otra vez")
                assert error.value.code == "already_revoked"
        issued.refresh_from_db()
        assert received == [
            {
                "certificate_id": issued.pk,
                "certificate_uuid": str(issued.uuid),
                "folio": issued.folio,
                "user_id": issued.user_id,
                "enrollment_id": issued.enrollment_id,
                "course_id": issued.course_id,
                "revoked_at": issued.revoked_at,
                "reason": "Duplicada",
                "revoked_by_id": coordinador.pk,
                "replaced_by_id": None,
            }
        ]
        assert issued.revoked_reason == "Duplicada" and issued.revoked_by == coordinador

    def test_a_rolled_back_revocation_is_never_announced(self, issued, coordinador):
        with (
            listening(certificates_api.certificate_revoked) as received,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            certificates_api.revoke(certificate=issued, by=coordinador, reason="Duplicada")
            raise RuntimeError
        assert received == []
        issued.refresh_from_db()
        assert issued.revoked_at is None

    def test_reissue_announces_the_revocation_then_the_new_certificate(
        self, issued, coordinador, django_capture_on_commit_callbacks
    ):
        """A listener keeping one valid certificate per enrollment sees the old one go,
        then the new one come, each pointing to the other."""
        with (
            listening_to_both() as received,
            django_capture_on_commit_callbacks(execute=True),
        ):
            new = certificates_api.reissue(
                certificate=issued,
                by=coordinador,
                learner_name="María de la Peña Núñez",
                reason="Nombre corregido",
            )
        assert [name for name, _ in received] == ["revoked", "issued"]
        revoked, new_issued = received[0][1], received[1][1]
        assert (revoked["certificate_id"], revoked["replaced_by_id"]) == (issued.pk, new.pk)
        assert (revoked["reason"], revoked["revoked_by_id"]) == ("Nombre corregido", coordinador.pk)
        assert new_issued == _issued_payload(new, replaces_id=issued.pk)

    def test_a_failed_reissue_announces_nothing(self, issued, coordinador):
        with (
            listening_to_both() as received,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            certificates_api.reissue(
                certificate=issued, by=coordinador, learner_name="Otra", reason="Nombre"
            )
            raise RuntimeError
        assert received == []
