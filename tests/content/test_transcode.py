"""Light versions of uploaded videos and audios (content/media.py), made by ffmpeg in the
Celery task (eager here; tests/content/test_transcode_worker.py runs a real worker on S3),
what lessons offer learners, who may download them, and the checks on upload."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form

from content.forms import validate_webvtt
from content.models import MediaProcessing, MediaVersion
from lms.enrollment import api as enrollment_api
from tests.factories.pages import add_lesson

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")

Document = get_document_model()
VTT = b"WEBVTT\n\n00:00.000 --> 00:01.500\nHola.\n\n00:01.500 --> 00:02.000\nAdios.\n"


def generate(path: Path, *args: str) -> bytes:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)],  # noqa: S607
        check=True,
        timeout=120,
    )
    return path.read_bytes()


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, bytes]:
    """2 s test clips: 320x240 and 1280x720 (testsrc + a 440 Hz sine), and a stereo MP3."""
    folder = tmp_path_factory.mktemp("clips")
    video = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]
    sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"]
    return {
        "small": generate(
            folder / "small.mp4",
            *["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", *sine, *video],
        ),
        "hd": generate(
            folder / "hd.mp4",
            *["-f", "lavfi", "-i", "testsrc=size=1280x720:rate=25:duration=2", *sine, *video],
        ),
        "mp3": generate(
            folder / "voz.mp3",
            *["-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-ac", "2", "-b:a", "128k"],
        ),
    }


@pytest.fixture
def upload(db, django_capture_on_commit_callbacks):
    """``upload(name, content)``: a document saved as the admin saves it; the task queued
    on commit runs (eagerly) before this returns."""

    def make(name: str, content: bytes, document=None):
        document = document or Document(title=name)
        with django_capture_on_commit_callbacks(execute=True):
            document.file.save(name, ContentFile(content), save=False)
            document.file_size = len(content)
            document.save()
        document.refresh_from_db()
        return document

    return make


def ffprobe(data: bytes, suffix: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format",  # noqa: S607
             "-show_streams", handle.name],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
    return json.loads(out)


def versions(document) -> dict[str, MediaVersion]:
    return {v.kind: v for v in MediaVersion.objects.filter(document=document)}


def read(version: MediaVersion) -> bytes:
    with version.file.open("rb") as handle:
        return handle.read()


def by_type(info, codec_type):
    return [s for s in info["streams"] if s["codec_type"] == codec_type]


# --- Transcoding ----------------------------------------------------------------------------


def test_a_video_gets_a_light_version_an_audio_only_version_and_a_poster(upload, clips):
    document = upload("clase.mp4", clips["small"])
    processing = MediaProcessing.objects.get(document=document)
    assert processing.status == "done", processing.error
    assert processing.duration == pytest.approx(2, abs=0.2)
    made = versions(document)
    assert set(made) == {"light_video", "audio_only", "poster"}

    light = read(made["light_video"])
    info = ffprobe(light, ".mp4")
    (video,) = by_type(info, "video")
    (audio,) = by_type(info, "audio")
    assert video["codec_name"] == "h264" and audio["codec_name"] == "aac"
    assert video["height"] == 240  # never upscaled
    assert audio["channels"] == 1
    assert int(info["format"]["bit_rate"]) <= 300_000
    assert float(info["format"]["duration"]) == pytest.approx(2, abs=0.2)
    assert light.index(b"moov") < light.index(b"mdat")  # faststart: playable while loading
    assert made["light_video"].size == len(light)

    only_audio = ffprobe(read(made["audio_only"]), ".m4a")
    (audio,) = only_audio["streams"]
    assert audio["codec_type"] == "audio" and audio["channels"] == 1
    assert int(audio["bit_rate"]) <= 48_000

    poster = read(made["poster"])
    assert poster.startswith(b"\xff\xd8")  # JPEG
    assert made["poster"].height == 240


def test_a_720p_video_is_brought_down_to_360p(upload, clips):
    document = upload("grande.mp4", clips["hd"])
    info = ffprobe(read(versions(document)["light_video"]), ".mp4")
    (video,) = by_type(info, "video")
    assert (video["width"], video["height"]) == (640, 360)
    assert int(info["format"]["bit_rate"]) <= 300_000


def test_an_audio_is_compressed_to_mono_under_48_kbps(upload, clips):
    document = upload("voz.mp3", clips["mp3"])
    made = versions(document)
    assert set(made) == {"compressed_audio"}
    info = ffprobe(read(made["compressed_audio"]), ".m4a")
    (audio,) = by_type(info, "audio")
    assert audio["codec_name"] == "aac" and audio["channels"] == 1
    assert int(audio["bit_rate"]) <= 48_000
    assert made["compressed_audio"].size < len(clips["mp3"])


def test_other_documents_are_left_alone(upload):
    document = upload("guia.pdf", b"%PDF-1.4")
    assert not MediaProcessing.objects.filter(document=document).exists()


def test_a_corrupt_video_is_retried_then_reported_as_failed(upload):
    document = upload("roto.mp4", b"esto no es un video" * 100)
    processing = MediaProcessing.objects.get(document=document)
    assert processing.status == "failed"
    assert processing.attempts == settings.AULA_MEDIA_MAX_RETRIES + 1  # the first try + retries
    assert "No se pudo leer el archivo" in processing.error
    assert not MediaVersion.objects.filter(document=document).exists()


def test_without_ffmpeg_the_upload_works_and_the_author_is_told(upload, clips, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(
        "content.media.shutil.which",
        lambda name: None if name in ("ffmpeg", "ffprobe") else real_which(name),
    )
    document = upload("clase.mp4", clips["small"])
    processing = MediaProcessing.objects.get(document=document)
    assert processing.status == "failed"
    assert processing.attempts == 1  # retrying would not help
    assert "no tiene instalado ffprobe" in processing.error
    assert Document.objects.filter(pk=document.pk).exists()


def test_replacing_the_file_redoes_the_versions_and_removes_the_old_ones(upload, clips):
    document = upload("clase.mp4", clips["small"])
    old = versions(document)
    storage = old["light_video"].file.storage
    assert all(storage.exists(v.file.name) for v in old.values())
    document = upload("clase-nueva.mp4", clips["hd"], document=document)
    new = versions(document)
    assert set(new) == set(old)
    assert all(v.source == document.file.name for v in new.values())
    assert new["light_video"].height == 360
    assert not any(storage.exists(v.file.name) for v in old.values())
    assert all(storage.exists(v.file.name) for v in new.values())


def test_running_the_task_again_keeps_one_set_of_versions(upload, clips):
    from content.tasks import transcode_media

    document = upload("clase.mp4", clips["small"])
    before = {v.pk for v in versions(document).values()}
    transcode_media.delay(document.pk)  # a duplicate message: nothing to do
    assert {v.pk for v in versions(document).values()} == before
    transcode_media.delay(document.pk, force=True)  # asked again: made anew
    assert len(versions(document)) == 3
    assert {v.pk for v in versions(document).values()}.isdisjoint(before)


# --- The lesson ---------------------------------------------------------------------------


@pytest.fixture
def media_lesson(course, upload, clips):
    """A lesson with a video (captions, transcript) and an audio, their versions made."""
    video = upload("clase.mp4", clips["small"])
    captions = upload("clase.vtt", VTT)
    audio = upload("voz.mp3", clips["mp3"])
    body = [
        ("paragraph", "<p>Vea el video.</p>"),
        (
            "video",
            {
                "title": "Las fracciones",
                "video": video,
                "embed_url": "",
                "captions": captions,
                "transcript": "<p>Hola.</p>",
                "low_data_video": None,
            },
        ),
        ("audio", {"title": "Escuche", "audio": audio, "transcript": "<p>Un tono.</p>"}),
    ]
    lesson = add_lesson(parent=course, slug="con-medios", title="Con medios", body=body)
    return lesson, video, audio


def version_url(document, kind):
    return f"/documentos/{document.pk}/version/{kind}/"


def test_the_lesson_offers_the_light_versions_with_their_size(client, enrolled, media_lesson):
    lesson, video, audio = media_lesson
    client.force_login(enrolled)
    html = client.get(lesson.url).content.decode()
    light, only_audio, poster = (
        versions(video)[k] for k in ("light_video", "audio_only", "poster")
    )
    compressed = versions(audio)["compressed_audio"]
    assert f'<source src="{version_url(video, "light_video")}" type="video/mp4">' in html
    assert f'poster="{version_url(video, "poster")}"' in html
    assert 'preload="none"' in html
    assert video.url not in html  # the original is for staff
    assert f'src="{version_url(audio, "compressed_audio")}"' in html and audio.url not in html
    assert "Duración: 0:02" in html
    mb = light.size / 1024 / 1024
    assert f"Versión ligera: {mb:.1f} MB" in html
    assert f"Solo audio: {only_audio.size / 1024 / 1024:.1f} MB" in html
    total = (light.size + compressed.size) / 1024 / 1024
    assert f"Esta lección usa unos {total:.1f} MB de datos" in html
    assert poster.size > 0


def test_staff_also_get_the_original(client, asesor, media_lesson):
    lesson, video, _audio = media_lesson
    client.force_login(asesor)
    html = client.get(lesson.url).content.decode()
    assert f'href="{video.url}"' in html and "Original, solo para el equipo" in html


def test_a_failed_video_falls_back_to_the_original_and_links_nothing_missing(
    client, enrolled, course, upload
):
    broken = upload("roto.mp4", b"no es video" * 50)
    captions = upload("roto.vtt", VTT)
    value = {
        "title": "Roto",
        "video": broken,
        "embed_url": "",
        "captions": captions,
        "transcript": "<p>Hola.</p>",
        "low_data_video": None,
    }
    lesson = add_lesson(parent=course, slug="video-roto", body=[("video", value)])
    client.force_login(enrolled)
    response = client.get(lesson.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<source src="{broken.url}">' in html
    assert "/version/" not in html and "poster=" not in html
    assert "Este video usa unos" in html


def test_the_authors_are_told_in_the_admin(client, make_user, course, upload):
    from lms.accounts import roles

    editor = make_user("raiz", roles.ADMINISTRADOR, is_superuser=True, is_staff=True)
    broken = upload("roto.mp4", b"no es video" * 50)
    captions = upload("roto.vtt", VTT)
    value = {
        "title": "Roto",
        "video": broken,
        "embed_url": "",
        "captions": captions,
        "transcript": "<p>Hola.</p>",
        "low_data_video": None,
    }
    lesson = add_lesson(parent=course, slug="video-roto", body=[("video", value)])
    client.force_login(editor)
    html = client.get(f"/admin/pages/{lesson.pk}/edit/").content.decode()
    assert "No se pudo preparar la versión ligera de «roto.mp4»" in html
    html = client.get(f"/admin/documents/edit/{broken.pk}/").content.decode()
    assert "No se pudo preparar la versión ligera de este archivo" in html
    assert "No se pudo leer el archivo" in html


def test_a_manual_light_version_wins(client, enrolled, course, upload, clips):
    video = upload("clase.mp4", clips["hd"])
    manual = upload("clase-ligera.mp4", clips["small"])
    value = {
        "title": "Con versión propia",
        "video": video,
        "embed_url": "",
        "captions": upload("c.vtt", VTT),
        "transcript": "<p>Hola.</p>",
        "low_data_video": manual,
    }
    lesson = add_lesson(parent=course, slug="manual", body=[("video", value)])
    client.force_login(enrolled)
    html = client.get(lesson.url).content.decode()
    assert f'<source src="{manual.url}" type="video/mp4">' in html
    assert f'poster="{version_url(video, "poster")}"' in html  # the rest still made for it


def test_lesson_queries_do_not_grow_with_media_blocks(client, enrolled, course, upload, clips):
    video = upload("clase.mp4", clips["small"])
    audio = upload("voz.mp3", clips["mp3"])
    captions = upload("c.vtt", VTT)

    def block(n):
        return [
            (
                "video",
                {
                    "title": f"Video {n}",
                    "video": video,
                    "embed_url": "",
                    "captions": captions,
                    "transcript": "<p>Hola.</p>",
                    "low_data_video": None,
                },
            ),
            ("audio", {"title": f"Audio {n}", "audio": audio, "transcript": "<p>T.</p>"}),
        ]

    one = add_lesson(parent=course, slug="uno", body=block(1))
    four = add_lesson(parent=course, slug="cuatro", body=[b for n in range(4) for b in block(n)])
    client.force_login(enrolled)

    def queries(page):
        client.get(page.url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page.url).status_code == 200
        return len(ctx.captured_queries)

    assert queries(one) == queries(four)


# --- Who may download a version -----------------------------------------------------------


def test_versions_are_served_like_their_document(client, educando, course, media_lesson):
    _lesson, video, _audio = media_lesson
    url = version_url(video, "light_video")
    response = client.get(url)
    assert response.status_code == 302 and "/cuenta/entrar/" in response["Location"]
    client.force_login(educando)
    assert client.get(url).status_code == 403
    enrollment_api.enroll(user=educando, course=course)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == read(versions(video)["light_video"])
    assert client.get(version_url(video, "compressed_audio")).status_code == 404
    assert client.get(version_url(video, "nada")).status_code == 404


def test_phones_get_the_video_in_byte_ranges(client, asesor, upload, clips):
    video = upload("clase.mp4", clips["small"])
    whole = read(versions(video)["light_video"])
    url = version_url(video, "light_video")
    client.force_login(asesor)
    response = client.get(url, HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206 and response.content == whole[:100]
    assert response["Content-Range"] == f"bytes 0-99/{len(whole)}"
    response = client.get(url, HTTP_RANGE="bytes=-10")
    assert response.status_code == 206 and response.content == whole[-10:]
    response = client.get(url, HTTP_RANGE=f"bytes={len(whole)}-")
    assert response.status_code == 416
    response = client.get(url)
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"


def test_a_version_of_an_unused_document_is_for_staff_only(client, educando, asesor, upload, clips):
    video = upload("suelto.mp4", clips["small"])
    url = version_url(video, "poster")
    client.force_login(educando)
    assert client.get(url).status_code == 403
    client.force_login(asesor)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


# --- Checks on upload ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"00:00.000 --> 00:01.000\nHola\n", "Línea 1: el archivo debe empezar con la palabra"),
        (b"WEBVTT\n\n00:00.000 --> 00:01.000\nHola\n\n00:02 --> 00:03.000\nY\n", "Línea 6:"),
        (b"WEBVTT\n\n00:05.000 --> 00:01.000\nHola\n", "Línea 3: el subtítulo debe terminar"),
        (b"WEBVTT\n\n00:01.000 --> 00:02.000\nA\xf1o\n", "Línea 4: el archivo de subtítulos"),
        (b"WEBVTT\n", "no tiene ningún subtítulo"),
    ],
)
def test_bad_subtitles_name_the_line(content, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        validate_webvtt(content)
    assert message in info.value.messages[0]


def test_good_subtitles_pass():
    validate_webvtt(VTT)
    validate_webvtt(
        "\ufeffWEBVTT - Clase 1\r\n\r\n01:00:00.000 --> 01:00:02.500 align:start\r\nSí\r\n".encode()
    )


def _form(name, content):
    from wagtail.models import Collection

    form_class = get_document_form(Document)
    return form_class(
        data={"title": name, "collection": Collection.get_first_root_node().pk},
        files={"file": SimpleUploadedFile(name, content)},
        user=None,
    )


def test_the_admin_form_checks_subtitles_and_videos(db, clips):
    form = _form("malos.vtt", b"WEBVTT\n\n00:00.000 -> 00:01.000\nHola\n")
    assert not form.is_valid()
    assert form.errors["file"] == [
        "Línea 3: el tiempo debe escribirse así: 00:01.000 --> 00:04.000 "
        "(minutos:segundos.milésimas)."
    ]
    form = _form("no-es-video.mp4", b"%PDF-1.4 hola")
    assert not form.is_valid()
    assert "no es un video" in form.errors["file"][0]
    form = _form("solo-tono.mp4", clips["mp3"])  # sound but no picture
    assert not form.is_valid()
    assert _form("bien.vtt", VTT).is_valid()
    assert _form("bien.mp4", clips["small"]).is_valid()
