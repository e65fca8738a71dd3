"""A large export with a real Celery worker on Redis and a real S3-compatible server.

Runs in the PostgreSQL pass: the worker is another process and must share the test
database. Data is committed (``committed`` fixture) and removed afterwards.
"""

import csv
import io
import time
import urllib.request

import pytest
from django.db import connection
from django.test import Client, override_settings

from courses import api as courses_api
from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Grupo, Sede
from lms.exports.models import ExportJob, ExportStatus
from tests.services import Worker, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)


@pytest.fixture
def sede(committed):
    """A committed sede with its coordinator and three enrolled learners."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    stamp = time.monotonic_ns()
    sede = Sede.objects.create(
        key=f"trabajo-{stamp}", name="Plaza del trabajador", kind=enrollment_api.SedeKind.PLAZA
    )
    committed.append(sede)
    coordinator = users.create_user(username=f"coordina-{stamp}", email="c@example.org")
    coordinator.groups.add(accounts_api.ensure_roles()[accounts_api.roles.COORDINADOR])
    committed.append(coordinator)
    sede.coordinators.add(coordinator)
    grupo = Grupo.objects.create(sede=sede, name="Grupo de la tarde")
    course = courses_api.CoursePage.objects.get(slug="nuestros-documentos")
    learners = []
    for index in range(3):
        learner = users.create_user(username=f"obrera-{stamp}-{index}", display_name="Rosa Ibáñez")
        committed.append(learner)
        enrollment_api.add_to_grupo(grupo=grupo, user=learner)
        enrollment_api.enroll(user=learner, course=course)
        learners.append(learner)
    yield sede, coordinator, learners


def test_a_large_export_is_built_by_a_worker_and_served_from_s3(broker, sede):
    _sede, coordinator, learners = sede
    worker = Worker(
        database_name=connection.settings_dict["NAME"], env=broker.env(), concurrency=1
    ).start()
    client = Client()
    client.force_login(coordinator)
    try:
        before = set(broker.keys("exportaciones/"))
        with override_settings(AULA_EXPORT_STREAM_MAX_ROWS=2):
            response = client.post(
                "/coordinacion/exportar/", {"tipo": "inscripciones", "formato": "csv"}
            )
        assert response.status_code == 302
        assert response["Location"] == "/coordinacion/exportar/archivos/"
        job = ExportJob.objects.get(requested_by=coordinator)
        try:
            job = wait_for(
                lambda: ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).first(),
                60,
                "the export to be built",
            )
        except AssertionError:
            print(worker.log.read_text()[-4000:])
            raise
    finally:
        worker.stop()
    assert "reports.build_export" in worker.log.read_text()
    assert job.rows == 3
    assert set(broker.keys("exportaciones/")) - before == {f"exportaciones/{job.uuid}.csv"}
    # The coordinator downloads it through a short-lived presigned URL.
    response = client.get(f"/coordinacion/exportar/archivos/{job.uuid}/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(broker.endpoint) and "X-Amz-Signature=" in location
    with urllib.request.urlopen(location) as download:  # noqa: S310 (local test server)
        assert "attachment" in download.headers["Content-Disposition"]
        body = download.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(row[2] for row in rows[1:]) == sorted(u.username for u in learners)
    assert {row[3] for row in rows[1:]} == {"Rosa Ibáñez"}
    # Nobody else gets it, and the file itself is not public.
    public = f"{broker.endpoint}/aula-media/exportaciones/{job.uuid}.csv"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(public)  # noqa: S310
    assert error.value.code == 403
    broker.client().delete_object(Bucket="aula-media", Key=f"exportaciones/{job.uuid}.csv")
