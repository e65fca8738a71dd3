"""Light versions of uploaded videos and audios, made with ffmpeg (a Debian package that
``scripts/system-deps.sh`` installs).

When a video or audio document is uploaded, or its file replaced, ``transcode_media``
(``content/tasks.py``) is queued after commit. It downloads the original through the
default storage (local disk or S3) into a temporary folder and makes:

- for a video: a light video (at most 360 lines high, never upscaled; H.264 at about
  200 kbps with a 240 kbps ceiling plus AAC mono 44 kbps, so at most about 300 kbps; moov
  atom first, ``+faststart``, so a phone can start playing before the end arrives), an
  audio-only version (AAC mono, under 48 kbps) and a poster (JPEG, a frame at about 1 s);
- for an audio: a normalised (EBU R128 ``loudnorm``), mono, AAC version under 48 kbps.

The original is kept for staff. Pages offer only versions of the document's *current*
file that are finished (``offers``): while a version is being made, or if making it
failed, the page offers the original, so it never links a missing file.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from wagtail.documents import get_document_model

from content.models import MediaProcessing, MediaVersion

logger = logging.getLogger(__name__)

VIDEO_EXTENSIONS = ("mp4", "webm")
AUDIO_EXTENSIONS = ("mp3", "m4a", "ogg")
KIND = MediaVersion.Kind
# Never upscale; an even height for H.264 (4:2:0).
SCALE_360 = "scale=-2:'2*trunc(min(360,ih)/2)'"
LIGHT_VIDEO_ARGS = [
    "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
    "-b:v", "200k", "-maxrate", "240k", "-bufsize", "480k",
]  # fmt: skip
# 44 kbps asked: the AAC encoder lands a little above its target, still under 48 kbps.
AAC_MONO = ["-c:a", "aac", "-b:a", "44k", "-ac", "1", "-ar", "44100"]
LOUDNORM = "loudnorm=I=-16:TP=-1.5:LRA=11"


class MediaError(Exception):
    """Making a version failed; ``message`` is for the author, in Spanish."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ToolMissing(MediaError):
    """ffmpeg or ffprobe is not installed: trying again will not help."""


def media_kind(document) -> str | None:
    """ "video", "audio" or None, by the document's file extension."""
    if document is None or not document.file:
        return None
    extension = PurePosixPath(document.file.name).suffix.lower().lstrip(".")
    if extension in VIDEO_EXTENSIONS:
        return "video"
    if extension in AUDIO_EXTENSIONS:
        return "audio"
    return None


# --- ffmpeg and ffprobe -----------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(
            gettext(
                "No se pudo procesar el archivo: el servidor no tiene instalado %(tool)s. "
                "Avise al equipo técnico."
            )
            % {"tool": name}
        )
    return path


def _run(args: list[str], *, timeout: float | None = None) -> str:
    timeout = timeout or settings.AULA_FFMPEG_TIMEOUT
    try:
        done = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
            args, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(
            gettext("El archivo tardó más de %(minutes)s minutos en procesarse.")
            % {"minutes": round(timeout / 60)}
        ) from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        logger.warning("%s failed: %s", args[0], "\n".join(detail[-5:]))
        raise MediaError(
            gettext("No se pudo leer el archivo como video o audio (%(detail)s).")
            % {"detail": (detail[-1] if detail else str(done.returncode))[:200]}
        )
    return done.stdout.decode("utf-8", "replace")


def probe(path: Path | str) -> dict[str, Any]:
    """ffprobe's description of a file: its format and streams."""
    out = _run(
        [_tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
         "-show_streams", str(path)],
        timeout=120,
    )  # fmt: skip
    return json.loads(out or "{}")


def streams(info: dict[str, Any], codec_type: str) -> list[dict[str, Any]]:
    """The streams of ``codec_type`` ("video", "audio"); a cover picture is not video."""
    return [
        stream
        for stream in info.get("streams", [])
        if stream.get("codec_type") == codec_type
        and not stream.get("disposition", {}).get("attached_pic")
    ]


def duration_of(info: dict[str, Any]) -> float | None:
    try:
        return float(info["format"]["duration"])
    except (KeyError, TypeError, ValueError):
        return None


def _ffmpeg(*args: str) -> None:
    _run([_tool("ffmpeg"), "-nostdin", "-y", "-v", "error", *args])


