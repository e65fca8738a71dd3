"""Applying a bulk upload in a Celery task (eager here: the task runs when the test runs
the callbacks that the commit would run): the confirming request only queues it, the
upload's page shows the progress and then the result, failures and crashes leave nothing
written and say so, and nothing is ever applied twice."""

import importlib
import io
from datetime import timedelta

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pypdf import PdfReader

from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.enrollment import bulk, services, tasks
from lms.enrollment.bulk import applying, background
from lms.enrollment.models import BulkImport, Grupo, Membership, Sede

from .conftest import csv_bytes, upload
from .test_bulk_apply import BASE_URL, ROWS, _course, _footprint, _import

BASE = "/coordinacion/inscripcion/"


def _page(client, bulk_import):
    return client.get(f"{BASE}{bulk_import.uuid}/")


def _confirm(client, bulk_import, **kwargs):
    return client.post(f"{BASE}{bulk_import.uuid}/aplicar/", **kwargs)


def _status(bulk_import) -> str:
    bulk_import.refresh_from_db()
    return bulk_import.status


def _queue(bulk_import, by, capture):
    """Confirm as the page does and run what the commit would run (the task, eagerly;
    then the welcome emails it queues after its own commit)."""
    with capture(execute=True):
        assert bulk.request_apply(
            bulk_import=bulk_import, by=by, base_url=BASE_URL, queue=tasks.queue_apply
        )


def _code_files() -> list[str]:
    return default_storage.listdir("codigos")[1] if default_storage.exists("codigos") else []


