from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Contenido")

    def ready(self) -> None:
        from django.core import checks

        from content.checks import check_question_types

        checks.register(check_question_types)

        from django.db.models.signals import post_delete, post_save
        from wagtail.documents import get_document_model

        from content import media
        from content.models import MediaVersion

        def document_saved(sender, instance, raw=False, **kwargs):
            if not raw:
                media.queue_if_needed(instance)

        def version_deleted(sender, instance, **kwargs):
            media.delete_version_files([instance])

        post_save.connect(document_saved, sender=get_document_model(), weak=False)
        post_delete.connect(version_deleted, sender=MediaVersion, weak=False)
