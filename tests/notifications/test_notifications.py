"""The weekly coordinator digest, learner reminders and the one-click opt-out.

Times are explicit: the functions take ``now`` (the tasks pass ``timezone.now()``) and the
tests move enrollments, progress, certificates and sent notifications into the past.
"""

import re
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail, signing
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from courses import api as courses_api
from lms.accounts import roles
from lms.certificates.models import Certificate
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment, Grupo, Sede
from lms.notifications import delivery, digest, reminders
from lms.notifications import tasks as notification_tasks
from lms.notifications.models import Notification, NotificationKind
from lms.progress.models import CourseProgress

PUBLIC = "https://aula.example.org"
DIGEST, REMINDER = NotificationKind.DIGEST, NotificationKind.REMINDER


def days_ago(now, days):
    return now - timedelta(days=days)


def enrollment_of(user, course):
    return Enrollment.objects.get(user=user, course_id=course.pk)


def set_enrolled(user, course, when):
    Enrollment.objects.filter(user=user, course_id=course.pk).update(enrolled_at=when)


def set_last_activity(user, course, when):
    assert CourseProgress.objects.filter(user=user, course_id=course.pk).update(
        last_activity_at=when
    )


def certify(enrollment, issued_at, folio):
    return Certificate.objects.create(
        folio=folio,
        enrollment=enrollment,
        user=enrollment.user,
        learner_name=enrollment.user.username,
        course_title="Curso",
        course_id=enrollment.course_id,
        hours=10,
        completed_on=issued_at.date(),
        issuer_name="Aula",
        issued_at=issued_at,
        pdf=f"constancias/{folio}.pdf",
        credential={},
    )


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def html_of(message):
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


@pytest.fixture
def other_course(db):
    return courses_api.CoursePage.objects.get(slug="nuestros-documentos")


# --- Weekly digest -------------------------------------------------------------------------


@pytest.fixture
def digest_world(sedes, make_learner, course):
    """Plaza norte and Plaza sur with learners in every situation the digest counts.
    ``now`` is a minute from now, so what the fixtures just did counts as this week."""
    now = timezone.now() + timedelta(minutes=1)
    norte, coordinator_norte, grupo_norte = sedes["norte"]
    sur, coordinator_sur, grupo_sur = sedes["sur"]
    coordinator_norte.email, coordinator_norte.first_name = "norte@example.org", "Lupe"
    coordinator_norte.save()
    coordinator_sur.email = "sur@example.org"
    coordinator_sur.save()

    make_learner("n-nueva", grupo_norte, course, lessons_done=1)  # new, studying
    at_risk = make_learner("n-en-riesgo", grupo_norte, course)  # never started, long ago
    set_enrolled(at_risk, course, days_ago(now, 30))
    done = make_learner("n-concluyo", grupo_norte, course)  # completed and certified this week
    set_enrolled(done, course, days_ago(now, 40))
    Enrollment.objects.filter(user=done).update(completed_at=days_ago(now, 2))
    certify(enrollment_of(done, course), days_ago(now, 2), "N-0001")
    old = make_learner("n-antes", grupo_norte, course)  # completed and certified weeks ago
    set_enrolled(old, course, days_ago(now, 40))
    Enrollment.objects.filter(user=old).update(completed_at=days_ago(now, 10))
    certify(enrollment_of(old, course), days_ago(now, 10), "N-0002")
    gone = make_learner("n-baja", grupo_norte, course)  # withdrew: counts nowhere
    enrollment_api.withdraw(user=gone, course=course)

    make_learner("s-nueva", grupo_sur, course, lessons_done=1)
    s_risk = make_learner("s-en-riesgo", grupo_sur, course)
    set_enrolled(s_risk, course, days_ago(now, 30))
    s_risk2 = make_learner("s-en-riesgo-2", grupo_sur, course)
    set_enrolled(s_risk2, course, days_ago(now, 30))
    return {
        "now": now,
        "norte": (norte, coordinator_norte),
        "sur": (sur, coordinator_sur),
    }


