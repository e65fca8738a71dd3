"""Keeps the cached course outlines and study steps (``courses.selectors.course_outline``
and ``course_steps``) and the catalog's filter choices true.

An outline is forgotten whenever a page of its course (the course itself, a unit, a lesson
or an assessment) is saved, published, unpublished, moved or deleted, and every outline
when a view restriction is saved or deleted (with the flag saying whether any exists,
``courses.models.routing``). The cache is shared by every process in
production (Redis, ``CACHE_URL``), so the next request on any process builds the outline
again from the database: nothing is ever flushed by hand.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from wagtail.models import Page, PageViewRestriction, Site

from courses.models import CoursePage
from courses.models.routing import GENERATION_KEY, RESTRICTIONS_KEY, current_generation
from courses.selectors import FILTER_CHOICES_KEY, OUTLINE_KEY, STEPS_KEY


def _ancestor_paths(path: str | None) -> list[str]:
    if not path:
        return []
    step = Page.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def forget_outlines_above(*paths: str | None) -> None:
    """Forget the outline of every course at or above each of ``paths``."""
    ancestors = {ancestor for path in paths for ancestor in _ancestor_paths(path)}
    if not ancestors:
        return
    _forget(CoursePage.objects.filter(path__in=ancestors).values_list("pk", flat=True))


def forget_every_outline() -> None:
    _forget(CoursePage.objects.values_list("pk", flat=True))


def _forget(course_ids: Any) -> None:
    """Forget now, and again when the transaction commits: a request on another process
    between the two would have built the outline again from what was committed before."""
    _forget_keys([key.format(pk) for pk in course_ids for key in (OUTLINE_KEY, STEPS_KEY)])


def _forget_keys(keys: list[str]) -> None:
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


# --- A lesson's blocks, rendered once per published revision ------------------------------
#
# The body of a lesson is the same for every learner: its HTML is kept under the page's
# published revision, the language, and a generation that changes whenever any page,
# picture or document changes (a link to a page that moved, a picture whose file was
# replaced): nothing is forgotten by hand, and a stale body is never served. Bodies with a
# video or an audio are rendered each time: what they offer depends on the light versions
# made since, and on who is looking (staff also get the original).

BODY_KEY = "aula:body:{page}:{revision}:{language}:{generation}"
BODY_SECONDS = 24 * 3600
_DYNAMIC_BLOCKS = frozenset({"video", "audio"})


def forget_rendered_bodies() -> None:
    """Every rendered body is stale: a new generation (now, and when the transaction
    commits, as for the outlines)."""

    def bump() -> None:
        cache.set(GENERATION_KEY, uuid.uuid4().hex, None)

    bump()
    transaction.on_commit(bump)


_BODY_IS_SHARED = "_aula_body_is_shared"


def without_body(page: Any) -> Any:
    """A copy of ``page`` without its body, knowing whether the body is shared (all the
    lesson shell asks). Reading ``body`` on the copy loads it in one query, as Django
    loads any deferred field. The page itself is not changed."""
    kept = copy.copy(page)
    kept.__dict__[_BODY_IS_SHARED] = body_is_shared(page)
    del kept.__dict__["body"]
    return kept


def body_is_shared(page: Any) -> bool:
    """Whether ``page`` shows its published revision with a body that is the same for
    everyone (no video or audio block): what may be kept per revision."""
    if not page.live or not page.live_revision_id:
        return False
    known = page.__dict__.get(_BODY_IS_SHARED)  # a lesson kept without its body
    if known is not None:
        return bool(known)
    raw = getattr(page.body, "raw_data", None)
    if raw is None:
        return False
    return not any(block.get("type") in _DYNAMIC_BLOCKS for block in raw)


def _cacheable(page: Any, context: Any) -> bool:
    request = context.get("request")
    if request is None or getattr(request, "is_preview", False):
        return False
    return body_is_shared(page)


def rendered_body(*, page: Any, context: Any) -> SafeString:
    """``page.body``'s blocks rendered in ``context`` (the lesson page's), from the cache
    when the page shows its published revision."""

    def render() -> SafeString:
        flat = context.flatten()
        return mark_safe(  # noqa: S308 (each block's own rendering, escaped by its templates)
            "".join(str(block.render_as_block(flat)) for block in page.body)
        )

    if not _cacheable(page, context):
        return render()
    key = BODY_KEY.format(
        page=page.pk,
        revision=page.live_revision_id,
        language=get_language(),
        generation=current_generation(),
    )
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, str(html), BODY_SECONDS)
    return mark_safe(html)  # noqa: S308 (rendered above, from the page's own blocks)


def _page_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Page):
        forget_outlines_above(instance.path)
        forget_rendered_bodies()
        if isinstance(instance, CoursePage):
            _forget_keys([FILTER_CHOICES_KEY])


def _media_changed(sender: Any, **kwargs: Any) -> None:
    forget_rendered_bodies()


def _curriculum_changed(sender: Any, **kwargs: Any) -> None:
    # The filters, and the pages kept with their course and its module (routing).
    _forget_keys([FILTER_CHOICES_KEY])
    forget_rendered_bodies()


def _site_changed(sender: Any, **kwargs: Any) -> None:
    # A site's host, port or root page: the routes kept under the generation.
    forget_rendered_bodies()


def _page_moved(sender: Any, instance: Any, **kwargs: Any) -> None:
    before = kwargs.get("parent_page_before")
    forget_outlines_above(instance.path, getattr(before, "path", None))
    forget_rendered_bodies()


def _restriction_changed(sender: Any, **kwargs: Any) -> None:
    # Whether any restriction exists, every outline (they leave private pages out), and
    # the routes (each is kept knowing whether any restriction exists).
    _forget_keys([RESTRICTIONS_KEY])
    forget_every_outline()
    forget_rendered_bodies()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished, post_page_move

    for signal, name in (
        (post_save, "saved"),
        (post_delete, "deleted"),
        (page_published, "published"),
        (page_unpublished, "unpublished"),
    ):
        signal.connect(_page_changed, dispatch_uid=f"aula-outline-{name}")
    post_page_move.connect(_page_moved, dispatch_uid="aula-outline-moved")
    for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(_site_changed, sender=Site, dispatch_uid=f"aula-routes-site-{name}")
    from courses.models import Eje, Level, Module

    for model in (Module, Level, Eje):
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                _curriculum_changed,
                sender=model,
                dispatch_uid=f"aula-filters-{model.__name__}-{name}",
            )
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    image_model = get_image_model()
    # A picture or document replaced or deleted, and a rendition deleted (Wagtail's image
    # editor deletes them when the file changes): a body may show an address that is
    # gone. A rendition made for the first time changes no address already in a body.
    for model in (image_model, get_document_model()):
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                _media_changed,
                sender=model,
                dispatch_uid=f"aula-bodies-{model.__name__}-{name}",
            )
    post_delete.connect(
        _media_changed,
        sender=image_model.get_rendition_model(),
        dispatch_uid="aula-bodies-rendition-deleted",
    )
    for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(
            _restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"aula-outline-restriction-{name}",
        )
