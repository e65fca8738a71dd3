"""Light versions made by a real Celery worker on Redis, files on the S3 test server.

In the PostgreSQL pass (the worker is another process and must share the test database).
Data is committed (``committed`` fixture) and removed afterwards; removing a document
removes its versions' files.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from wagtail.documents import get_document_model

from content.models import MediaProcessing, MediaVersion
from content.tasks import TRANSCODE
from tests.services import Worker, wait_for

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a worker process must share the database: these run in the PostgreSQL pass",
    ),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed"),
]

Document = get_document_model()


def start_worker(s3) -> Worker:
    return Worker(
        database_name=connection.settings_dict["NAME"],
        env={**s3.env(), "AULA_MEDIA_MAX_RETRIES": "2", "AULA_MEDIA_RETRY_BACKOFF_MAX": "1"},
    ).start()


@pytest.fixture
def clip(tmp_path) -> bytes:
    path = tmp_path / "clase.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi",  # noqa: S607
         "-i", "testsrc=size=640x480:rate=25:duration=2", "-f", "lavfi",
         "-i", "sine=frequency=440:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    return path.read_bytes()


def upload(committed, name: str, content: bytes):
    """Saved and committed: the task goes to Redis."""
    document = Document(title=name, file_size=len(content))
    document.file.save(name, ContentFile(content), save=True)
    committed.append(document)
    return document


def processing_ended(document):
    processing = MediaProcessing.objects.filter(document=document).first()
    if processing and processing.status in ("done", "failed"):
        return processing
    return None


def test_a_worker_makes_the_versions_into_s3(broker, committed, clip):
    worker = start_worker(broker)
    try:
        document = upload(committed, "clase.mp4", clip)
        try:
            processing = wait_for(lambda: processing_ended(document), 180, "the transcode")
            # The task commits its result, then returns and the worker logs how it ended:
            # stopped in between, the worker never logs it (as the other tests, wait).
            wait_for(
                lambda: [e for _, e in worker.task_lines(TRANSCODE)][-1:] == ["succeeded"],
                30,
                "the worker to log the end of the task",
            )
        except AssertionError:
            print(worker.log.read_text()[-4000:])
            raise
    finally:
        worker.stop()
    assert processing.status == "done", processing.error
    assert [event for _, event in worker.task_lines(TRANSCODE)] == ["received", "succeeded"]
    made = {v.kind: v for v in MediaVersion.objects.filter(document=document)}
    assert set(made) == {"light_video", "audio_only", "poster"}
    assert made["light_video"].height == 360
    keys = set(broker.keys(f"media-versions/{document.pk}/"))
    assert keys == {v.file.name for v in made.values()}
    body = broker.client().get_object(Bucket="aula-media", Key=made["light_video"].file.name)
    assert body["Body"].read()[4:8] == b"ftyp"

    # Staff download a version through a short-lived presigned URL.
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user(
        username="raiz-medios", is_superuser=True, is_staff=True
    )
    committed.append(staff)
    client = Client()
    client.force_login(staff)
    response = client.get(f"/documentos/{document.pk}/version/poster/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(broker.endpoint) and "X-Amz-Signature=" in location
    with urllib.request.urlopen(location) as download:  # noqa: S310 (local test server)
        assert download.read().startswith(b"\xff\xd8")

    # Deleting the document deletes its versions' files.
    Document.objects.filter(pk=document.pk).delete()
    assert broker.keys(f"media-versions/{document.pk}/") == []


def test_a_corrupt_upload_is_retried_by_the_worker_then_failed(broker, committed):
    worker = start_worker(broker)
    try:
        document = upload(committed, "roto.mp4", b"esto no es un video" * 100)
        processing = wait_for(lambda: processing_ended(document), 120, "the transcode to end")
        wait_for(
            lambda: [e for _, e in worker.task_lines(TRANSCODE)][-1:] == ["succeeded"],
            30,
            "the last try to end",
        )
    finally:
        worker.stop()
    events = [event for _, event in worker.task_lines(TRANSCODE)]
    assert events.count("retry") == 2, events  # AULA_MEDIA_MAX_RETRIES=2
    assert processing.status == "failed" and processing.attempts == 3
    assert "No se pudo leer el archivo" in processing.error
    assert broker.keys(f"media-versions/{document.pk}/") == []