class TestDigestContent:
    def test_each_coordinator_gets_the_figures_of_their_own_sedes(self, digest_world):
        now = digest_world["now"]
        norte, coordinator_norte = digest_world["norte"]
        sur, coordinator_sur = digest_world["sur"]
        digests = {d.user.pk: d for d in digest.weekly_digests(now=now)}
        assert set(digests) == {coordinator_norte.pk, coordinator_sur.pk}
        [row] = digests[coordinator_norte.pk].sedes
        assert row.sede == norte
        assert (
            row.new_enrollments,
            row.completions,
            row.certificates,
            row.at_risk,
            row.learners,
        ) == (1, 1, 1, 1, 4)
        [row] = digests[coordinator_sur.pk].sedes
        assert row.sede == sur
        assert (row.new_enrollments, row.completions, row.certificates, row.at_risk) == (1, 0, 0, 2)
        assert row.learners == 3

    def test_the_email_shows_their_sede_and_no_other(self, digest_world):
        now = digest_world["now"]
        summary = digest.send_weekly_digests(now=now)
        assert summary.as_dict() == {"sent": 2, "skipped": 0, "failed": 0}
        [message] = sent_to("norte@example.org")
        assert message.subject == "Aula: resumen de la semana"
        body = message.body
        assert body.startswith("Hola, Lupe:")
        assert "Plaza norte" in body and "Plaza sur" not in body
        for line in (
            "- Inscripciones nuevas: 1",
            "- Cursos concluidos: 1",
            "- Constancias emitidas: 1",
            "- Educandos en riesgo ahora: 1",
            "- Educandos inscritos en total: 4",
        ):
            assert line in body
        assert f"{PUBLIC}/coordinacion/" in body
        html = html_of(message)
        assert "Plaza norte" in html and "Plaza sur" not in html
        assert f'href="{PUBLIC}/coordinacion/"' in html
        # No images, tracking or third-party requests: the only link is Aula's.
        assert "<img" not in html and "src=" not in html
        assert set(re.findall(r'href="([^"]+)"', html)) == {f"{PUBLIC}/coordinacion/"}
        [sur_message] = sent_to("sur@example.org")
        assert "Plaza sur" in sur_message.body and "Plaza norte" not in sur_message.body
        assert "- Educandos en riesgo ahora: 2" in sur_message.body
        assert sur_message.body.startswith("Hola:")  # no first name: no username either

    def test_a_coordinator_of_two_sedes_gets_both_in_one_email(self, digest_world, make_user):
        now = digest_world["now"]
        norte, _ = digest_world["norte"]
        sur, _ = digest_world["sur"]
        both = make_user("coordina-ambas", roles.COORDINADOR, email="ambas@example.org")
        norte.coordinators.add(both)
        sur.coordinators.add(both)
        digest.send_weekly_digests(now=now)
        [message] = sent_to("ambas@example.org")
        assert "Plaza norte" in message.body and "Plaza sur" in message.body
        assert len(mail.outbox) == 3

    def test_only_active_sedes(self, digest_world):
        now = digest_world["now"]
        _, coordinator_norte = digest_world["norte"]
        sur, _ = digest_world["sur"]
        sur.coordinators.add(coordinator_norte)
        sur.active = False
        sur.save()
        digest.send_weekly_digests(now=now)
        [message] = sent_to("norte@example.org")
        assert "Plaza sur" not in message.body
        assert sent_to("sur@example.org") == []  # their only sede is closed

    def test_in_spanish_whatever_language_is_active(self, digest_world):
        with translation.override("en"):
            digest.send_weekly_digests(now=digest_world["now"])
        [message] = sent_to("norte@example.org")
        assert message.subject == "Aula: resumen de la semana"
        assert "Inscripciones nuevas" in message.body

    @override_settings(AULA_PUBLIC_URL="")
    def test_the_link_falls_back_to_the_admin_base_url(self, digest_world):
        digest.send_weekly_digests(now=digest_world["now"])
        [message] = sent_to("norte@example.org")
        assert "http://testserver/coordinacion/" in message.body


