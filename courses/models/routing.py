"""Serving a page in as few queries as Wagtail's rules allow, and never a stale one.

Wagtail routes a URL by walking the tree from the site's root: for every level, one
query for the child with the next slug and one for its specific row, so a lesson four
levels down costs eight queries before anything is rendered. Every page knows its own
``url_path`` (Wagtail keeps it up to date when a page is moved or renamed), so Aula's page
view (``serve``, in place of Wagtail's in ``lms/urls.py``) looks the page up by it
instead, after the site (one query; the root's path comes from Wagtail's cached site root
paths):

- one query, when the cache remembers the page type at that path: the specific model is
  read directly (``LessonPage.objects.get(url_path=…)``). The row itself always comes
  from the database, so a page just published, unpublished or changed is served as it
  is now; the cache only says which table to read. If the remembered type is wrong (the
  page was deleted and another type took its path), that read finds nothing and the
  lookup below runs.
- two queries otherwise (the page, then its specific row), and the type is remembered.

A path that matches no page falls back to Wagtail's own walk, so a page type that routes
its sub-paths itself would keep working. No page type of Aula does.

Wagtail's page privacy (view restrictions, set under a page's "Privacidad") is checked on
every request with two or three queries, and the course outline excludes private pages
with another. Aula does not use it, but an administrator may: whether any restriction
exists is kept in the cache (forgotten by ``courses.page_cache`` when a restriction is
saved or deleted), and only then are the queries made. A site without restrictions skips them.

A page found is also kept in the cache, with its site, its course and whether any view
restriction exists, under the path and the host, together with the *generation* it was
found in: a value that changes whenever any page, site, picture, document or view
restriction is saved, published, unpublished, moved or deleted (``courses.page_cache``
connects the signals). The generation and the route are read in one round trip to the
cache; a route kept in another generation is not used. The next request on any process
then finds the page, its site and its course with no query at all, and a change is seen
on the next request everywhere. The cache is shared by every process in production
(Redis), so nothing is flushed by hand.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.url_routing import RouteResult

TYPE_KEY = "aula:page-type:{}"
TYPE_SECONDS = 24 * 60 * 60
RESTRICTIONS_KEY = "aula:view-restrictions"
RESTRICTIONS_SECONDS = 24 * 60 * 60
GENERATION_KEY = "aula:body-generation"
ROUTE_KEY = "aula:route:{where}"
ROUTE_SECONDS = 24 * 60 * 60

T = TypeVar("T")


def current_generation(request: HttpRequest | None = None) -> str:
    """The pages' generation: renewed by ``courses.page_cache`` whenever a page, a site, a
    picture, a document or a view restriction changes; what every cached page, route and
    body is kept under. With ``request``, read once for that request (its route and its
    page's shell)."""
    remembered = getattr(request, "_aula_generation", None)
    if remembered is not None:
        return str(remembered)
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = _first_generation()
    if request is not None:
        request._aula_generation = generation  # type: ignore[attr-defined]
    return str(generation)


def kept_for_generation(key: str, build: Callable[[], T], seconds: int = ROUTE_SECONDS) -> T:
    """``build()``, kept in the cache under ``key`` for the pages' current generation, as a
    route is: the generation and the value are read in one round trip, and a value kept
    in another generation is built again. For anything read from pages that a page, site,
    picture, document or view restriction change could alter."""
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY) or _first_generation()
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return kept[1]  # type: ignore[no-any-return]
    value = build()
    cache.set(key, (generation, value), seconds)
    return value


def _first_generation() -> str:
    """A generation where the cache has none (empty, or the key was evicted): the first
    process to add one wins, and every process then reads that one."""
    generation = uuid.uuid4().hex
    cache.add(GENERATION_KEY, generation, None)
    return str(cache.get(GENERATION_KEY, generation))


def page_at(url_path: str) -> Page | None:
    """The specific page whose ``url_path`` is ``url_path``, read from the database."""
    key = TYPE_KEY.format(url_path)
    remembered = cache.get(key)
    if remembered is not None:
        from django.contrib.contenttypes.models import ContentType

        model = ContentType.objects.get_for_id(remembered).model_class()
        if model is not None and issubclass(model, Page):
            found = model.objects.filter(url_path=url_path).first()
            if found is not None:
                return found
    page = Page.objects.filter(url_path=url_path).first()
    if page is None:
        return None
    cache.set(key, page.content_type_id, TYPE_SECONDS)
    return page.specific