def make_video_versions(source: Path, folder: Path) -> dict[str, Path]:
    """The light video, the audio-only version and the poster of ``source``."""
    info = probe(source)
    if not streams(info, "video"):
        raise MediaError(gettext("El archivo no contiene video."))
    has_audio = bool(streams(info, "audio"))
    duration = duration_of(info) or 0
    outputs = {KIND.LIGHT_VIDEO: folder / "ligero.mp4", KIND.POSTER: folder / "portada.jpg"}
    audio = AAC_MONO if has_audio else ["-an"]
    _ffmpeg("-i", str(source), "-map", "0:v:0", *(["-map", "0:a:0"] if has_audio else []),
            "-vf", SCALE_360, *LIGHT_VIDEO_ARGS, *audio, "-movflags", "+faststart",
            str(outputs[KIND.LIGHT_VIDEO]))  # fmt: skip
    if has_audio:
        outputs[KIND.AUDIO_ONLY] = folder / "solo-audio.m4a"
        _ffmpeg("-i", str(source), "-vn", *AAC_MONO, "-movflags", "+faststart",
                str(outputs[KIND.AUDIO_ONLY]))  # fmt: skip
    at = f"{min(1.0, duration / 2):.3f}"
    _ffmpeg("-ss", at, "-i", str(source), "-frames:v", "1", "-vf", SCALE_360, "-q:v", "5",
            str(outputs[KIND.POSTER]))  # fmt: skip
    return outputs


def make_audio_versions(source: Path, folder: Path) -> dict[str, Path]:
    """The normalised, compressed, mono version of an audio."""
    info = probe(source)
    if not streams(info, "audio"):
        raise MediaError(gettext("El archivo no contiene audio."))
    output = folder / "comprimido.m4a"
    _ffmpeg("-i", str(source), "-vn", "-af", LOUDNORM, *AAC_MONO, "-movflags",
            "+faststart", str(output))  # fmt: skip
    return {KIND.COMPRESSED_AUDIO: output}


CONTENT_TYPES = {".mp4": "video/mp4", ".m4a": "audio/mp4", ".jpg": "image/jpeg"}


# --- Processing a document ---------------------------------------------------------------


def mark_pending(document) -> bool:
    """Note that ``document``'s current file needs versions. True when it did (a new or
    replaced file), so the caller queues the work; False when they exist or are underway."""
    name = document.file.name
    processing = MediaProcessing.objects.filter(document=document).first()
    if processing is not None and processing.source == name:
        return False
    MediaProcessing.objects.update_or_create(
        document=document,
        defaults={
            "source": name,
            "status": MediaProcessing.Status.PENDING,
            "attempts": 0,
            "error": "",
            "duration": None,
        },
    )
    return True


def _record(document_id: int, source: str, **fields) -> None:
    MediaProcessing.objects.filter(document_id=document_id, source=source).update(**fields)