class TestDigestRecipients:
    def test_coordinators_without_email_sede_or_active_account_get_none(
        self, sedes, make_user, course
    ):
        now = timezone.now()
        norte, without_email, _ = sedes["norte"]  # the fixture's coordinators have no email
        _, inactive, _ = sedes["sur"]
        inactive.email = "inactiva@example.org"
        inactive.is_active = False
        inactive.save()
        make_user("sin-sede", roles.COORDINADOR, email="sinsede@example.org")
        closed = Sede.objects.create(
            key="cerrada", name="Sede cerrada", kind=enrollment_api.SedeKind.CONSULADO, active=False
        )
        closed.coordinators.add(make_user("de-cerrada", roles.COORDINADOR, email="c@example.org"))
        asesor = make_user("asesora", roles.ASESOR, email="asesora@example.org")
        Grupo.objects.filter(sede=norte).get().asesores.add(asesor)
        make_user("jefa", roles.ADMINISTRADOR, email="jefa@example.org", is_superuser=True)
        assert digest.weekly_digests(now=now) == []
        assert digest.send_weekly_digests(now=now).sent == 0
        assert mail.outbox == []
        assert not Notification.objects.exists()
        assert without_email.email == ""

    def test_one_digest_per_coordinator_per_iso_week(self, digest_world):
        now = digest_world["now"]
        _, coordinator_norte = digest_world["norte"]
        digest.send_weekly_digests(now=now)
        assert len(mail.outbox) == 2
        again = digest.send_weekly_digests(now=now + timedelta(hours=3))
        assert again.sent == 0
        assert len(mail.outbox) == 2
        row = Notification.objects.get(user=coordinator_norte)
        assert (row.kind, row.period, row.sent_at) == (DIGEST, delivery.iso_period(now), now)
        # The next week they get the next one.
        digest.send_weekly_digests(now=now + timedelta(days=7))
        assert len(mail.outbox) == 4
        assert Notification.objects.filter(user=coordinator_norte, kind=DIGEST).count() == 2

    def test_a_claimed_digest_is_not_sent_twice_even_if_selected(self, digest_world):
        """Another worker wrote the row between our selection and our send."""
        now = digest_world["now"]
        _, coordinator_norte = digest_world["norte"]
        digests = digest.weekly_digests(now=now)
        Notification.objects.create(
            user=coordinator_norte,
            kind=DIGEST,
            period=delivery.iso_period(now),
            sent_at=now,
        )
        summary = delivery.deliver(
            [(d.user, lambda d=d: digest._digest_message(d, now=now)) for d in digests],
            kind=DIGEST,
            now=now,
        )
        assert (summary.sent, summary.skipped) == (1, 1)
        assert sent_to("norte@example.org") == []

    def test_the_iso_week_is_the_local_one(self):
        # Monday 2026-11-23 07:30 UTC is still Sunday night in Los Angeles (week 47).
        monday_utc = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
        assert delivery.iso_period(monday_utc) == "2026-W47"
        assert delivery.iso_period(monday_utc + timedelta(hours=9)) == "2026-W48"


