"""A quarterly report built by a real Celery worker on Redis, its files in a real
S3-compatible server, downloaded through a presigned URL and not public.

Runs in the PostgreSQL pass: the worker is another process and must share the test
database. Data is committed (``committed`` fixture) and removed afterwards.
"""

import csv
import io
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from pypdf import PdfReader

from courses import api as courses_api
from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment, Grupo, Sede
from lms.evaluation.models import EvaluationReport, ReportStatus
from tests.services import Worker, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)


@pytest.fixture
def sede(committed):
    """A committed sede with its coordinator and three learners enrolled in July 2026."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    stamp = time.monotonic_ns()
    sede = Sede.objects.create(
        key=f"informe-{stamp}", name="Plaza del informe", kind=enrollment_api.SedeKind.PLAZA
    )
    committed.append(sede)
    coordinator = users.create_user(username=f"coordina-{stamp}")
    coordinator.groups.add(accounts_api.ensure_roles()[accounts_api.roles.COORDINADOR])
    committed.append(coordinator)
    sede.coordinators.add(coordinator)
    grupo = Grupo.objects.create(sede=sede, name="Grupo de la mañana")
    course = courses_api.CoursePage.objects.get(slug="nuestros-documentos")
    for index in range(3):
        learner = users.create_user(username=f"informe-{stamp}-{index}")
        committed.append(learner)
        enrollment_api.add_to_grupo(grupo=grupo, user=learner)
        Enrollment.objects.create(
            user=learner, course=course, enrolled_at=datetime(2026, 7, 10, 12, tzinfo=UTC)
        )
    yield sede, coordinator


def test_a_report_is_built_by_a_worker_and_served_privately_from_s3(broker, sede, committed):
    sede, coordinator = sede
    worker = Worker(
        database_name=connection.settings_dict["NAME"], env=broker.env(), concurrency=1
    ).start()
    client = Client()
    client.force_login(coordinator)
    try:
        before = set(broker.keys("evaluacion/"))
        response = client.post(
            "/coordinacion/evaluacion/informes/pedir/",
            {"year": "2026", "quarter": "3", "scope": str(sede.pk), "language": "es"},
        )
        assert response.status_code == 302
        made = EvaluationReport.objects.get(sede=sede)
        committed.append(made)
        try:
            made = wait_for(
                lambda: EvaluationReport.objects.filter(
                    pk=made.pk, status=ReportStatus.DONE
                ).first(),
                90,
                "the report to be built",
            )
        except AssertionError:
            print(worker.log.read_text()[-4000:])
            raise
    finally:
        worker.stop()
    assert "evaluation.build_report" in worker.log.read_text()
    assert set(broker.keys("evaluacion/")) - before == {made.pdf.name, made.csv.name}
    # The coordinator downloads both through short-lived presigned URLs.
    bodies = {}
    for kind in ("pdf", "csv"):
        response = client.get(f"/coordinacion/evaluacion/informes/{made.uuid}/{kind}/")
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith(broker.endpoint) and "X-Amz-Signature=" in location
        with urllib.request.urlopen(location) as download:  # noqa: S310 (local test server)
            assert "attachment" in download.headers["Content-Disposition"]
            bodies[kind] = download.read()
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(bodies["pdf"])).pages
    )
    assert "Plaza del informe" in text and "Tercer trimestre de 2026" in text
    assert "Plaza del informe: muy pocos datos" in text  # three learners
    rows = list(csv.reader(io.StringIO(bodies["csv"].decode("utf-8-sig"))))
    assert rows[0] == ["sección", "grupo", "medida", "valor", "n"]
    # The files themselves are not public.
    for name in (made.pdf.name, made.csv.name):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{broker.endpoint}/aula-media/{name}")  # noqa: S310
        assert error.value.code == 403
        broker.client().delete_object(Bucket="aula-media", Key=name)
