from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from wagtail import views as wagtail_views
from wagtail.documents.views import serve as wagtaildocs_serve


def rate_limited(request, exception):
    """django-ratelimit's answer, for every rate-limited view: 429 with a kind page, or with
    JSON for a ``.json`` address or a request that prefers JSON to HTML."""
    wants_json = request.path.endswith(".json") or (
        request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        detail = _(
            "Se hicieron muchas consultas seguidas desde esta conexión. "
            "Intente de nuevo en un minuto."
        )
        response = JsonResponse({"status": "rate_limited", "detail": detail}, status=429)
    else:
        response = TemplateResponse(request, "rate_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def _return_url_is_a_path(view):
    """Wagtail's password forms for restricted pages and document collections send the
    person back with ``redirect(return_url)``, which takes a value without "/" or "." for a
    URL name and fails with NoReverseMatch (a 500). Wagtail always fills in a path on this
    site; anything else sent instead becomes the usual landing page, and Wagtail still
    checks the host as before."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and not request.POST.get("return_url", "/").startswith("/"):
            data = request.POST.copy()
            data["return_url"] = settings.LOGIN_REDIRECT_URL
            request.POST = data
        return view(request, *args, **kwargs)

    return wrapped


page_password = _return_url_is_a_path(wagtail_views.authenticate_with_password)
document_password = _return_url_is_a_path(wagtaildocs_serve.authenticate_with_password)
