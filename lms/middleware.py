from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


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
