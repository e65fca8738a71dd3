from django import template
from django.utils.safestring import SafeString

from courses.page_cache import rendered_body

register = template.Library()


@register.simple_tag(takes_context=True)
def lesson_body(context, page) -> SafeString:
    """The lesson's blocks as HTML: from the cache for its published revision
    (``courses.page_cache.rendered_body``), rendered otherwise."""
    return rendered_body(page=page, context=context)