class TestConfirming:
    def test_the_request_only_queues_and_the_task_applies(
        self, client, norte, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        client.force_login(coordinator)
        before = _footprint()
        with django_capture_on_commit_callbacks() as callbacks:
            response = _confirm(client, bulk_import)
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}{bulk_import.uuid}/"
        assert len(callbacks) == 1  # the task, queued once the request commits
        assert _status(bulk_import) == "queued" and bulk_import.status_at is not None
        assert bulk_import.applied_at is None and _footprint() == before

        page = _page(client, bulk_import)
        assert page.templates[0].name == "enrollment/bulk_progress.html"
        assert page["Refresh"] == "3"
        assert "La lista está en espera" in page.content.decode()

        with django_capture_on_commit_callbacks(execute=True):  # the welcome email, after
            callbacks[0]()
        assert _status(bulk_import) == "applied" and bulk_import.applied_at is not None
        page = _page(client, bulk_import)
        assert "Lista aplicada" in page.content.decode() and "Refresh" not in page
        assert page.context["summary"]["new_accounts"] == 3
        assert bulk_import.code_sheet  # made in the task: the plain codes exist only there
        assert [m.to for m in mail.outbox] == [["maria@example.org"]]

    def test_a_second_confirmation_queues_nothing(
        self, client, norte, admin, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks() as callbacks:
            _confirm(client, bulk_import)
            response = _confirm(client, bulk_import, follow=True)
            client.force_login(admin)  # another person, from another computer
            _confirm(client, bulk_import)
        assert len(callbacks) == 1
        assert "Esta lista ya se está aplicando." in response.content.decode()
        BulkImport.objects.filter(pk=bulk_import.pk).update(status="applying")
        with django_capture_on_commit_callbacks() as callbacks:
            _confirm(client, bulk_import)
        assert callbacks == []

    def test_a_broker_that_is_down_marks_it_failed(
        self, client, norte, monkeypatch, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)

        def down(*args):
            raise ConnectionRefusedError("broker")

        monkeypatch.setattr(tasks.apply_bulk_import_task, "delay", down)
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            response = _confirm(client, bulk_import)
        assert response.status_code == 302
        assert _status(bulk_import) == "failed" and bulk_import.failure == "error"
        html = _page(client, bulk_import).content.decode()
        assert "la lista no se pudo aplicar. Puede intentarlo de nuevo" in html


class TestTheUploadsPage:
    def test_progress_as_the_task_writes_it(self, client, norte):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        BulkImport.objects.filter(pk=bulk_import.pk).update(
            status="applying", status_at=timezone.now()
        )
        client.force_login(coordinator)

        def shown():
            page = _page(client, bulk_import)
            assert page["Refresh"] == "3"
            progress = page.context["progress"]
            return page.content.decode(), progress.percent

        html, percent = shown()  # the worker has not written anything yet
        assert "Aplicando la lista…" in html and percent == 0
        reporter = background._Reporter(bulk_import.pk)
        reporter(bulk.STEP_ACCOUNTS, 800, 2000)
        html, percent = shown()
        assert "Aplicando la lista: 800 de 2000 filas…" in html
        assert "Paso 1 de 2: se crean las cuentas nuevas." in html and percent == 20
        assert '<progress max="100" value="20">' in html
        reporter(bulk.STEP_ROWS, 1500, 2000)
        html, percent = shown()
        assert "Aplicando la lista: 1500 de 2000 filas…" in html
        assert "Paso 2 de 2" in html and percent == 87
        client.cookies["django_language"] = "en"
        with translation.override("es-mx"):  # what the middleware activates stays active
            assert "Applying the list: 1500 of 2000 rows…" in shown()[0]
        client.cookies["django_language"] = "es-mx"
        reporter(bulk.STEP_SHEET, 2000, 2000)
        assert "se prepara la hoja de códigos" in shown()[0]
        reporter.clear()
        assert "Aplicando la lista…" in shown()[0]

    def test_the_progress_page_costs_the_same_for_any_file(self, client, norte):
        _sede, coordinator, grupo = norte
        client.force_login(coordinator)

        def queries(count):
            rows = [[f"persona-{count}-{i}", "", "", "", "", "B3MFP"] for i in range(count)]
            bulk_import = _import(grupo, coordinator, rows)
            BulkImport.objects.filter(pk=bulk_import.pk).update(
                status="applying", status_at=timezone.now()
            )
            with CaptureQueriesContext(connection) as captured:
                assert _page(client, bulk_import).status_code == 200
            return len(captured)

        assert queries(3) == queries(30) <= 8  # no validation while it is applied

    def test_a_stalled_list_can_be_confirmed_again(
        self, client, norte, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        long_ago = timezone.now() - bulk.STALLED_AFTER - timedelta(minutes=1)
        BulkImport.objects.filter(pk=bulk_import.pk).update(status="queued", status_at=long_ago)
        client.force_login(coordinator)
        html = _page(client, bulk_import).content.decode()
        assert "La lista tardó demasiado en aplicarse y no se inscribió a nadie." in html
        assert "Confirmar e inscribir" in html
        with django_capture_on_commit_callbacks() as callbacks:
            _confirm(client, bulk_import)
        assert len(callbacks) == 1
        assert _status(bulk_import) == "queued" and bulk_import.status_at > long_ago

    def test_a_list_that_failed_shows_the_row_and_nothing_was_written(
        self, client, norte, make_learner, monkeypatch, django_capture_on_commit_callbacks
    ):
        """The preview said yes; by the time the last row is written its course is full.
        The page says so, with the row, and nothing of the list exists."""
        _sede, coordinator, grupo = norte
        course = _course("salud-y-prevencion")
        type(course).objects.filter(pk=course.pk).update(capacity=3)
        rows = [
            ["con-correo", "A", "a@example.org", "", "", "B2CVM"],
            ["sin-correo", "B", "", "", "", "B2CVM"],
            ["ultima", "C", "", "", "", "B2CVM"],
        ]
        bulk_import = _import(grupo, coordinator, rows)
        stale = bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=coordinator)
        make_learner("se-adelanto", grupo, course)
        real, calls = bulk.validate_rows, []

        def validate_as_at_preview(**kwargs):
            calls.append(1)
            return stale if len(calls) == 1 else real(**kwargs)

        monkeypatch.setattr(applying, "validate_rows", validate_as_at_preview)
        files, before = _code_files(), _footprint()
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            _confirm(client, bulk_import)
        assert _footprint() == before and _code_files() == files and mail.outbox == []
        assert _status(bulk_import) == "failed" and bulk_import.failure == "changed"
        message = "Curso «Salud y prevención»: El curso ya no tiene lugares disponibles."
        assert bulk_import.failed_rows == [[4, message]]
        assert bulk_import.applied_at is None and len(bulk_import.rows) == 3

        response = _page(client, bulk_import)
        html = response.content.decode()
        assert "No se inscribió a nadie: algo cambió desde la vista previa." in html
        assert message in [e for row in response.context["check"].error_rows for e in row.errors]
        assert 'id="fila-4"' in html and "Confirmar e inscribir" not in html

    def test_a_crash_marks_it_failed_and_it_can_be_applied_again(
        self, client, norte, monkeypatch, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        real_enroll, calls = services.enroll, []

        def enroll_then_crash(**kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("se cayó algo")
            return real_enroll(**kwargs)

        monkeypatch.setattr(services, "enroll", enroll_then_crash)
        files, before = _code_files(), _footprint()
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            response = _confirm(client, bulk_import, follow=True)
        assert response.status_code == 200  # the request never shows the crash
        assert _footprint() == before and _code_files() == files and mail.outbox == []
        assert _status(bulk_import) == "failed" and bulk_import.failure == "error"
        html = _page(client, bulk_import).content.decode()
        assert "la lista no se pudo aplicar. Puede intentarlo de nuevo" in html
        assert "Confirmar e inscribir" in html

        monkeypatch.setattr(services, "enroll", real_enroll)
        with django_capture_on_commit_callbacks(execute=True):
            _confirm(client, bulk_import)
        assert _status(bulk_import) == "applied" and bulk_import.failure == ""
        assert _footprint()["users"] == before["users"] + 3

    def test_the_history_says_where_each_list_is(self, client, norte):
        _sede, coordinator, grupo = norte
        for status in ("queued", "applying", "failed"):
            bulk_import = _import(grupo, coordinator, [[f"persona-{status}"]], ["usuario"])
            BulkImport.objects.filter(pk=bulk_import.pk).update(status=status)
        client.force_login(coordinator)
        html = client.get(BASE).content.decode()
        for label in ("<td>En espera</td>", "<td>Aplicándose</td>", "<td>No se aplicó</td>"):
            assert label in html


class TestTheTask:
    def test_progress_goes_to_the_cache_every_few_rows(
        self, norte, monkeypatch, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        rows = [[f"persona{i:02}"] for i in range(60)]
        bulk_import = _import(grupo, coordinator, rows, ["usuario"])
        written = []
        real_set = background.cache.set

        def spy(key, value, timeout):
            # Written while the transaction is still open: nothing of it is visible yet.
            assert key == f"aula:bulk-apply:{bulk_import.pk}" and timeout == 3600
            assert _status(bulk_import) == "applying"
            written.append((value["step"], value["done"], value["total"]))
            real_set(key, value, timeout)

        monkeypatch.setattr(background.cache, "set", spy)
        _queue(bulk_import, coordinator, django_capture_on_commit_callbacks)
        assert written == [
            ("check", 0, 60),
            ("accounts", 0, 60),
            ("accounts", 25, 60),
            ("accounts", 50, 60),
            ("rows", 0, 60),
            ("rows", 25, 60),
            ("rows", 50, 60),
            ("rows", 60, 60),
            ("sheet", 60, 60),
        ]
        assert cache.get(f"aula:bulk-apply:{bulk_import.pk}") is None  # cleared when done
        assert _status(bulk_import) == "applied"

    def test_a_cache_that_fails_costs_only_the_count(
        self, norte, monkeypatch, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)

        def down(*args, **kwargs):
            raise ConnectionError("cache")

        for name in ("set", "get", "delete"):
            monkeypatch.setattr(background.cache, name, down)
        _queue(bulk_import, coordinator, django_capture_on_commit_callbacks)
        assert _status(bulk_import) == "applied"

    def test_run_twice_it_applies_once(self, norte, django_capture_on_commit_callbacks):
        """A retried or duplicated message: the second run changes nothing."""
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        _queue(bulk_import, coordinator, django_capture_on_commit_callbacks)
        after, sent = _footprint(), len(mail.outbox)
        arguments = {
            "bulk_import_id": bulk_import.pk,
            "by_id": coordinator.pk,
            "base_url": BASE_URL,
        }
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.apply_bulk_import_task.delay(*arguments.values()).get() == "already"
        # Even one that finds it "applying" (redelivered): the row lock and applied_at.
        BulkImport.objects.filter(pk=bulk_import.pk).update(status="applying")
        welcome = tasks.send_welcome_email_task.delay
        with django_capture_on_commit_callbacks(execute=True):
            assert bulk.apply_queued(**arguments, queue_welcome_email=welcome) == "already"
        assert _footprint() == after and len(mail.outbox) == sent

    def test_a_stale_message_does_nothing(self, norte):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        arguments = {
            "bulk_import_id": bulk_import.pk,
            "by_id": coordinator.pk,
            "base_url": BASE_URL,
            "queue_welcome_email": tasks.send_welcome_email_task.delay,
        }
        before = _footprint()
        for status in ("pending", "failed"):  # never queued; failed since it was queued
            BulkImport.objects.filter(pk=bulk_import.pk).update(status=status)
            assert bulk.apply_queued(**arguments) == "skipped"
        bulk_import.delete()
        assert bulk.apply_queued(**arguments) == "skipped"
        assert _footprint() == before

    def test_a_learner_made_staff_since_the_preview_joins_no_grupo(
        self, norte, make_learner, monkeypatch
    ):
        """The grupo's front door checks everyone again while writing: nobody joins."""
        sede, coordinator, grupo = norte
        other = Grupo.objects.create(sede=sede, name="Grupo 2")
        learner = make_learner("ya-tiene", other)
        bulk_import = _import(grupo, coordinator, [["nueva"], ["ya-tiene"]], ["usuario"])
        stale = bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=coordinator)
        get_user_model().objects.filter(pk=learner.pk).update(is_staff=True)
        real, calls = bulk.validate_rows, []

        def validate_as_at_preview(**kwargs):
            calls.append(1)
            return stale if len(calls) == 1 else real(**kwargs)

        monkeypatch.setattr(applying, "validate_rows", validate_as_at_preview)
        BulkImport.objects.filter(pk=bulk_import.pk).update(status="queued")
        before = _footprint()
        result = bulk.apply_queued(
            bulk_import_id=bulk_import.pk,
            by_id=coordinator.pk,
            base_url=BASE_URL,
            queue_welcome_email=tasks.send_welcome_email_task.delay,
        )
        assert result == "failed" and _footprint() == before
        assert _status(bulk_import) == "failed"
        ((number, message),) = bulk_import.failed_rows
        assert number == 3 and message.startswith("Usuario «ya-tiene»: Las cuentas del personal")

    def test_a_coordinator_who_is_gone(self, norte):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        BulkImport.objects.filter(pk=bulk_import.pk).update(status="queued")
        get_user_model().objects.filter(pk=coordinator.pk).update(is_active=False)
        before = _footprint()
        result = bulk.apply_queued(
            bulk_import_id=bulk_import.pk,
            by_id=coordinator.pk,
            base_url=BASE_URL,
            queue_welcome_email=tasks.send_welcome_email_task.delay,
        )
        assert result == "failed" and _status(bulk_import) == "failed"
        assert _footprint() == before


class TestFullSize:
    def test_2000_rows_from_upload_to_result(
        self, client, norte, settings, django_capture_on_commit_callbacks
    ):
        """The largest file allowed, through the pages, applied by the task (eagerly)."""
        _sede, coordinator, grupo = norte
        rows = [
            [
                f"persona{i:04}",
                f"Persona {i}",
                f"p{i}@example.org" if i % 20 == 0 else "",
                "",
                "",
                "B3MFP",
            ]
            for i in range(settings.AULA_BULK_MAX_ROWS)
        ]
        client.force_login(coordinator)
        response = upload(client, grupo, csv_bytes(rows))
        bulk_import = BulkImport.objects.get()
        assert _page(client, bulk_import).context["totals"]["new_accounts"] == 2000
        with django_capture_on_commit_callbacks(execute=True):
            _confirm(client, bulk_import)
        response = client.get(response["Location"])
        summary = response.context["summary"]
        assert (summary["new_accounts"], summary["new_enrollments"]) == (2000, 2000)
        assert (summary["codes"], summary["emails"]) == (1900, 100)
        assert len(mail.outbox) == 100
        assert Membership.objects.filter(grupo=grupo).count() == 2000
        bulk_import.refresh_from_db()
        with bulk_import.code_sheet.open("rb") as handle:
            assert len(PdfReader(io.BytesIO(handle.read())).pages) == 238  # 8 cards a page


class TestBeforeAndAfter:
    def test_uploads_applied_before_the_status_existed_read_as_applied(self, norte):
        _sede, coordinator, grupo = norte
        applied = _import(grupo, coordinator, [["persona-a"]], ["usuario"])
        pending = _import(grupo, coordinator, [["persona-b"]], ["usuario"])
        BulkImport.objects.filter(pk=applied.pk).update(applied_at=timezone.now())
        migration = importlib.import_module("lms.enrollment.migrations.0006_bulkimport_status")
        migration.mark_applied(django_apps, None)
        assert (_status(applied), _status(pending)) == ("applied", "pending")

    def test_cleanup_spares_a_list_being_applied(self, norte):
        _sede, coordinator, grupo = norte
        now = timezone.now()
        made = {}
        for name, status, since in [
            ("applying", "applying", now),
            ("queued", "queued", now - timedelta(minutes=5)),
            ("stalled", "applying", now - bulk.STALLED_AFTER - timedelta(minutes=1)),
            ("failed", "failed", now),
        ]:
            made[name] = _import(grupo, coordinator, [[f"persona-{name}"]], ["usuario"])
            BulkImport.objects.filter(pk=made[name].pk).update(
                status=status, status_at=since, created_at=now - timedelta(days=2)
            )
        assert bulk.cleanup(now=now)["unapplied_deleted"] == 2
        assert set(BulkImport.objects.values_list("pk", flat=True)) == {
            made["applying"].pk,
            made["queued"].pk,
        }


class TestEagerly:
    def test_without_a_broker_the_result_shows_at_once(self, committed):
        """The embedded default: no test transaction around the request, so the task runs
        when the confirming request commits, and the redirect lands on the result."""
        stamp = timezone.now().strftime("%H%M%S%f")
        sede = Sede.objects.create(
            key=f"eager-{stamp}", name="Plaza sin broker", kind=enrollment_api.SedeKind.PLAZA
        )
        committed.append(sede)
        coordinator = get_user_model().objects.create_user(username=f"coordina-{stamp}")
        committed.append(coordinator)
        coordinator.groups.add(accounts_api.ensure_roles()[accounts_api.roles.COORDINADOR])
        sede.coordinators.add(coordinator)
        grupo = Grupo.objects.create(sede=sede, name="Grupo 1")
        client = Client()
        client.force_login(coordinator)
        try:
            rows = [[f"e{stamp}-{i}", "", "", "", "", "B3MFP"] for i in range(3)]
            page_url = upload(client, grupo, csv_bytes(rows))["Location"]
            response = client.post(f"{page_url}aplicar/", follow=True)
            assert response.redirect_chain == [(page_url, 302)]
            assert "Lista aplicada" in response.content.decode()
            assert response.context["summary"]["new_accounts"] == 3
        finally:
            get_user_model().objects.filter(username__startswith=f"e{stamp}-").delete()