class TestDigestQueries:
    def _world(self, make_user, make_learner, course, n, start):
        for i in range(start, start + n):
            sede = Sede.objects.create(
                key=f"sede-{i}", name=f"Sede {i}", kind=enrollment_api.SedeKind.PLAZA
            )
            sede.coordinators.add(
                make_user(f"coordina-{i}", roles.COORDINADOR, email=f"c{i}@example.org")
            )
            grupo = Grupo.objects.create(sede=sede, name="Grupo")
            make_learner(f"a-{i}", grupo, course, lessons_done=1)
            late = make_learner(f"b-{i}", grupo, course)
            set_enrolled(late, course, timezone.now() - timedelta(days=30))

    def test_constant_number_of_queries_for_all_coordinators(self, make_user, make_learner, course):
        now = timezone.now() + timedelta(minutes=1)
        self._world(make_user, make_learner, course, 1, 0)
        with CaptureQueriesContext(connection) as one:
            digests = digest.weekly_digests(now=now)
        assert len(digests) == 1
        self._world(make_user, make_learner, course, 2, 1)
        with CaptureQueriesContext(connection) as three:
            digests = digest.weekly_digests(now=now)
        assert len(digests) == 3
        assert all(d.sedes[0].at_risk == 1 and d.sedes[0].learners == 2 for d in digests)
        assert len(one.captured_queries) == len(three.captured_queries) == 4


# --- Sending failures ---------------------------------------------------------------------


class FailingBackend(EmailBackend):
    """The locmem backend, but sending to an address in ``refuse`` raises, and every
    instance and open is counted (one connection per run)."""

    refuse: set[str] = set()
    instances: list = []
    opened = 0
    down_after_failure = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        FailingBackend.instances.append(self)
        self.failed = False

    def open(self):
        if self.failed and FailingBackend.down_after_failure:
            raise ConnectionRefusedError("el servidor de correo no responde")
        FailingBackend.opened += 1
        return True

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & FailingBackend.refuse:
                self.failed = True
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no")})
        return super().send_messages(messages)


@pytest.fixture
def failing_backend():
    FailingBackend.refuse, FailingBackend.instances, FailingBackend.opened = set(), [], 0
    FailingBackend.down_after_failure = False
    with override_settings(EMAIL_BACKEND=f"{__name__}.FailingBackend"):
        yield FailingBackend


class TestDigestFailures:
    def test_a_failed_send_is_forgotten_and_retried(self, digest_world, failing_backend, caplog):
        now = digest_world["now"]
        _, coordinator_norte = digest_world["norte"]
        failing_backend.refuse = {"norte@example.org"}
        summary = digest.send_weekly_digests(now=now)
        assert summary.as_dict() == {"sent": 1, "skipped": 0, "failed": 1}
        assert [m.to for m in mail.outbox] == [["sur@example.org"]]
        assert not Notification.objects.filter(user=coordinator_norte).exists()
        assert f"No se pudo enviar el aviso «digest» al usuario {coordinator_norte.pk}" in (
            caplog.text
        )
        failing_backend.refuse = set()
        assert digest.send_weekly_digests(now=now + timedelta(hours=1)).sent == 1
        assert len(sent_to("norte@example.org")) == 1
        assert len(mail.outbox) == 2

    def test_the_task_asks_for_a_retry_when_some_failed(
        self, digest_world, failing_backend, monkeypatch
    ):
        from celery.exceptions import Retry

        failing_backend.refuse = {"norte@example.org"}
        task = notification_tasks.weekly_digest
        calls = []

        def retry(**options):
            calls.append(options)
            return Retry()

        monkeypatch.setattr(task, "retry", retry)
        task.push_request(is_eager=False, retries=0)  # as a worker runs it
        try:
            with pytest.raises(Retry):
                task.run()
        finally:
            task.pop_request()
        assert calls == [{"countdown": 30 * 60}]
        assert len(sent_to("sur@example.org")) == 1

    def test_run_eagerly_the_task_returns_the_summary(self, digest_world):
        result = notification_tasks.weekly_digest.apply().get()
        assert result == {"sent": 2, "skipped": 0, "failed": 0}


