"""Headless Chromium for the browser tests (tests/conftest.py's ``browser`` and ``phone``
fixtures), on a 360 px wide phone screen.

No live server: Chromium's requests to http://testserver/ are answered by Django's test
client inside the test's transaction; any request elsewhere is a third-party request,
recorded and refused. The test client is the phone's cookie jar: logging in or out
through the pages (or with ``client.force_login``) changes whose session the phone has.

What the ``phone`` page adds to Playwright's page, for the offline client's tests:

- ``phone.set_offline(flag)``: the connection drops (``navigator.onLine`` turns false and
  every request fails as a lost connection does; Chromium's own offline mode does not stop
  requests that a route answers).
- ``phone.unreachable``: a set of path prefixes whose requests fail as on a weak signal
  (pages load, those do not).
- ``phone.served``: ``(method, path, status)`` of every request Django answered.
- ``phone.follow_phone_clock(monkeypatch)``: Django's clock is set to the phone's at each
  batch of events the phone sends (its ``sent_at``), as for a phone whose clock is right.
  Needed with Playwright's controlled clock, which runs minutes in a few milliseconds
  while the server's would not.
"""

from __future__ import annotations

import contextvars
import json
import mimetypes
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
EVENTS_API = "/api/v1/events/"
requires_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and os.environ.get("CI") != "true",
    reason="Chromium is not installed (apt-get install chromium)",
)


@contextmanager
def launched() -> Iterator[object]:
    """A headless Chromium (the module-scoped ``browser`` fixture)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API keeps an event loop running in this thread; Django's ORM calls
    # made meanwhile (test set-up, the request handler below) are still synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    # The phone's site is http://testserver: a secure context as a real
                    # site on HTTPS is, so service workers and Cache Storage work.
                    "--unsafely-treat-insecure-origin-as-secure=http://testserver",
                ],
            )
            yield browser
            browser.close()
            # Tests ran with Playwright's loop alive, in a context of their own: close the
            # database connections opened there, or they outlive the test database.
            connections.close_all()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


UPLOADS_AS_BYTES = """(() => {
    const encoded = async (form) => {
        const response = new Response(form);
        return [response.headers.get('content-type'), await response.arrayBuffer()];
    };
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (body) {
        if (!(body instanceof FormData)) return send.call(this, body);
        encoded(body).then(([type, bytes]) => {
            this.setRequestHeader('Content-Type', type);
            send.call(this, bytes);
        });
    };
    const originalFetch = window.fetch;
    window.fetch = async (resource, init) => {
        if (init && init.body instanceof FormData) {
            const [type, bytes] = await encoded(init.body);
            const headers = new Headers(init.headers || {});
            headers.set('Content-Type', type);
            init = {...init, body: bytes, headers};
        }
        return originalFetch(resource, init);
    };
})();"""


class PhoneClock:
    """Django's clock, moved to the phone's at each batch of events the phone sends."""

    def __init__(self, real_now) -> None:
        self.real_now = real_now
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.real_now() + self.offset

    def phone_says(self, body: bytes | None) -> None:
        try:
            sent_at = parse_datetime(json.loads(body or b"{}").get("sent_at") or "")
        except (ValueError, AttributeError):
            return
        if sent_at is not None:
            self.offset = sent_at - self.real_now()


def open_phone(browser, client, **context_options) -> Iterator[object]:
    """A page of a new browser context whose requests Django's test client answers (the
    ``phone`` fixture); ``context_options`` go to Playwright's ``new_context`` (e.g.
    ``java_script_enabled=False``)."""
    # No service worker unless the test asks for one (``service_workers="allow"``, the
    # offline tests): the others test the pages as the network serves them.
    context_options.setdefault("service_workers", "block")
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="es-MX", **context_options
    )
    page = context.new_page()
    page.external = []
    page.served = []
    page.unreachable = set()
    page.clock_of_the_phone = None
    offline = {"now": False}

    def set_offline(flag: bool) -> None:
        offline["now"] = flag
        context.set_offline(flag)

    def follow_phone_clock(monkeypatch) -> PhoneClock:
        clock = PhoneClock(timezone.now)
        monkeypatch.setattr(timezone, "now", clock.now)
        page.clock_of_the_phone = clock
        return clock

    page.set_offline = set_offline
    page.follow_phone_clock = follow_phone_clock
    # Route handlers run in Playwright's greenlet, whose context variables differ from the
    # test's; Django keeps its database connection in one. Serve every request in a copy
    # of the test's context, so it uses the test's connection and transaction.
    test_context = contextvars.copy_context()

    def answer(route):
        url = route.request.url
        if not url.startswith("http://testserver/"):
            page.external.append(url)
            return route.abort()
        path, request = url.removeprefix("http://testserver"), route.request
        if offline["now"]:
            return route.abort("internetdisconnected")
        if any(path.startswith(prefix) for prefix in page.unreachable):
            return route.abort("connectionfailed")
        if path.startswith(settings.MEDIA_URL):  # what the web server serves in production
            file = Path(settings.MEDIA_ROOT, path.removeprefix(settings.MEDIA_URL))
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return route.fulfill(status=200, body=file.read_bytes(), headers={"content-type": kind})
        # Redirects are followed here: Chromium does not follow a fulfilled 302.
        if request.method == "POST":
            if page.clock_of_the_phone and path.startswith(EVENTS_API):
                page.clock_of_the_phone.phone_says(request.post_data_buffer)
            response = test_context.run(
                client.post,
                path,
                request.post_data_buffer,
                content_type=request.headers.get("content-type", ""),
                follow=True,
            )
        else:
            response = test_context.run(client.get, path, follow=True)
        page.served.append((request.method, path, response.status_code))
        body = b"".join(response.streaming_content) if response.streaming else response.content
        headers = {"content-type": response.get("Content-Type", "text/html")}
        # The page's security policy is enforced by the browser, as in production.
        # X-Aula-Learner: whose saved copies the service worker may serve offline.
        for name in (
            "Content-Security-Policy",
            "Permissions-Policy",
            "Retry-After",
            "X-Aula-Learner",
        ):
            if name in response:
                headers[name.lower()] = response[name]
        route.fulfill(status=response.status_code, headers=headers, body=body)

    # On the context, so the service worker's requests are answered too (Chromium).
    context.route("**/*", answer)
    # Every Content-Security-Policy violation on any page is recorded for the test to see.
    page.add_init_script(
        "addEventListener('securitypolicyviolation', e => (window.cspViolations ||= [])"
        ".push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`))"
    )
    page.csp_violations = lambda: page.evaluate("window.cspViolations || []")
    # Uploads: Chromium hands a route the body of a multipart request without the bytes of
    # its files (they stay on disk), so Django would get empty files. A form sent by
    # script (XMLHttpRequest or fetch, as every upload in the admin is) is encoded by the
    # browser itself first, with its own boundary, and sent as those bytes instead.
    page.add_init_script(UPLOADS_AS_BYTES)
    # A page sends many requests in a few (real) seconds: the rate limits (the cache) are
    # this test's own, and left clean for the next test, whose users may get the same ids.
    cache.clear()
    yield page
    context.close()
    cache.clear()
