"""What a lesson offers of its videos and audios: the light versions (``content.media``)
when they are ready, otherwise the originals, with the data each one costs."""

from __future__ import annotations

from django import template

from content import media

register = template.Library()


@register.filter
def megabytes(size) -> str:
    return media.megabytes(size)


def _duration(seconds: float | None) -> str:
    if not seconds:
        return ""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def _is_staff(context) -> bool:
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.has_perm("wagtailadmin.access_admin"))


@register.simple_tag(takes_context=True)
def video_sources(context, value) -> dict:
    """The video a learner gets by default: the author's own light version if they chose
    one, else the one made on upload when ready, else the original; and the audio-only
    version and poster when ready. Staff also get a link to the original."""
    video = value.get("video")
    offer = media.offer_for(video)
    manual = value.get("low_data_video")
    made = offer.light_video if offer else None
    light_url = light_size = None
    if manual:
        light_url, light_size = manual.url, manual.file_size
    elif made:
        light_url, light_size = media.version_url(made), made.size
    audio = offer.audio_only if offer else None
    poster = offer.poster if offer else None
    return {
        "light_url": light_url,
        "light_size": light_size,
        "audio_url": media.version_url(audio) if audio else None,
        "audio_size": audio.size if audio else None,
        "poster_url": media.version_url(poster) if poster else None,
        "duration": _duration(offer.duration if offer else None),
        "staff": bool(light_url) and _is_staff(context),
    }


@register.simple_tag
def audio_source(value) -> dict:
    audio = value.get("audio")
    if audio is None:
        return {}
    offer = media.offer_for(audio)
    compressed = offer.compressed_audio if offer else None
    if compressed:
        return {
            "url": media.version_url(compressed),
            "size": compressed.size,
            "duration": _duration(compressed.duration),
        }
    return {"url": audio.url, "size": audio.file_size, "duration": ""}


@register.simple_tag
def lesson_media_bytes(stream) -> int:
    """The data spent playing every video and audio of a lesson body (light versions)."""
    return media.stream_media_bytes(stream)


@register.simple_tag
def media_processing(document):
    """For the document's edit page in the admin: how its light versions are going."""
    return media.processing_of(document)
