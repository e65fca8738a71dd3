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

from typing import Any

from django.core.cache import cache
from django.db import transaction
from wagtail.models import Page, PageViewRestriction

from courses.models import CoursePage
from courses.models.routing import RESTRICTIONS_KEY
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


def _page_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if isinstance(instance, Page):
        forget_outlines_above(instance.path)
        if isinstance(instance, CoursePage):
            _forget_keys([FILTER_CHOICES_KEY])


def _curriculum_changed(sender: Any, **kwargs: Any) -> None:
    _forget_keys([FILTER_CHOICES_KEY])


def _page_moved(sender: Any, instance: Any, **kwargs: Any) -> None:
    before = kwargs.get("parent_page_before")
    forget_outlines_above(instance.path, getattr(before, "path", None))


def _restriction_changed(sender: Any, **kwargs: Any) -> None:
    # Whether any restriction exists, and every outline (they leave private pages out).
    _forget_keys([RESTRICTIONS_KEY])
    forget_every_outline()


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
    from courses.models import Eje, Level, Module

    for model in (Module, Level, Eje):
        for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
            signal.connect(
                _curriculum_changed,
                sender=model,
                dispatch_uid=f"aula-filters-{model.__name__}-{name}",
            )
    for signal, name in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(
            _restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"aula-outline-restriction-{name}",
        )