# --- Reminders ----------------------------------------------------------------------------


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def learner(make_learner, course, now):
    """``learner(name, ...)``: an educanda with an email, enrolled in ``course`` 30 days
    ago and never started (someone to remind), unless told otherwise."""

    def make(name, *, grupo=None, last_activity_days=None, enrolled_days=30, **fields):
        fields.setdefault("email", f"{name}@example.org")
        is_active = fields.pop("is_active", True)
        user = make_learner(
            name, grupo, course, lessons_done=1 if last_activity_days is not None else 0, **fields
        )
        if not is_active:  # deactivated after enrolling (an inactive account cannot enroll)
            user.is_active = False
            user.save(update_fields=["is_active"])
        set_enrolled(user, course, days_ago(now, enrolled_days))
        if last_activity_days is not None:
            set_last_activity(user, course, days_ago(now, last_activity_days))
        return user

    return make


def reminded(now):
    return {r.user.username for r in reminders.learners_to_remind(now=now)}


class TestWhoIsReminded:
    def test_never_started_and_enrolled_long_ago(self, learner, now):
        learner("nunca-empezo")
        assert reminded(now) == {"nunca-empezo"}

    def test_learners_outside_any_grupo_too(self, learner, sedes, now):
        learner("sin-grupo")
        learner("con-grupo", grupo=sedes["norte"][2])
        assert reminded(now) == {"sin-grupo", "con-grupo"}

    def test_studied_long_ago(self, learner, now):
        learner("hace-diez-dias", last_activity_days=10)
        assert reminded(now) == {"hace-diez-dias"}

    def test_not_who_studied_recently(self, learner, now):
        learner("hace-dos-dias", last_activity_days=2)
        assert reminded(now) == set()

    def test_not_who_enrolled_recently_and_has_not_started(self, learner, now):
        learner("recien-inscrita", enrolled_days=3)
        assert reminded(now) == set()

    def test_the_threshold_is_a_setting(self, learner, now):
        learner("hace-diez-dias", last_activity_days=10)
        with override_settings(AULA_REMINDER_AFTER_DAYS=14):
            assert reminded(now) == set()

    def test_not_who_opted_out(self, learner, now):
        learner("no-quiere", reminders_opt_out=True)
        assert reminded(now) == set()

    def test_not_who_gave_no_email(self, learner, now):
        learner("sin-correo", email="")
        assert reminded(now) == set()

    def test_not_inactive_accounts(self, learner, now):
        learner("desactivada", is_active=False)
        assert reminded(now) == set()

    def test_not_about_completed_courses(self, learner, course, now):
        user = learner("concluyo")
        Enrollment.objects.filter(user=user).update(completed_at=days_ago(now, 9))
        assert reminded(now) == set()

    def test_not_about_withdrawn_courses(self, learner, course, now):
        user = learner("se-dio-de-baja")
        enrollment_api.withdraw(user=user, course=course)
        assert reminded(now) == set()

    def test_not_about_unpublished_courses(self, learner, course, now):
        learner("curso-despublicado")
        courses_api.CoursePage.objects.filter(pk=course.pk).update(live=False)
        assert reminded(now) == set()

    def test_not_who_studies_another_of_their_courses(self, learner, other_course, now):
        user = learner("estudia-otro")  # "Fracciones" untouched for 30 days...
        enrollment_api.enroll(user=user, course=other_course)  # ... "Documentos" today
        set_enrolled(user, other_course, days_ago(now, 30))
        from lms.progress import api as progress_api

        steps = courses_api.course_steps(course_ids=[other_course.pk])[other_course.pk]
        progress_api.record_server_event(user=user, verb="started", page_id=steps.steps[0].page_id)
        set_last_activity(user, other_course, days_ago(now, 1))
        assert reminded(now) == set()

    def test_not_who_just_finished_another_course(self, learner, other_course, now):
        user = learner("acaba-de-terminar")
        from lms.progress import api as progress_api

        enrollment_api.enroll(user=user, course=other_course)
        steps = courses_api.course_steps(course_ids=[other_course.pk])[other_course.pk]
        progress_api.record_server_event(user=user, verb="started", page_id=steps.steps[0].page_id)
        set_last_activity(user, other_course, days_ago(now, 1))
        Enrollment.objects.filter(user=user, course_id=other_course.pk).update(
            completed_at=days_ago(now, 1)
        )
        assert reminded(now) == set()

    def test_not_reminded_3_days_ago_but_again_after_8(self, learner, now):
        recent = learner("hace-tres")
        old = learner("hace-ocho")
        for user, days in ((recent, 3), (old, 8)):
            Notification.objects.create(
                user=user,
                kind=REMINDER,
                period=delivery.iso_period(days_ago(now, days)),
                sent_at=days_ago(now, days),
            )
        assert reminded(now) == {"hace-ocho"}

    def test_a_digest_does_not_count_as_a_reminder(self, learner, now):
        user = learner("coordina-y-estudia")
        Notification.objects.create(
            user=user, kind=DIGEST, period=delivery.iso_period(now), sent_at=now
        )
        assert reminded(now) == {"coordina-y-estudia"}


