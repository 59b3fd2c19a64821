"""The site's language: Simplified Chinese unless the visitor chose English with the toggle.

Django's LocaleMiddleware also follows the browser's Accept-Language, so a phone set to English got the English
site although the residents read Chinese first. Only the language cookie (set by the toggle, Django's
``set_language`` view) counts here; the header is ignored.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


def chosen_language(request):
    """The language chosen with the toggle (the cookie) when it is one of LANGUAGES, else LANGUAGE_CODE."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        translation.activate(chosen_language(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # The page depends on cookies (language, large text), never on the Accept-Language header.
        patch_vary_headers(response, ("Cookie",))
        response.setdefault("Content-Language", translation.get_language())
        return response
