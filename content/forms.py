"""The admin's document form (``WAGTAILDOCS_DOCUMENT_FORM_BASE``): subtitles and videos are
checked when they are uploaded, with an error in Spanish that says what to fix. The image
form (``WAGTAILIMAGES_IMAGE_FORM_BASE``) does the same for SVG drawings (``content/svg.py``)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from content import media
from content.svg import MAX_SVG_BYTES, check_svg, check_svg_size, is_svg_name

# "00:01.000 --> 00:04.000" or "01:00:01.000 --> 01:00:04.000", then cue settings.
_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
CUE_TIMING = re.compile(rf"^{_TIME}[ \t]+-->[ \t]+{_TIME}(?:[ \t]+.*)?$")
# A timing line written wrong ("00:01 -> 00:04", "00:01,000 - 00:04,000"): a time, a dash.
LOOKS_LIKE_TIMING = re.compile(r"^\s*\d{1,2}:\d{2}[\d:.,]*\s*-+>?\s*\d")


def _seconds(hours, minutes, seconds, millis) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def validate_webvtt(data: bytes) -> None:
    """Raise a ``ValidationError`` naming the first wrong line of a WebVTT file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            _("Línea %(line)s: el archivo de subtítulos debe guardarse en UTF-8.") % {"line": line}
        ) from exc
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not re.match(r"^WEBVTT(?:[ \t].*)?$", lines[0]):
        raise ValidationError(_("Línea 1: el archivo debe empezar con la palabra «WEBVTT»."))
    cues = 0
    for number, line in enumerate(lines[1:], start=2):
        if "-->" not in line and not LOOKS_LIKE_TIMING.match(line):
            continue
        found = CUE_TIMING.match(line.strip())
        if not found:
            raise ValidationError(
                _(
                    "Línea %(line)s: el tiempo debe escribirse así: "
                    "00:01.000 --> 00:04.000 (minutos:segundos.milésimas)."
                )
                % {"line": number}
            )
        start, end = _seconds(*found.groups()[:4]), _seconds(*found.groups()[4:8])
        if start >= end:
            raise ValidationError(
                _("Línea %(line)s: el subtítulo debe terminar después de empezar.")
                % {"line": number}
            )
        cues += 1
    if not cues:
        raise ValidationError(_("El archivo de subtítulos no tiene ningún subtítulo."))


def check_media_file(uploaded, extension: str) -> None:
    """A "video" must contain video and an "audio" audio, as ffprobe reads it. Without
    ffprobe on the server the check is skipped (the transcode will say so)."""
    kind = "video" if extension in media.VIDEO_EXTENSIONS else "audio"
    with tempfile.NamedTemporaryFile(suffix=f".{extension}") as temp:
        for chunk in uploaded.chunks():
            temp.write(chunk)
        temp.flush()
        try:
            info = media.probe(Path(temp.name))
        except media.ToolMissing:
            return
        except media.MediaError:
            info = {}
    uploaded.seek(0)
    if not media.streams(info, kind):
        if kind == "video":
            raise ValidationError(
                _("Este archivo no es un video que se pueda reproducir. Suba un MP4 o WebM.")
            )
        raise ValidationError(
            _("Este archivo no es un audio que se pueda reproducir. Suba un MP3, M4A u OGG.")
        )


class DocumentForm(BaseDocumentForm):
    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if not uploaded or "file" not in self.changed_data:
            return uploaded
        extension = PurePosixPath(uploaded.name).suffix.lower().lstrip(".")
        if extension == "vtt":
            data = b"".join(uploaded.chunks())
            uploaded.seek(0)
            validate_webvtt(data)
        elif extension in media.VIDEO_EXTENSIONS + media.AUDIO_EXTENSIONS:
            check_media_file(uploaded, extension)
        return uploaded

    def _post_clean(self):
        # A file refused above leaves the document without one: Wagtail's own check would
        # then add "La extensión “” no está permitida" under our message. Keep ours only.
        refused = list(self._errors.get("file", []))
        super()._post_clean()
        if refused:
            self._errors["file"] = self.error_class(refused)


class SvgCheckedImageField(WagtailImageField):
    """Wagtail's image field, with an SVG checked before Willow opens it: a drawing with a
    script, an external link or an XML entity bomb is refused with what was found."""

    def to_python(self, data):
        if data is not None and is_svg_name(getattr(data, "name", None) or ""):
            size = getattr(data, "size", None)
            if size is not None:
                check_svg_size(size)  # before reading a large file into memory
            content = data.read(MAX_SVG_BYTES + 1)
            data.seek(0)
            check_svg(content)
        return super().to_python(data)


class ImageForm(BaseImageForm):
    """Every image upload in the admin (the image library, the multiple uploader, the
    chooser's upload tab) goes through this form: its file field checks SVGs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        if field is not None and not isinstance(field, SvgCheckedImageField):
            self.fields["file"] = SvgCheckedImageField(
                label=field.label, required=field.required, widget=field.widget
            )
