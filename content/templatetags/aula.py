from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


@register.simple_tag
def html_lang() -> str:
    """The current language as a BCP 47 tag for ``<html lang>``: "es-MX", "en"."""
    return to_locale(get_language() or "es-mx").replace("_", "-")
