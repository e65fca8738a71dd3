"""Nonces for the few inline scripts Wagtail's admin still writes.

The admin's Content-Security-Policy allows scripts from this site and, inline, only those
that carry the response's nonce: a random value made for each response, sent in its
``Content-Security-Policy`` header and known to nobody else. Wagtail itself starts some
widgets with an inline ``<script>`` (the chooser widgets, the date pickers, inline
panels); those are the only places that get the nonce:

* the date, time and date-time widgets and the inline panels, through template overrides
  in ``templates/wagtailadmin/`` that use the ``{% csp_nonce %}`` tag;
* the chooser widgets, through ``nonced_chooser_render`` (installed by ``LmsConfig``).

Widgets render without the request, so the middleware keeps the current request in a
context variable for the duration of the response. Text someone typed (a page title, a
name) never gets the nonce: it is escaped by the templates, and a ``<script>`` smuggled
into a chooser's JSON is not the element the nonce is written on, so the browser refuses
it. A broken widget shows up as a policy violation in the admin browser test.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.utils.html import format_html
from django.utils.safestring import mark_safe

_current_request: ContextVar = ContextVar("aula_csp_request", default=None)


def bind_request(request):
    """Make ``request`` the one whose nonce ``current_nonce`` gives; returns the token to
    ``unbind`` with."""
    return _current_request.set(request)


def unbind(token) -> None:
    _current_request.reset(token)


def current_nonce() -> str:
    """The nonce of the response being built ("" outside a request): reading it puts it in
    that response's policy."""
    request = _current_request.get()
    nonce = getattr(request, "csp_nonce", None) if request is not None else None
    return str(nonce) if nonce is not None else ""


def nonced_chooser_render(self, name, value, attrs=None, renderer=None):
    """``wagtail.admin.widgets.chooser.BaseChooser.render`` with the nonce on the one
    script Wagtail appends (the same steps; only the ``<script>`` tag differs)."""
    try:
        id_ = attrs["id"]
    except (KeyError, TypeError) as error:
        raise TypeError("BaseChooser cannot be rendered without an 'id' attribute") from error
    value_data = self.get_value_data(value)
    widget_html = self.render_html(name, value_data, attrs)
    js = self.render_js_init(id_, name, value_data)
    script = format_html('<script nonce="{}">', current_nonce())
    return mark_safe(f"{widget_html}{script}{js}</script>")  # noqa: S308 - as Wagtail's own