def _route_key(request: HttpRequest, path: str) -> str:
    """The cache key of a route: host, port and path (hashed: a path may hold characters
    or a length a cache key must not)."""
    hostname, _port = split_domain_port(request.get_host())
    where = f"{hostname}|{request.get_port()}|{path}"
    return ROUTE_KEY.format(where=hashlib.blake2b(where.encode(), digest_size=16).hexdigest())


def route_for_request(request: HttpRequest, path: str) -> RouteResult | None:
    """What Wagtail's ``Page.route_for_request`` answers: from the cache (no query) when
    the page was found in the current generation, else looked up by ``url_path``: the
    site (one query), its root's path (Wagtail's cached site root paths), then the page
    (``page_at``) and its course, all then kept. A path that is no page's falls back to
    Wagtail's walk."""
    key = _route_key(request, path)
    found = cache.get_many([GENERATION_KEY, key])  # one round trip for both
    generation = found.get(GENERATION_KEY) or _first_generation()
    request._aula_generation = generation  # type: ignore[attr-defined]
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        _generation, site, page = kept
        request._wagtail_site = site  # type: ignore[attr-defined]  # what find_for_request keeps
        return RouteResult(page)
    site = Site.find_for_request(request)
    if site is None:
        return None
    root_path = next(
        (root.root_path for root in Site.get_site_root_paths() if root.site_id == site.pk),
        None,
    )
    page = None
    if root_path is not None:
        page = page_at(root_path + "".join(f"{part}/" for part in path.split("/") if part))
    if page is None:
        try:
            return site.root_page.specific.route(request, [p for p in path.split("/") if p])
        except Http404:
            return None
    if not page.live:
        return None
    from courses.selectors import course_of_page

    course_of_page(page=page, remember=True)  # kept with the page: no query next time
    # Kept with the page too: a restriction added or removed renews the generation.
    page._aula_view_restrictions = view_restrictions_exist()  # type: ignore[attr-defined]
    cache.set(key, (generation, site, _as_kept(page)), ROUTE_SECONDS)
    return RouteResult(page)


def _as_kept(page: Page) -> Page:
    """The page as the route keeps it. A lesson's body is most of the bytes kept, and
    Wagtail parses it again each time it is read from the cache (about a tenth of a lesson
    served from its shell, which never shows it): it is left out, and whether it is the
    same for everyone (what the shell asks) is kept instead. Code that reads the body of a
    page routed from the cache loads it then, in one query, as Django loads any deferred
    field."""
    from courses.models import LessonPage
    from courses.page_cache import without_body

    if not isinstance(page, LessonPage) or "body" not in page.__dict__:
        return page
    return without_body(page)


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page view (its hooks, privacy check and ``serve``), routed by
    ``route_for_request``: Wagtail reuses the route it finds on the request."""
    from wagtail.views import serve as wagtail_serve

    if not hasattr(request, "_wagtail_route_for_request"):
        request._wagtail_route_for_request = route_for_request(request, path)  # type: ignore[attr-defined]
    return wagtail_serve(request, path)


def view_restrictions_exist() -> bool:
    """Whether any page of any site has a view restriction (kept in the cache)."""
    exists = cache.get(RESTRICTIONS_KEY)
    if exists is None:
        exists = PageViewRestriction.objects.exists()
        cache.set(RESTRICTIONS_KEY, exists, RESTRICTIONS_SECONDS)
    return bool(exists)


class RestrictionsSkippedMixin:
    """For page types: Wagtail's privacy check costs no query while no page has a view
    restriction."""

    def get_view_restrictions(self) -> Any:
        # A page routed from the cache knows (``route_for_request``); another asks.
        exist = self.__dict__.get("_aula_view_restrictions")
        if exist is None:
            exist = view_restrictions_exist()
        if not exist:
            none = PageViewRestriction.objects.none()
            # Known empty: iterating it (Wagtail's privacy hook, on every page served) then
            # builds and compiles no SQL, which ``none()`` alone still does (0.13 of 1.3 ms
            # of a lesson). Django's prefetching fills a queryset's results the same way.
            none._result_cache = []
            none._prefetch_done = True
            return none
        return super().get_view_restrictions()  # type: ignore[misc]
