"""An asesor adds every media block to a lesson in a real browser (headless Chromium), and
the learner gets them.

As an asesor assigned to the course, in Wagtail's page editor: an image uploaded through
the chooser's upload tab, a video uploaded as an MP4 with its captions (WebVTT) and a
transcript, an audio with its transcript, and a document to download; then "submit for
review" (Revisión pedagógica). A coordinator approves; the enrolled learner's lesson shows
the image (with its alt text), the video with its captions track, the audio and the
document link, and every file of the lesson is served to that learner and to no one who is
not enrolled.

Chromium's requests, uploads included (multipart), are answered by Django's test client
(``tests/browser.py``); the admin is used on a desktop-sized window.
"""

from __future__ import annotations

import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from courses import api as courses_api
from courses.models import LessonPage
from lms.accounts import roles
from tests.browser import requires_chromium

PlaywrightTimeoutError = pytest.importorskip("playwright.sync_api").TimeoutError

pytestmark = requires_chromium

FFMPEG = shutil.which("ffmpeg")
requires_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is not installed")

ALT = "Una pizza cortada en ocho partes iguales"
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:02.000\nUna pizza en ocho partes.\n"


@pytest.fixture(scope="module")
def media_files(tmp_path_factory) -> dict[str, Path]:
    """A PNG, a 2-second MP4 (H.264 + AAC), its WebVTT captions, an MP3 and a PDF."""
    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    folder = tmp_path_factory.mktemp("medios")
    files = {
        "image": folder / "pizza.png",
        "video": folder / "pizza.mp4",
        "captions": folder / "pizza.vtt",
        "audio": folder / "cuento.mp3",
        "document": folder / "ejercicios.pdf",
    }
    buffer = BytesIO()
    PILImage.new("RGB", (160, 120), (220, 120, 30)).save(buffer, "PNG")
    files["image"].write_bytes(buffer.getvalue())
    quiet = [FFMPEG, "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [
            *quiet,
            *("-f", "lavfi", "-i", "testsrc=size=320x240:rate=10"),
            *("-f", "lavfi", "-i", "sine"),
            *("-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"),
            "-shortest",
            str(files["video"]),
        ],
        check=True,
    )
    subprocess.run(
        [*quiet, "-f", "lavfi", "-i", "sine", "-t", "2", str(files["audio"])], check=True
    )
    files["captions"].write_text(CAPTIONS, encoding="utf-8")
    files["document"].write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return files


@pytest.fixture
def desk(phone):
    """The browser page, on a desktop-sized window for the admin."""
    phone.set_viewport_size({"width": 1280, "height": 900})
    return phone


def _add_block(page, label: str):
    """Add a block at the end of the lesson's body; return the new block's element."""
    before = page.locator("[data-streamfield-child]").count()
    page.locator("button.c-sf-add-button").last.click()
    page.get_by_role("option", name=label, exact=True).first.click()
    # A function, not an expression: Playwright evaluates an expression with eval(),
    # which the admin's Content-Security-Policy forbids.
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-streamfield-child]').length > {before}"
    )
    return page.locator("[data-streamfield-child]").nth(before)


def _field(block, name: str):
    return block.locator(f'[data-contentpath="{name}"]').first


def _upload_in_chooser(page, field, kind: str, file: Path, title: str, extra=None) -> None:
    """Open ``field``'s chooser, upload ``file`` in its upload tab, and wait until it is
    chosen."""
    button = field.locator("[data-chooser-action-choose]").first
    # A block just added may not have its chooser wired yet: a click then opens nothing
    # (seen on a loaded CI machine). Click again only if no chooser was asked for, so a
    # slow chooser is waited for rather than opened twice.
    for _try in range(5):
        try:
            with page.expect_request(lambda request: "/chooser/" in request.url, timeout=5000):
                button.click()
            break
        except PlaywrightTimeoutError:
            continue
    modal = page.locator(".modal-content").first
    modal.wait_for(state="visible")
    modal.locator('[role="tab"][href="#tab-upload"], a[href="#tab-upload"]').first.click()
    prefix = f"#id_{kind}-chooser-upload"
    modal.locator(f"{prefix}-title").fill(title)
    modal.locator(f"{prefix}-file").set_input_files(str(file))
    for suffix, value in (extra or {}).items():
        modal.locator(f"{prefix}-{suffix}").fill(value)
    modal.locator(f"{prefix}-title").fill(title)  # a chosen file may have filled it
    modal.locator('form[action*="/chooser/create/"] [type="submit"]').first.click()
    page.locator(".modal-content").wait_for(state="detached")
    field.locator("[data-chooser-title]").filter(has_text=title).wait_for()


def _type_rich_text(field, text: str) -> None:
    editor = field.locator('[contenteditable="true"]').first
    editor.click()
    editor.type(text)