class TestReminderEmail:
    def test_one_email_per_learner_listing_every_unfinished_course(
        self, learner, course, other_course, now
    ):
        user = learner("dos-cursos", first_name="Rosa")
        enrollment_api.enroll(user=user, course=other_course)
        set_enrolled(user, other_course, days_ago(now, 20))
        learner("otra")
        summary = reminders.send_reminders(now=now)
        assert summary.as_dict() == {"sent": 2, "skipped": 0, "failed": 0}
        [message] = sent_to("dos-cursos@example.org")
        assert message.subject == "Siga con sus cursos en Aula"
        assert message.body.startswith("Hola, Rosa:")
        assert f"{course.title}\nContinuar: {PUBLIC}{course.get_url()}" in message.body
        assert other_course.title in message.body
        assert message.body.count("Continuar:") == 2
        assert "\nAula\n" in message.body
        html = html_of(message)
        assert html.count(">Continuar</a>") == 2
        assert "<img" not in html and "src=" not in html
        assert all(href.startswith(PUBLIC) for href in re.findall(r'href="([^"]+)"', html))
        [single] = sent_to("otra@example.org")
        assert single.subject == "Siga con su curso en Aula"
        assert Notification.objects.filter(user=user, kind=REMINDER).count() == 1

    def test_course_links_point_to_the_course(self, learner, course, now):
        learner("enlace")
        reminders.send_reminders(now=now)
        [message] = mail.outbox
        links = re.findall(r"Continuar: (\S+)", message.body)
        path = links[0].removeprefix(PUBLIC)
        assert path == course.get_url()
        assert Client().get(path).status_code == 200

    def test_headers_for_one_click_unsubscribe(self, learner, now):
        user = learner("cabeceras")
        reminders.send_reminders(now=now)
        [message] = mail.outbox
        token = reminders.opt_out_token(user_id=user.pk)
        url = f"{PUBLIC}/recordatorios/baja/{token}/"
        assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        assert url in message.body and f'href="{url}"' in html_of(message)
        rendered = message.message()
        assert rendered["List-Unsubscribe"] == f"<{url}>"
        assert rendered["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_in_spanish_whatever_language_is_active(self, learner, now):
        learner("en-ingles")
        with translation.override("en"):
            reminders.send_reminders(now=now)
        [message] = mail.outbox
        assert message.subject == "Siga con su curso en Aula"
        assert "Hace unos días que no estudia en Aula" in message.body

    def test_never_more_than_one_a_week(self, learner, now):
        user = learner("semanal")
        assert reminders.send_reminders(now=now).sent == 1
        for day in range(1, 7):
            assert reminders.send_reminders(now=now + timedelta(days=day)).sent == 0
        assert len(mail.outbox) == 1
        assert reminders.send_reminders(now=now + timedelta(days=7)).sent == 1
        assert len(mail.outbox) == 2
        assert Notification.objects.filter(user=user, kind=REMINDER).count() == 2

    def test_a_claim_made_meanwhile_by_another_run_wins(self, learner, now):
        """Another worker, whose clock is already in the next ISO week, reminded her
        between our selection and our send: its row is not ours (other period), but it is
        within 7 days, so we skip."""
        user = learner("carrera")
        selected = reminders.learners_to_remind(now=now)
        Notification.objects.create(
            user=user,
            kind=REMINDER,
            period=delivery.iso_period(now + timedelta(days=7)),
            sent_at=now,
        )
        summary = delivery.deliver(
            [(r.user, lambda r=r: reminders._reminder_message(r)) for r in selected],
            kind=REMINDER,
            now=now,
            since=now - reminders.REMINDER_INTERVAL,
        )
        assert (summary.sent, summary.skipped) == (0, 1)
        assert mail.outbox == []

    def test_one_connection_for_all_emails(self, learner, now, failing_backend):
        for name in ("uno", "dos", "tres"):
            learner(name)
        assert reminders.send_reminders(now=now).sent == 3
        assert len(failing_backend.instances) == 1
        assert failing_backend.opened == 1
        assert len(mail.outbox) == 3

    def test_a_failed_send_is_retried_by_the_next_run(self, learner, now, failing_backend):
        learner("uno")
        refused = learner("rechazada")
        learner("tres")
        failing_backend.refuse = {"rechazada@example.org"}
        summary = reminders.send_reminders(now=now)
        assert summary.as_dict() == {"sent": 2, "skipped": 0, "failed": 1}
        assert not Notification.objects.filter(user=refused).exists()
        assert {m.to[0] for m in mail.outbox} == {"uno@example.org", "tres@example.org"}
        failing_backend.refuse = set()
        assert reminders.send_reminders(now=now + timedelta(days=1)).sent == 1
        assert len(sent_to("rechazada@example.org")) == 1

    def test_when_the_mail_server_goes_away_nobody_is_marked_as_reminded(
        self, learner, now, failing_backend
    ):
        first = learner("a-primera")
        learner("b-segunda")
        learner("c-tercera")
        failing_backend.refuse = {first.email}
        failing_backend.down_after_failure = True
        summary = reminders.send_reminders(now=now)
        assert summary.as_dict() == {"sent": 0, "skipped": 0, "failed": 3}
        assert not Notification.objects.exists()
        assert mail.outbox == []

    def test_the_task_sends_with_the_current_time(self, learner):
        learner("por-la-tarea")
        assert notification_tasks.send_reminders.apply().get() == {
            "sent": 1,
            "skipped": 0,
            "failed": 0,
        }
        assert len(mail.outbox) == 1

    def test_constant_number_of_queries_to_select(self, learner, course, other_course, now):
        learner("primera")
        reminders.learners_to_remind(now=now)  # warm Wagtail's cache of site roots
        with CaptureQueriesContext(connection) as one:
            assert len(reminders.learners_to_remind(now=now)) == 1
        for name in ("segunda", "tercera"):
            user = learner(name)
            enrollment_api.enroll(user=user, course=other_course)
            set_enrolled(user, other_course, days_ago(now, 30))
        with CaptureQueriesContext(connection) as three:
            found = reminders.learners_to_remind(now=now)
        assert [len(r.courses) for r in found] == [1, 2, 2]
        assert len(one.captured_queries) == len(three.captured_queries) == 2


# --- Opt-out ------------------------------------------------------------------------------


def opt_out_path(body):
    [url] = re.findall(r"https://aula\.example\.org(/recordatorios/baja/\S+/)", body)
    return url


class TestOptOut:
    def test_the_link_in_the_email_works_end_to_end(self, learner, now):
        user = learner("se-va")
        reminders.send_reminders(now=now)
        path = opt_out_path(mail.outbox[0].body)
        client = Client(enforce_csrf_checks=True)
        page = client.get(path)
        assert page.status_code == 200
        content = page.content.decode()
        assert "¿Ya no quiere recibir recordatorios?" in content
        assert f'<form method="post" action="{path}">' in content
        user.refresh_from_db()
        assert user.reminders_opt_out is False  # looking changes nothing
        done = client.post(path)
        assert done.status_code == 200
        assert "Mi cuenta" in done.content.decode()
        assert 'href="/cuenta/"' in done.content.decode()
        user.refresh_from_db()
        assert user.reminders_opt_out is True
        # A week later, still inactive: no reminder.
        assert reminders.send_reminders(now=now + timedelta(days=8)).sent == 0
        assert len(mail.outbox) == 1

    def test_rfc_8058_one_click_post_without_cookies(self, learner):
        user = learner("un-clic")
        path = f"/recordatorios/baja/{reminders.opt_out_token(user_id=user.pk)}/"
        response = Client(enforce_csrf_checks=True).post(
            path,
            data="List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        user.refresh_from_db()
        assert user.reminders_opt_out is True

    def test_idempotent(self, learner, client):
        user = learner("dos-veces")
        path = f"/recordatorios/baja/{reminders.opt_out_token(user_id=user.pk)}/"
        assert client.post(path).status_code == 200
        assert client.post(path).status_code == 200
        user.refresh_from_db()
        assert user.reminders_opt_out is True
        page = client.get(path)
        assert page.status_code == 200
        assert "Ya no le enviamos recordatorios" in page.content.decode()
        assert "<form" not in page.content.decode().split("<main", 1)[1]

    def test_head_and_other_methods(self, learner, client):
        user = learner("metodos")
        path = f"/recordatorios/baja/{reminders.opt_out_token(user_id=user.pk)}/"
        assert client.head(path).status_code == 200
        assert client.put(path).status_code == 405
        assert client.get(path)["X-Robots-Tag"] == "noindex, nofollow"
        assert "no-store" in client.get(path)["Cache-Control"]
        user.refresh_from_db()
        assert user.reminders_opt_out is False

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_bad_or_tampered_tokens_are_404(self, learner, make_user, client, method):
        user = learner("victima")
        other = make_user("otra-persona", email="otra@example.org")
        good = reminders.opt_out_token(user_id=user.pk)
        value, signature = good.split(":")
        other_signature = reminders.opt_out_token(user_id=other.pk).split(":")[1]
        bad_tokens = [
            f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",  # altered
            f"{other.pk}:{signature}",  # someone else's id, this signature
            f"{user.pk}:{other_signature}",  # this id, someone else's signature
            signing.Signer(salt="otra.cosa").sign(str(user.pk)),  # another purpose
            signing.Signer(salt=reminders.OPT_OUT_SALT).sign("no-es-un-numero"),
            "basura",
        ]
        for token in bad_tokens:
            response = getattr(client, method)(f"/recordatorios/baja/{token}/")
            assert response.status_code == 404, token
            assert "Este enlace no funciona" in response.content.decode()
        for person in (user, other):
            person.refresh_from_db()
            assert person.reminders_opt_out is False

    def test_a_deleted_account_is_404(self, learner, client):
        user = learner("borrada")
        path = f"/recordatorios/baja/{reminders.opt_out_token(user_id=user.pk)}/"
        user.delete()
        assert client.get(path).status_code == 404

    def test_no_login_needed_and_login_gives_no_power_over_others(self, learner, client):
        owner = learner("duena")
        intruder = learner("intrusa")
        client.force_login(intruder)
        forged = f"{owner.pk}:{reminders.opt_out_token(user_id=intruder.pk).split(':')[1]}"
        assert client.post(f"/recordatorios/baja/{forged}/").status_code == 404
        owner.refresh_from_db()
        assert owner.reminders_opt_out is False
        # With the owner's own link (from her email) it works, for her only, whoever is
        # logged in.
        path = f"/recordatorios/baja/{reminders.opt_out_token(user_id=owner.pk)}/"
        assert client.post(path).status_code == 200
        owner.refresh_from_db()
        intruder.refresh_from_db()
        assert (owner.reminders_opt_out, intruder.reminders_opt_out) == (True, False)
