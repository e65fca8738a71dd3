"""Applying a bulk upload outside the request: a real Celery worker on Redis, the progress
seen from another connection while the transaction is still open, two applications of
the same upload at once.

Runs in the PostgreSQL pass: the worker and the threads need their own connections to a
shared database, so the data is committed (``committed`` fixture) and removed afterwards.
"""

import re
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client, override_settings

from lms.accounts import api as accounts_api
from lms.accounts.models import ResetCode
from lms.enrollment import api as enrollment_api
from lms.enrollment import bulk, tasks
from lms.enrollment.bulk import background
from lms.enrollment.models import BulkImport, Grupo, Membership, Sede
from tests.conftest import in_threads
from tests.services import REDIS_URL, Worker, wait_for

from .conftest import csv_bytes, upload

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)

BASE_URL = "https://aula.example.org"
PROGRESS = re.compile(r"Aplicando la lista: (\d+) de (\d+) filas…")


@pytest.fixture
def setting(committed):
    """A committed sede with its coordinator and grupo; learners named ``prefix…`` are
    deleted afterwards."""
    stamp = time.monotonic_ns()
    sede = Sede.objects.create(
        key=f"lista-{stamp}", name="Plaza de la lista", kind=enrollment_api.SedeKind.PLAZA
    )
    committed.append(sede)
    coordinator = get_user_model().objects.create_user(username=f"coordina-{stamp}")
    committed.append(coordinator)
    coordinator.groups.add(accounts_api.ensure_roles()[accounts_api.roles.COORDINADOR])
    sede.coordinators.add(coordinator)
    grupo = Grupo.objects.create(sede=sede, name="Grupo de la lista")
    prefix = f"l{stamp % 10**9}-"
    yield coordinator, grupo, prefix
    get_user_model().objects.filter(username__startswith=prefix).delete()


def _rows(prefix: str, count: int) -> list[list[str]]:
    return [[f"{prefix}{i:04}", f"Persona {i}", "", "", "", "B3MFP"] for i in range(count)]


def _queued_import(coordinator, grupo, rows) -> BulkImport:
    content = csv_bytes(rows)
    bulk_import = bulk.create_import(
        grupo=grupo, uploaded_by=coordinator, filename="lista.csv", content=content
    )
    BulkImport.objects.filter(pk=bulk_import.pk).update(status="queued")
    return bulk_import


def _learners(prefix: str) -> int:
    return get_user_model().objects.filter(username__startswith=prefix).count()


def test_the_page_shows_progress_while_the_transaction_is_open(setting, monkeypatch):
    """The worker (a thread with its own connection) stops half way through its second
    pass; meanwhile the page, on another connection, shows how far it got, and nothing
    it wrote is visible yet."""
    coordinator, grupo, prefix = setting
    bulk_import = _queued_import(coordinator, grupo, _rows(prefix, 100))
    reached, release = threading.Event(), threading.Event()
    report = background._Reporter.__call__

    def pause_half_way(self, step, done, total):
        report(self, step, done, total)
        if step == bulk.STEP_ROWS and done == 50:
            reached.set()
            release.wait(60)

    monkeypatch.setattr(background._Reporter, "__call__", pause_half_way)
    name = connection.settings_dict["NAME"]
    outcome = []

    def work():
        connections["default"].settings_dict["NAME"] = name
        try:
            outcome.append(
                bulk.apply_queued(
                    bulk_import_id=bulk_import.pk,
                    by_id=coordinator.pk,
                    base_url=BASE_URL,
                    queue_welcome_email=tasks.send_welcome_email_task.delay,
                )
            )
        finally:
            connections.close_all()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert reached.wait(60), "the application never got half way"
        client = Client()
        client.force_login(coordinator)
        page = client.get(f"/coordinacion/inscripcion/{bulk_import.uuid}/")
        html = page.content.decode()
        assert page["Refresh"] == "3"
        assert "Aplicando la lista: 50 de 100 filas…" in html and "Paso 2 de 2" in html
        assert BulkImport.objects.get(pk=bulk_import.pk).status == "applying"
        assert _learners(prefix) == 0  # written, but not committed
    finally:
        release.set()
        worker.join(60)
    assert outcome == ["applied"]
    assert _learners(prefix) == 100
    page = client.get(f"/coordinacion/inscripcion/{bulk_import.uuid}/")
    assert "Lista aplicada" in page.content.decode()


def test_two_workers_at_once_apply_it_once(setting):
    """A duplicated message taken by two workers: the second waits for the first's row
    lock and finds the upload applied."""
    coordinator, grupo, prefix = setting
    bulk_import = _queued_import(coordinator, grupo, _rows(prefix, 30))
    outcomes = []
    in_threads(
        lambda _: outcomes.append(
            bulk.apply_queued(
                bulk_import_id=bulk_import.pk,
                by_id=coordinator.pk,
                base_url=BASE_URL,
                queue_welcome_email=tasks.send_welcome_email_task.delay,
            )
        ),
        [1, 2],
    )
    assert sorted(outcomes) == ["already", "applied"]
    assert _learners(prefix) == 30
    assert ResetCode.objects.filter(user__username__startswith=prefix).count() == 30
    assert BulkImport.objects.get(pk=bulk_import.pk).status == "applied"


def test_a_worker_applies_500_rows_and_the_page_follows(broker, setting):
    """The coordinator confirms; the page says the list waits; a worker starts and applies
    it while the page, reloaded as the browser would, shows the count; then the result."""
    coordinator, grupo, prefix = setting
    shared_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    with override_settings(CACHES={"default": shared_cache}):
        client = Client()
        client.force_login(coordinator)
        response = upload(client, grupo, csv_bytes(_rows(prefix, 500)))
        page_url = response["Location"]
        bulk_import = BulkImport.objects.get(grupo=grupo)
        response = client.post(f"{page_url}aplicar/")
        assert response["Location"] == page_url
        # No worker yet: the message waits in Redis.
        assert "La lista está en espera" in client.get(page_url).content.decode()
        assert BulkImport.objects.get(pk=bulk_import.pk).status == "queued"

        env = {**broker.env(), "TEST_CACHE_URL": REDIS_URL}
        worker = Worker(database_name=connection.settings_dict["NAME"], env=env).start()
        seen: list[tuple[int, int]] = []

        def applied() -> bool:
            page = client.get(page_url)
            assert page.status_code == 200
            html = page.content.decode()
            counts = PROGRESS.search(html)
            if counts:
                seen.append((int(counts.group(1)), int(counts.group(2))))
            return "Lista aplicada" in html

        try:
            wait_for(applied, 180, "the list to be applied", interval=0.05)
        except AssertionError:
            print(worker.log.read_text()[-4000:])
            raise
        finally:
            worker.stop()
    assert "enrollment.apply_bulk_import" in worker.log.read_text()
    # The page followed the worker: counts of the 500 rows, from its open transaction.
    assert seen, "the page never showed a count while the list was being applied"
    assert {total for _done, total in seen} == {500}
    assert all(0 <= done <= 500 for done, _total in seen)
    assert any(0 < done < 500 for done, _total in seen)
    bulk_import.refresh_from_db()
    assert bulk_import.status == "applied" and bulk_import.summary["new_accounts"] == 500
    assert _learners(prefix) == 500
    assert Membership.objects.filter(grupo=grupo).count() == 500
    # The sheet of codes was made by the worker, into the S3 storage.
    assert f"{bulk_import.code_sheet.name}" in broker.keys("codigos/")
    broker.client().delete_object(Bucket="aula-media", Key=bulk_import.code_sheet.name)
