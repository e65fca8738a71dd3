"""Light versions of the videos and audios that asesores upload (``content/media.py``).

A video document gets a light video (about 360p, at most 300 kbps), an audio-only version
and a poster image; an audio document a compressed, normalised version. The original is
kept, for staff. ``MediaProcessing`` is the state of the work for one document (what the
author sees in the admin); ``MediaVersion`` one finished file. Versions name the original
file they were made from (``source``): versions of a replaced file are never offered.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.documents import get_document_model_string


class MediaProcessing(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("En espera")
        RUNNING = "running", _("En proceso")
        DONE = "done", _("Lista")
        FAILED = "failed", _("Falló")

    document = models.OneToOneField(
        get_document_model_string(),
        on_delete=models.CASCADE,
        related_name="media_processing",
        verbose_name=_("documento"),
    )
    source = models.CharField(_("archivo original"), max_length=255)
    status = models.CharField(
        _("estado"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("intentos"), default=0)
    error = models.TextField(_("error"), blank=True)
    duration = models.FloatField(_("duración (segundos)"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("procesamiento de medios")
        verbose_name_plural = _("procesamientos de medios")

    def __str__(self) -> str:
        return f"{self.document_id}: {self.status}"


class MediaVersion(models.Model):
    class Kind(models.TextChoices):
        LIGHT_VIDEO = "light_video", _("Versión ligera")
        AUDIO_ONLY = "audio_only", _("Solo audio")
        POSTER = "poster", _("Imagen de portada")
        COMPRESSED_AUDIO = "compressed_audio", _("Audio comprimido")

    document = models.ForeignKey(
        get_document_model_string(),
        on_delete=models.CASCADE,
        related_name="media_versions",
        verbose_name=_("documento"),
    )
    source = models.CharField(_("archivo original"), max_length=255)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("archivo"), upload_to="media-versions/", max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField(_("tamaño (bytes)"))
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("versión de un medio")
        verbose_name_plural = _("versiones de medios")
        constraints = [
            models.UniqueConstraint(fields=["document", "kind"], name="one_version_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.kind}"
