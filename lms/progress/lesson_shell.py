"""A lesson page for a signed-in person, rendered once per published revision.

The lesson page is the page learners open most (one every minute or two while they
study), and almost all of it is the same for everyone: the header, the lesson, the
course's steps. What is theirs is small: whether they finished the lesson, their offline
queue key, their CSRF token, and the id of the "completed" event the form would send.
So the page is rendered once for "finished" and once for "not yet", with a mark where each
of the other three goes, kept in the cache (the *shell*), and every request fills the
marks in. Each process also keeps the shells it served last in its own memory
(``_local``): a lesson from its shell then costs one round trip to the shared cache (the
route and the generation, read together), not two.

Nothing is flushed by hand: the key holds the page's published revision, the language,
the address, whether the lesson is finished, and the pages' generation
(``courses.api.page_generation``), which any page, site, picture, document or view
restriction change renews, so a published, unpublished, moved or re-ordered page, or a
new title in the course's outline, is never served stale. The generation is read from
the shared cache on every request (with the route), so a shell kept in one process's
memory is never used after a change made on another. The learner's own state is read on
every request (``lesson_completed``, one query), so it is always current.

The page is rendered in full, as before, when anything else would differ: a preview, a
query string (the language form sends the address back), a message waiting to be shown,
a body with video or audio (what it offers depends on who is looking), or someone not
signed in (they are sent to log in before this).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.translation import get_language

from courses import api as courses_api
from courses import read_models as courses_models
from lms.progress import events, selectors

SHELL_KEY = "aula:lesson-shell:{page}:{revision}:{language}:{where}:{done}:{generation}"
SHELL_SECONDS = 24 * 3600
# The last shells this process served (a few MB at most: a shell is 10–20 KB). Under
# load, a round trip to Redis is a wait on a busy server: about a tenth of a lesson's
# time on the benchmark machine.
_local = LocMemCache(
    "aula-lesson-shells",
    {"TIMEOUT": SHELL_SECONDS, "OPTIONS": {"MAX_ENTRIES": 200, "CULL_FREQUENCY": 4}},
)


@dataclass(frozen=True)
class Marks:
    """What stands in the shell for each learner's own value: letters and digits only,
    so escaping leaves them as they are, and a random part no lesson can contain."""

    csrf: str
    learner: str
    event: str

    @classmethod
    def new(cls) -> Marks:
        nonce = secrets.token_hex(12)
        mark = f"aula{nonce}"
        return cls(csrf=f"{mark}csrf", learner=f"{mark}learner", event=f"{mark}event")


def _applies(page: Any, request: HttpRequest) -> bool:
    return (
        isinstance(page, courses_models.LessonPage)
        and request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and not getattr(request, "is_preview", False)
        and request.user.is_authenticated
        and courses_api.body_is_shared(page)
        and not len(get_messages(request))
    )


def _render(page: Any, request: HttpRequest, marks: Marks) -> str:
    context = page.get_context(request)
    # Over the context processors' csrf_token; read by the tags of lms.progress.
    context.update({"csrf_token": marks.csrf, "aula_shell": marks})
    return render_to_string(page.get_template(request), context, request)


def serve(page: Any, request: HttpRequest) -> HttpResponse | None:
    """The lesson page from its shell, or None when it must be rendered in full."""
    if not _applies(page, request):
        return None
    user_id = request.user.pk
    if user_id is None:
        return None
    done = selectors.lesson_completed(user_id=user_id, page_id=page.pk)
    where = hashlib.blake2b(request.path.encode(), digest_size=12).hexdigest()
    key = SHELL_KEY.format(
        page=page.pk,
        revision=page.live_revision_id,
        language=get_language(),
        where=where,
        done=int(done),
        generation=courses_api.page_generation(request),
    )
    shell = _local.get(key)
    if shell is None:
        shell = cache.get(key)
        if shell is None:
            marks = Marks.new()
            shell = (marks, _render(page, request, marks))
            cache.set(key, shell, SHELL_SECONDS)
        _local.set(key, shell, SHELL_SECONDS)
    marks, html = shell
    html = (
        html.replace(marks.csrf, get_token(request))
        .replace(marks.learner, events.queue_key(user_id=user_id))
        .replace(marks.event, str(uuid.uuid4()))
    )
    return HttpResponse(html, content_type="text/html; charset=utf-8")