def process_document(document_id: int, *, final_attempt: bool = True, force: bool = False):
    """Make the versions of a document's current file and store them, replacing any older
    ones (and deleting their files after commit). Idempotent: done versions of the same file
    are kept unless ``force``. Raises ``MediaError`` (or a storage error) on failure, after
    noting it for the author: "failed" when ``final_attempt`` or when ffmpeg is missing,
    otherwise still "pending" (the task retries)."""
    document = get_document_model().objects.filter(pk=document_id).first()
    kind = media_kind(document)
    if kind is None:
        return None
    source = document.file.name
    processing, _created = MediaProcessing.objects.get_or_create(
        document=document, defaults={"source": source}
    )
    if processing.source != source:  # replaced since it was queued: make the current one
        mark_pending(document)
        processing.refresh_from_db()
    current = set(
        MediaVersion.objects.filter(document=document, source=source).values_list("kind", flat=True)
    )
    if processing.status == MediaProcessing.Status.DONE and current and not force:
        return processing
    _record(
        document_id,
        source,
        status=MediaProcessing.Status.RUNNING,
        attempts=processing.attempts + 1,
    )
    stored: list[str] = []
    storage = MediaVersion._meta.get_field("file").storage
    try:
        with tempfile.TemporaryDirectory(prefix="aula-medios-") as tmp:
            folder = Path(tmp)
            original = folder / f"original{PurePosixPath(source).suffix.lower()}"
            with document.file.open("rb") as handle, original.open("wb") as out:
                shutil.copyfileobj(handle, out, 1024 * 1024)
            document.file.close()
            make = make_video_versions if kind == "video" else make_audio_versions
            outputs = make(original, folder)
            duration = duration_of(probe(original))
            rows = []
            stem = PurePosixPath(source).stem[:60]
            for version_kind, path in outputs.items():
                info = probe(path)
                video = (streams(info, "video") or [{}])[0]
                with path.open("rb") as handle:
                    name = storage.save(
                        f"media-versions/{document_id}/{stem}-{path.name}", File(handle)
                    )
                stored.append(name)
                rows.append(
                    MediaVersion(
                        document_id=document_id,
                        source=source,
                        kind=version_kind,
                        file=name,
                        content_type=CONTENT_TYPES[path.suffix],
                        size=path.stat().st_size,
                        width=video.get("width"),
                        height=video.get("height"),
                        duration=duration_of(info) if version_kind != KIND.POSTER else None,
                    )
                )
        _save_versions(document_id, source, rows, stored, duration)
    except Exception as exc:
        for name in stored:
            storage.delete(name)
        message = (
            exc.message
            if isinstance(exc, MediaError)
            else gettext("No se pudo leer o guardar el archivo; se intentará de nuevo.")
        )
        failed = final_attempt or isinstance(exc, ToolMissing)
        if failed and not isinstance(exc, MediaError):
            message = gettext("No se pudo leer o guardar el archivo.")
        _record(
            document_id,
            source,
            status=MediaProcessing.Status.FAILED if failed else MediaProcessing.Status.PENDING,
            error=message,
        )
        raise
    return MediaProcessing.objects.filter(document_id=document_id).first()


def _save_versions(document_id, source, rows, stored, duration) -> None:
    storage = MediaVersion._meta.get_field("file").storage
    with transaction.atomic():
        document = get_document_model().objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.file.name != source:  # deleted or replaced meanwhile
            transaction.on_commit(lambda: [storage.delete(name) for name in stored])
            return
        # Older versions go, their files after commit (``version_deleted``, apps.py).
        MediaVersion.objects.filter(document_id=document_id).delete()
        MediaVersion.objects.bulk_create(rows)
        MediaProcessing.objects.filter(document_id=document_id).update(
            source=source, status=MediaProcessing.Status.DONE, error="", duration=duration
        )


def queue_if_needed(document) -> None:
    """After a document is saved: if it is a video or audio whose file is new, queue its
    versions after commit (a failure to queue is logged, never breaks the upload)."""
    if media_kind(document) is None:
        # No longer a video or audio (its file replaced by a PDF…): its versions go.
        MediaVersion.objects.filter(document=document).delete()
        MediaProcessing.objects.filter(document=document).delete()
        return
    if not mark_pending(document):
        return
    document_id = document.pk

    def queue():
        from content.tasks import transcode_media

        transcode_media.delay(document_id)

    transaction.on_commit(queue, robust=True)


def delete_version_files(versions) -> None:
    storage = MediaVersion._meta.get_field("file").storage
    names = [v.file.name for v in versions]
    transaction.on_commit(lambda: [storage.delete(name) for name in names], robust=True)


# --- What a page offers -------------------------------------------------------------------


@dataclass
class Offer:
    """The finished versions of one document's current file."""

    document_id: int
    versions: dict[str, MediaVersion] = field(default_factory=dict)

    def get(self, kind: str) -> MediaVersion | None:
        return self.versions.get(kind)

    @property
    def light_video(self):
        return self.get(KIND.LIGHT_VIDEO)

    @property
    def audio_only(self):
        return self.get(KIND.AUDIO_ONLY)

    @property
    def poster(self):
        return self.get(KIND.POSTER)

    @property
    def compressed_audio(self):
        return self.get(KIND.COMPRESSED_AUDIO)

    @property
    def duration(self) -> float | None:
        for version in self.versions.values():
            if version.duration:
                return version.duration
        return None


def version_url(version: MediaVersion) -> str:
    return reverse("media_version", args=(version.document_id, version.kind))


def attach_offers(documents) -> None:
    """Give each video or audio document of ``documents`` its ``Offer``, in one query."""
    media = [d for d in documents if media_kind(d) is not None and "_offer" not in d.__dict__]
    if not media:
        return
    found: dict[int, dict[str, MediaVersion]] = {}
    for version in MediaVersion.objects.filter(document_id__in={d.pk for d in media}):
        found.setdefault(version.document_id, {})[version.kind] = version
    for document in media:
        versions = found.get(document.pk, {})
        document._offer = Offer(
            document.pk,
            {k: v for k, v in versions.items() if v.source == document.file.name},
        )


