from django.conf import settings
from django.urls import include, path, re_path
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from content import api as content_api
from courses import api as courses_api
from lms import views as lms_views
from lms.accounts import views as accounts_views
from lms.media import serve_media
from lms.progress import offline as offline_views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's password forms for restricted documents and pages, with their return
    # address checked first (lms/views.py); same addresses and names as Wagtail's.
    path(
        "documentos/authenticate_with_password/<int:restriction_id>/",
        lms_views.document_password,
        name="wagtaildocs_authenticate_with_password",
    ),
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        lms_views.page_password,
        name="wagtailcore_authenticate_with_password",
    ),
    # Wagtail's log-in for pages restricted to signed-in people: Aula's own log-in (its
    # form, messages and django-axes rules), not Django's bare one.
    path("_util/login/", accounts_views.LoginView.as_view(), name="wagtailcore_login"),
    # The light versions of a video or audio, for whoever may have the document itself.
    path(
        "documentos/<int:document_id>/version/<slug:kind>/",
        content_api.serve_media_version,
        name="media_version",
    ),
    path("documentos/", include(wagtaildocs_urls)),
    path("idioma/", set_language, name="set_language"),
    # The installable web app: its manifest, its service worker (at the root, so it
    # controls every page) and the page shown offline for what is not saved.
    path("manifest.webmanifest", offline_views.web_manifest, name="web-manifest"),
    path("sw.js", offline_views.service_worker, name="service-worker"),
    path("sin-conexion/", offline_views.offline_page, name="offline-page"),
    path("cuenta/", include("lms.accounts.urls")),
    path("mis-cursos/", include("lms.progress.urls")),
    path("mis-cursos/", include("lms.enrollment.urls")),
    path("evaluaciones/", include("lms.assessments.urls")),
    path("api/v1/", include("lms.api_urls")),
    path("coordinacion/inscripcion/", include("lms.enrollment.coordinator_urls")),
    path("coordinacion/exportar/", include("lms.exports.urls")),
    path("coordinacion/evaluacion/", include("lms.evaluation.urls")),
    path("coordinacion/", include("lms.coordination.urls")),
    path("recordatorios/", include("lms.notifications.urls")),
    path("", include("lms.certificates.urls")),
    # Local media (no S3): renditions for everyone, nothing private (see lms/media.py).
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", serve_media, name="media"),
]

# Wagtail's page tree last: "/" is the home page, "/cursos/" the catalog. Pages are served
# by Wagtail's view, routed in one lookup instead of a walk down the tree (courses/models/
# routing.py); Wagtail's other front-end URLs stay as they are.
urlpatterns += [
    *(p for p in wagtail_urls.urlpatterns if getattr(p, "name", None) != "wagtail_serve"),
    re_path(wagtail_urls.serve_pattern, courses_api.serve_page, name="wagtail_serve"),
]
