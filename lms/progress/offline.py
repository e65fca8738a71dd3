"""Studying offline on a phone: the installable web app and what the phone saves.

- ``web_manifest``: the web app manifest (Spanish name, icons, theme colour, start page
  "Mis cursos"), so the phone's browser offers to install Aula like an app;
- ``service_worker``: ``templates/offline/sw.js``, served from the site's root so it
  controls every page, rendered with this release's hashed file names (a new release is
  a new worker, and the old release's files are dropped);
- ``offline_page``: what a page that is not saved shows without signal (the browser's
  error page never appears); it lists what *is* saved on this phone for the learner, read
  by ``static/js/offline.js`` from the phone's storage;
- ``course_package``: for a learner enrolled in a course, the pages to save ("Guardar para
  estudiar sin conexión"), each with its published revision, and the bytes it will take.
  ``offline.js`` saves them, and at each later connection asks again and saves anew what
  was republished, moved or removed.
"""

from __future__ import annotations

import hashlib
from functools import cache

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from courses import api as courses_api
from lms.enrollment import api as enrollment_api

THEME_COLOR = "#0b6e4f"
BACKGROUND_COLOR = "#ffffff"


@require_safe
@cache_control(max_age=3600, public=True)
def web_manifest(request):
    manifest = {
        "name": "Aula",
        "short_name": "Aula",
        "description": _("Cursos en español para terminar la primaria o la secundaria."),
        "lang": to_locale(get_language() or "es-mx").replace("_", "-"),
        "dir": "ltr",
        "id": "/",
        "start_url": reverse("progress:my_courses"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {
                "src": staticfiles_storage.url("img/aula-192.png"),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": staticfiles_storage.url("img/aula-512.png"),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": staticfiles_storage.url("img/aula-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {
                "src": staticfiles_storage.url("img/aula.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
            },
        ],
    }
    response = JsonResponse(manifest, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@cache
def _worker_source() -> str:
    """The worker's text for this release (the hashed names depend on the static files,
    which do not change while the process runs)."""
    context = {"offline_url": reverse("offline-page"), "release": "__RELEASE__"}
    text = render_to_string("offline/sw.js", context)
    release = hashlib.sha256(text.encode()).hexdigest()[:12]
    return text.replace("__RELEASE__", release)


@require_safe
def service_worker(request):
    if settings.DEBUG:  # runserver: templates and static files change while it runs
        _worker_source.cache_clear()
    response = HttpResponse(_worker_source(), content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker at each visit: never a stale one from a cache.
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@require_safe
@cache_control(max_age=0, no_cache=True)
def offline_page(request):
    """The same page for everybody (the worker keeps one copy for the phone): no name, no
    progress, no token; what is saved is read on the phone."""
    return TemplateResponse(request, "offline/offline.html", {})


@require_safe
@login_required
def course_package(request, course_id: int):
    if not enrollment_api.is_enrolled(user=request.user, course_id=course_id):
        raise Http404(_("No tiene inscripción en este curso."))
    pages = courses_api.offline_pages(course_id=course_id)
    if not pages:
        raise Http404(_("Este curso ya no está publicado."))
    course = pages[0]
    response = JsonResponse(
        {
            "course": course.page_id,
            "title": course.title,
            "url": course.url,
            "bytes": sum(page.bytes for page in pages),
            "pages": [
                {
                    "id": page.page_id,
                    "kind": page.kind,
                    "title": page.title,
                    "url": page.url,
                    "revision": page.revision,
                }
                for page in pages
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "private, no-store"
    return response