def offer_for(document) -> Offer | None:
    if media_kind(document) is None:
        return None
    attach_offers([document])
    return document._offer


def megabytes(size: int | None) -> str:
    """ "2.1 MB" (MB of 1024 × 1024 bytes, as Django's filesizeformat) in the active
    language's number format (es-MX: a decimal point)."""
    return gettext("%(mb)s MB") % {
        "mb": number_format((size or 0) / (1024 * 1024), decimal_pos=1, use_l10n=True)
    }


def offered_bytes(block_type: str, value) -> int:
    """What a learner downloads who plays this block's video or audio: the light version
    when there is one, else the original."""
    if block_type == "video" and value.get("video"):
        manual = value.get("low_data_video")
        if manual:
            return manual.file_size or 0
        offer = offer_for(value["video"])
        light = offer.light_video if offer else None
        return light.size if light else value["video"].file_size or 0
    if block_type == "audio" and value.get("audio"):
        offer = offer_for(value["audio"])
        compressed = offer.compressed_audio if offer else None
        return compressed.size if compressed else value["audio"].file_size or 0
    return 0


def stream_media_bytes(stream) -> int:
    """The data a learner spends playing every video and audio of a lesson body. A body
    without either is not even read (no picture or document is looked up)."""
    raw = getattr(stream, "raw_data", None)
    if raw is not None and not any(b.get("type") in ("video", "audio") for b in raw):
        return 0
    return sum(offered_bytes(block.block_type, block.value) for block in stream)


# --- For authors, in the admin ------------------------------------------------------------


def processing_of(document) -> MediaProcessing | None:
    """The state of ``document``'s versions, with ``current_versions`` (those of its file)."""
    if media_kind(document) is None:
        return None
    processing = MediaProcessing.objects.filter(document=document).first()
    if processing is not None:
        processing.current_versions = list(
            MediaVersion.objects.filter(document=document, source=document.file.name).order_by(
                "kind"
            )
        )
    return processing


def not_ready_for(document_ids) -> list[MediaProcessing]:
    """The videos and audios among ``document_ids`` whose light versions failed or are not
    ready yet (with their document), failed first."""
    return list(
        MediaProcessing.objects.filter(document_id__in=document_ids)
        .exclude(status=MediaProcessing.Status.DONE)
        .select_related("document")
        .order_by("-status", "document__title")
    )


def offline_bytes(
    *, videos: set[int], audios: set[int], files: set[int]
) -> dict[tuple[str, int], int]:
    """The bytes a phone saves for each document, as a lesson offers it, keyed by
    (role, id): a ``"video"``'s light version and poster when they are made (else the
    original), an ``"audio"``'s compressed version (else the original), a ``"file"``
    (captions, an author's own light video) as it is. Two queries, whatever the number of
    documents."""
    ids = {*videos, *audios, *files}
    if not ids:
        return {}
    versions: dict[int, dict[str, int]] = {}
    for document_id, kind, size in MediaVersion.objects.filter(
        document_id__in=ids,
        kind__in=[
            MediaVersion.Kind.LIGHT_VIDEO,
            MediaVersion.Kind.POSTER,
            MediaVersion.Kind.COMPRESSED_AUDIO,
        ],
    ).values_list("document_id", "kind", "size"):
        versions.setdefault(document_id, {})[kind] = size
    originals = dict(get_document_model().objects.filter(pk__in=ids).values_list("pk", "file_size"))
    sizes: dict[tuple[str, int], int] = {}
    for document_id in videos:
        made = versions.get(document_id, {})
        light = made.get(MediaVersion.Kind.LIGHT_VIDEO)
        main = light if light is not None else originals.get(document_id) or 0
        sizes["video", document_id] = main + made.get(MediaVersion.Kind.POSTER, 0)
    for document_id in audios:
        made = versions.get(document_id, {})
        compressed = made.get(MediaVersion.Kind.COMPRESSED_AUDIO)
        sizes["audio", document_id] = compressed or originals.get(document_id) or 0
    for document_id in files:
        sizes["file", document_id] = originals.get(document_id) or 0
    return sizes