@requires_ffmpeg
def test_an_asesor_adds_every_media_block_and_the_learner_gets_them(
    db, desk, client, make_user, course, enrolled, media_files, django_capture_on_commit_callbacks
):
    asesor = make_user("asesora-medios", roles.ASESOR)
    coordinator = make_user("coordinadora-medios", roles.COORDINADOR)
    outsider = make_user("sin-inscripcion", roles.EDUCANDO)
    courses_api.assign_asesores(course=course, users=[asesor])
    lesson = LessonPage.objects.descendant_of(course).live().first()
    blocks_before = len(lesson.body)
    errors: list[str] = []
    desk.on("pageerror", lambda error: errors.append(str(error)))

    client.force_login(asesor)
    desk.goto(f"http://testserver/admin/pages/{lesson.pk}/edit/")

    image = _add_block(desk, "Imagen")
    _upload_in_chooser(
        desk,
        _field(image, "image"),
        "image",
        media_files["image"],
        "Pizza en ocho",
        extra={"description": ALT},
    )
    _field(image, "alt").locator("input").fill(ALT)

    video = _add_block(desk, "Video")
    _field(video, "title").locator("input").fill("Cómo se reparte una pizza")
    _upload_in_chooser(
        desk, _field(video, "video"), "document", media_files["video"], "Video pizza"
    )
    _upload_in_chooser(
        desk, _field(video, "captions"), "document", media_files["captions"], "Subtítulos pizza"
    )
    _type_rich_text(_field(video, "transcript"), "Partimos la pizza en ocho partes iguales.")

    audio = _add_block(desk, "Audio")
    _field(audio, "title").locator("input").fill("Un cuento de fracciones")
    _upload_in_chooser(desk, _field(audio, "audio"), "document", media_files["audio"], "Cuento")
    _type_rich_text(_field(audio, "transcript"), "Había una vez una pizza.")

    document = _add_block(desk, "Documento para descargar")
    _upload_in_chooser(
        desk, _field(document, "document"), "document", media_files["document"], "Ejercicios"
    )
    _field(document, "title").locator("input").fill("Ejercicios para practicar")

    # Submit for the pedagogical review (the asesor cannot publish).
    desk.locator(
        "footer [data-w-dropdown-target='toggle'], footer .w-dropdown__toggle"
    ).last.click()
    with django_capture_on_commit_callbacks(execute=True):
        desk.locator('button[name="action-submit"]').click()
        desk.wait_for_load_state("load")
    assert errors == []
    assert desk.external == []
    assert [served for served in desk.served if served[2] >= 500] == []

    lesson.refresh_from_db()
    workflow_state = lesson.current_workflow_state
    assert workflow_state is not None, "the lesson was not submitted for review"
    assert workflow_state.requested_by == asesor
    assert workflow_state.workflow.name == "Revisión pedagógica"
    draft = lesson.get_latest_revision_as_object()
    kinds = [block.block_type for block in draft.body]
    assert kinds[blocks_before:] == ["image", "video", "audio", "document"]
    assert len(lesson.body) == blocks_before  # nothing is live before the review
    # Every file went to the course's collection.
    collection = courses_api.course_collection(course)
    uploaded = [
        get_image_model().objects.get(title="Pizza en ocho"),
        *get_document_model().objects.filter(
            title__in=["Video pizza", "Subtítulos pizza", "Cuento", "Ejercicios"]
        ),
    ]
    assert len(uploaded) == 5
    assert {item.collection_id for item in uploaded} == {collection.pk}
    assert {item.uploaded_by_user_id for item in uploaded} == {asesor.pk}

    # A coordinator approves (the review itself is tested in tests/courses).
    task_state = workflow_state.current_task_state
    with django_capture_on_commit_callbacks(execute=True):
        task_state.task.specific.on_action(task_state, coordinator, "approve")
    lesson.refresh_from_db()
    assert [block.block_type for block in lesson.body][blocks_before:] == kinds[blocks_before:]

    # The enrolled learner sees every block, on the phone.
    client.force_login(enrolled)
    desk.set_viewport_size({"width": 360, "height": 740})
    desk.goto(f"http://testserver{lesson.url}")
    assert desk.locator(f'img[alt="{ALT}"]').count() == 1
    assert desk.locator("video track[kind='captions']").count() == 1
    assert desk.locator("audio").count() == 1
    download = desk.get_by_role("link", name="Ejercicios para practicar")
    assert download.count() == 1
    files = desk.evaluate(
        """() => [...document.querySelectorAll(
            'video, video source, video track, audio, audio source'
        )].map(e => e.getAttribute('src')).filter(Boolean)"""
    )
    files.append(download.get_attribute("href"))
    assert len(files) >= 4, files  # video, captions, audio, document
    for url in files:
        response = client.get(url)
        assert response.status_code == 200, url
        # Read the body to its end, as a browser would: the test client then ends the
        # request itself. (Calling ``response.close()`` here would fire request_finished
        # with Django's connection clean-up on, which closes the test's PostgreSQL
        # connection in the middle of its transaction.)
        body = response.getvalue() if response.streaming else response.content
        assert body, url
    # Nobody who is not enrolled gets them.
    client.force_login(outsider)
    for url in files:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
    client.logout()
    for url in files:
        assert client.get(url).status_code in (302, 403, 404), url
