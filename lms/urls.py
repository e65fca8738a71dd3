from django.conf import settings
from django.urls import include, path, re_path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms.media import serve_media

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documentos/", include(wagtaildocs_urls)),
    path("idioma/", set_language, name="set_language"),
    path("cuenta/", include("lms.accounts.urls")),
    path("mis-cursos/", include("lms.progress.urls")),
    path("mis-cursos/", include("lms.enrollment.urls")),
    path("evaluaciones/", include("lms.assessments.urls")),
    path("api/v1/", include("lms.api_urls")),
    path("coordinacion/inscripcion/", include("lms.enrollment.coordinator_urls")),
    path("coordinacion/exportar/", include("lms.reports.export_urls")),
    path("coordinacion/", include("lms.reports.urls")),
    path("recordatorios/", include("lms.reports.reminder_urls")),
    path("", include("lms.certificates.urls")),
    # Local media (no S3): renditions for everyone, nothing private (see lms/media.py).
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media"),
]

# Wagtail's page tree last: "/" is the home page, "/cursos/" the catalog.
urlpatterns += [path("", include(wagtail_urls))]
