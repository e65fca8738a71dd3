from django import template

from lms.csp import current_nonce

register = template.Library()


@register.simple_tag
def csp_nonce() -> str:
    """The current response's CSP nonce, for the admin's own inline scripts (lms/csp.py)."""
    return current_nonce()
