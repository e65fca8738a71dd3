"""The admin side of light media (``content.media``): an author who opens a page whose
videos or audios failed to get their light version, or are still getting it, is told so."""

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.models import ReferenceIndex

from content import media
from content.models import MediaProcessing


@hooks.register("before_edit_page")
def warn_about_media_not_ready(request, page):
    if request.method != "GET":
        return None
    document_type = ContentType.objects.get_for_model(get_document_model())
    document_ids = [
        int(object_id)
        for object_id in ReferenceIndex.get_references_for_object(page)
        .filter(to_content_type=document_type)
        .values_list("to_object_id", flat=True)
    ]
    for processing in media.not_ready_for(document_ids):
        title = processing.document.title
        if processing.status == MediaProcessing.Status.FAILED:
            messages.warning(
                request,
                _(
                    "No se pudo preparar la versión ligera de «%(title)s»: %(error)s "
                    "Los educandos reciben el archivo original."
                )
                % {"title": title, "error": processing.error},
            )
        else:
            messages.info(
                request,
                _("Se está preparando la versión ligera de «%(title)s».") % {"title": title},
            )
    return None
