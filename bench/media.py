"""Light media: transcode time and sizes, and what a phone downloads to open a lesson.

1. Generates a 60 s 720p clip (ffmpeg testsrc2 + a tone, H.264/AAC at about 2.5 Mbps) and
   a 60 s stereo MP3 (128 kbps), then times making their light versions
   (content.media.process_document: download, ffprobe, ffmpeg, store) and prints each
   output's size.
2. Builds a lesson with one image, one video (with its poster) and one audio, and prints
   the bytes a phone receives when it opens the page as an enrolled learner: the HTML, CSS
   and JS (gzip-compressed, as the site serves them), the image rendition the phone picks
   (360 px wide) and the video poster. Video and audio are ``preload="none"``: nothing of
   them is downloaded until the learner presses play.

Runs against its own database and media folder under bench/out/ (see bench/common.py),
files on the local disk, ffmpeg in this process (as ``make run``, Celery eager).

    .venv/bin/python bench/media.py                 # --seconds 60 --height 720
"""

import argparse
import gzip
import os
import re
import subprocess
import time
from pathlib import Path

from common import OUT, configure, machine, prepare_site

configure(ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS", "testserver"))


def generate(path: Path, *args: str) -> Path:
    if not path.exists():
        command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)]
        subprocess.run(command, check=True)  # noqa: S603 (our own arguments)
    return path


def kb(size: int) -> str:
    return f"{size / 1024:,.1f} KB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument(
        "--lesson-only", action="store_true", help="keep the versions made by a previous run"
    )
    args = parser.parse_args()
    width = args.height * 16 // 9

    prepare_site(static=True)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.staticfiles import finders
    from django.core.files import File
    from django.test import Client
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from content import media
    from content.models import MediaVersion
    from courses.models import CoursePage, LessonPage
    from lms.enrollment import api as enrollment_api

    folder = OUT / "media-bench"
    folder.mkdir(exist_ok=True)
    seconds = str(args.seconds)
    clip = generate(
        folder / f"clip-{args.height}p-{seconds}s.mp4",
        *["-f", "lavfi", "-i", f"testsrc2=size={width}x{args.height}:rate=30:duration={seconds}"],
        *["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"],
        *["-c:v", "libx264", "-preset", "veryfast", "-b:v", "2500k", "-pix_fmt", "yuv420p"],
        *["-c:a", "aac", "-b:a", "128k", "-shortest"],
    )
    voice = generate(
        folder / f"voz-{seconds}s.mp3",
        *["-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}", "-ac", "2"],
        *["-b:a", "128k"],
    )

    Document = get_document_model()

    def document(path: Path):
        """A document saved without its post_save signal (no eager transcode): timed below."""
        found = Document.objects.filter(title=f"bench/{path.name}").first()
        if found:
            return found
        doc = Document(title=f"bench/{path.name}", file_size=path.stat().st_size)
        with path.open("rb") as handle:
            doc.file.save(path.name, File(handle), save=False)
        Document.objects.bulk_create([doc])
        return Document.objects.get(title=f"bench/{path.name}")

    print(f"{'file':<28}{'transcode s':>12}{'original':>12}  versions")
    docs = {}
    for name, path in (("video", clip), ("audio", voice)):
        doc = docs[name] = document(path)
        media.mark_pending(doc)
        start = time.perf_counter()
        media.process_document(doc.pk, force=not args.lesson_only)
        elapsed = time.perf_counter() - start
        made = MediaVersion.objects.filter(document=doc).order_by("kind")
        sizes = ", ".join(f"{v.kind} {kb(v.size)}" for v in made)
        print(f"{path.name:<28}{elapsed:>12.1f}{kb(path.stat().st_size):>12}  {sizes}")
    light = MediaVersion.objects.get(document=docs["video"], kind="light_video")
    kbps = light.size * 8 / light.duration / 1000
    print(f"light video: {light.width}x{light.height}, {kbps:.0f} kbps")

    # The lesson: one image, one video (poster), one audio.
    Image = get_image_model()
    image = Image.objects.filter(title__contains="portada").first()
    captions = Document.objects.filter(title="bench/clase.vtt").first()
    if captions is None:
        captions = Document(title="bench/clase.vtt")
        from django.core.files.base import ContentFile

        captions.file.save("clase.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:02.000\nHola.\n"))
    course = CoursePage.objects.get(slug="finanzas-personales")
    lesson = LessonPage.objects.filter(slug="bench-medios").first()
    body = [
        ("paragraph", "<p>Una lección con imagen, video y audio.</p>"),
        ("image", {"image": image, "alt": "Portada", "caption": ""}),
        (
            "video",
            {
                "title": "Video",
                "video": docs["video"],
                "embed_url": "",
                "captions": captions,
                "transcript": "<p>Transcripción.</p>",
                "low_data_video": None,
            },
        ),
        ("audio", {"title": "Audio", "audio": docs["audio"], "transcript": "<p>Texto.</p>"}),
    ]
    if lesson is None:
        lesson = LessonPage(title="Medios (bench)", slug="bench-medios", body=body)
        course.add_child(instance=lesson)
        lesson.save_revision().publish()

    learner, _created = get_user_model().objects.get_or_create(username="bench-medios")
    enrollment_api.enroll(user=learner, course=course)
    client = Client()
    client.force_login(learner)
    response = client.get(lesson.url)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    rows = [("HTML (gzip)", len(gzip.compress(response.content)))]
    for url in re.findall(r'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        name = url.removeprefix(settings.STATIC_URL).split("?")[0]
        path = Path(settings.STATIC_ROOT) / name  # collected (hashed names)
        if not path.exists():
            path = Path(finders.find(name))
        rows.append((f"{path.name} (gzip)", len(gzip.compress(path.read_bytes()))))
    # The phone (360 px wide, ~2x screen) takes the 720 px WebP of the srcset, or the
    # only <img src> when there is no srcset.
    webp = [tag for tag in re.findall(r"<source[^>]+>", html) if 'type="image/webp"' in tag]
    srcset = re.search(r'srcset="([^"]+)"', webp[0]) if webp else None
    if srcset:
        candidates = dict(
            reversed(part.strip().rsplit(" ", 1)) for part in srcset.group(1).split(",")
        )
        image_url = candidates.get("720w") or next(iter(candidates.values()))
    else:
        image_url = re.search(r'<img[^>]+src="([^"]+)"', html).group(1)
    poster_url = re.search(r'poster="([^"]+)"', html).group(1)
    for label, url in (("image rendition", image_url), ("video poster", poster_url)):
        got = client.get(url)
        body_bytes = b"".join(got.streaming_content) if got.streaming else got.content
        rows.append((f"{label} ({got['Content-Type']})", len(body_bytes)))
    for label, size in rows:
        print(f"  {label:<40}{kb(size):>12}")
    print(f"  {'total on opening the lesson':<40}{kb(sum(s for _, s in rows)):>12}")
    shown = re.search(r"Esta lección usa unos ([^<]+) de datos", html)
    print(f"  shown to the learner: {shown.group(0) if shown else '(nothing)'}")
    print(machine())


if __name__ == "__main__":
    main()
