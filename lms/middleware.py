from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy, default_config
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.cache import patch_vary_headers

from lms import csp
from lms.paths import admin_prefix
from lms.progress import api as progress_api


class SpanishFirstLocaleMiddleware:
    """Spanish unless the person chose otherwise.

    Django's LocaleMiddleware follows the browser's Accept-Language, and many learners'
    phones bought in the US are set to English. Aula shows Spanish (Mexico) by default and
    switches only when someone picks a language with the toggle (the language cookie set
    by ``set_language``). The Wagtail admin still applies each user's own preference.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class PrivateResponsesMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in person.

    A page or API answer for someone logged in may carry their name, progress or another
    learner's data; on a shared phone or behind a proxy none of it may be kept. The check
    runs after the view, so a person authenticated by the REST framework (token) counts
    too. Answers that declared themselves public (media renditions) are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        cache_control = response.get("Cache-Control", "")
        if user is not None and user.is_authenticated and "public" not in cache_control:
            response["Cache-Control"] = "private, no-store"
            response.headers.pop("Expires", None)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's own policy under the admin's address, and
    the request at hand for the admin widgets that write the nonce (``lms.csp``).

    Nearly every response carries the site's policy unchanged: no nonce was asked for, no
    view decorator changed it, it is not the admin. django-csp builds that header again
    for each response (a tenth of the time of a lesson served from its shell); here it is
    built once from the settings (``_site_headers``) and set as django-csp would set it.
    Any other response goes through django-csp as it is."""

    def __call__(self, request):
        token = csp.bind_request(request)
        try:
            return super().__call__(request)
        finally:
            csp.unbind(token)

    def process_response(self, request, response):
        if (
            settings.DEBUG  # django-csp leaves some debug pages alone
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or request.path_info.startswith(admin_prefix())
        ):
            return super().process_response(request, response)
        for header, policy, exempt, excluded in _site_headers():
            if (
                header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(excluded)
            ):
                response[header] = policy
        # As django-csp does: a nonce asked for now could no longer reach the header.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(admin_prefix())
        ):
            parts.config = default_config(settings.AULA_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"])
        return parts


# What a view (django-csp's decorators) sets on a response to change its policy.
_PER_RESPONSE = tuple(
    f"_csp_{change}{kind}" for change in ("config", "update", "replace") for kind in ("", "_ro")
)


@cache
def _site_headers() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """The site's policy headers, as django-csp builds them from the settings: (header,
    value, the response attribute that exempts a response, the excluded path prefixes)."""
    headers = []
    for header, setting, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        policy = build_policy(report_only=report_only)
        if policy:
            excluded = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            headers.append((header, policy, exempt, tuple(excluded or ())))
    return tuple(headers)


@receiver(setting_changed)
def _forget_site_headers(*, setting: str, **kwargs: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _site_headers.cache_clear()


class OfflineLearnerMiddleware:
    """``X-Aula-Learner`` on every page: whose saved copies the phone's service worker may
    serve offline (``templates/offline/sw.js``): the signed-in person's queue key
    ("u12"), or nothing for someone signed out. The worker reads it on every page it
    fetches, so signing out, another person signing in, or a session that expired all
    change what it serves, with no script on the page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            user = getattr(request, "user", None)
            authenticated = user is not None and user.is_authenticated
            response["X-Aula-Learner"] = (
                progress_api.queue_key(user_id=user.pk) if authenticated else ""
            )
        return response
