"""The second sign-in step, enforced on every request (site, Wagtail admin and API)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from lms.accounts import two_factor
from lms.paths import admin_prefix

# Remembered for the session: whether this person needs the second step. Decided once per
# session for ordinary pages (no query per request for learners) and again on every
# request under ``ALWAYS_CHECKED``, so someone given a role mid-session is caught where
# the role matters.
SESSION_KEY = "aula_requiere_segundo_paso"
ALWAYS_CHECKED = ("/coordinacion/", "/api/v1/coordinacion/")
EXEMPT_URL_NAMES = {
    "accounts:two_factor",
    "accounts:two_factor_setup",
    "accounts:logout",
    "set_language",
}


class SecondFactorMiddleware:
    """Holds every request of a person who needs the second step (``two_factor``) until
    their session has passed it: pages go to the verification page (or to setting up an
    authenticator, the first time), API calls get a JSON 403. Learners pass straight
    through. Needs django-otp's ``OTPMiddleware`` before it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and self._required(request, user)
            and not self._exempt(request)
        ):
            return self._hold(request, user)
        return self.get_response(request)

    def _required(self, request, user) -> bool:
        path = request.path_info
        if path.startswith((*ALWAYS_CHECKED, admin_prefix())):
            return two_factor.requires_second_factor(user)
        if SESSION_KEY not in request.session:
            request.session[SESSION_KEY] = two_factor.requires_second_factor(user)
        return request.session[SESSION_KEY]

    def _exempt(self, request) -> bool:
        path = request.path_info
        if path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return True
        try:
            match = resolve(path)
        except Resolver404:
            return False
        return match.view_name in EXEMPT_URL_NAMES

    def _hold(self, request, user):
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": _(
                        "Confirme su entrada con el segundo paso (su aplicación de "
                        "autenticación) antes de usar la API con esta sesión."
                    ),
                    "code": "second_factor_required",
                },
                status=403,
            )
        name = "two_factor" if two_factor.has_second_factor(user) else "two_factor_setup"
        query = urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(f"{reverse(f'accounts:{name}')}?{query}")
