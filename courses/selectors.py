"""Read-only queries for course pages. Each runs a fixed number of SQL queries, whatever
the number of courses or lessons."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, TypeVar

from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import QueryDict
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from content import api as content_api
from content.api import normalize_text
from courses.models import (
    AssessmentPage,
    CatalogPage,
    CoursePage,
    Eje,
    LessonPage,
    Level,
    Module,
    UnitPage,
)
from courses.models.routing import kept_for_generation, view_restrictions_exist


@dataclass
class CatalogFilters:
    q: str = ""
    level: Level | None = None
    eje: Eje | None = None
    module: Module | None = None
    levels: list[Level] = field(default_factory=list)
    ejes: list[Eje] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.q or self.level or self.eje or self.module)


_Option = TypeVar("_Option", Level, Eje, Module)


def _pick(options: Iterable[_Option], key: str) -> _Option | None:
    return next((option for option in options if option.key == key), None) if key else None


FILTER_CHOICES_KEY = "aula:catalog-filter-choices"


def _filter_choices() -> tuple[list[Module], list[Level], list[Eje]]:
    """The modules, levels and ejes some live course uses (two queries). Kept in the cache
    until a page or a row of the curriculum changes (``courses.page_cache``)."""
    modules = list(
        Module.objects.filter(courses__live=True)
        .select_related("level", "eje")
        .distinct()
        .order_by("level__sort_order", "name")
    )
    levels = list(Level.objects.filter(pk__in=CoursePage.objects.live().values("level")))
    ejes = sorted({m.eje for m in modules if m.eje}, key=lambda e: (e.sort_order, e.name))
    return modules, levels, ejes


def catalog_filters(params: QueryDict) -> CatalogFilters:
    """The catalog's filter choices (only those that some live course uses) and the
    current selection from the query string. Unknown values are ignored, not errors."""
    choices = cache.get(FILTER_CHOICES_KEY)
    if choices is None:
        choices = _filter_choices()
        cache.set(FILTER_CHOICES_KEY, choices, OUTLINE_SECONDS)
    modules, levels, ejes = choices
    return CatalogFilters(
        q=params.get("q", "").strip()[:100],
        level=_pick(levels, params.get("nivel", "")),
        eje=_pick(ejes, params.get("eje", "")),
        module=_pick(modules, params.get("modulo", "")),
        levels=levels,
        ejes=ejes,
        modules=modules,
    )


# Must match the {% image %} filter in templates/courses/catalog_page.html.
CATALOG_COVER_FILTER = "fill-320x180|format-webp"


def catalog_courses(*, catalog: CatalogPage, filters: CatalogFilters) -> list[CoursePage]:
    courses = (
        (
            CoursePage.objects.live().public()
            if view_restrictions_exist()
            else CoursePage.objects.live()
        )
        .child_of(catalog)
        .select_related("module__level", "module__eje", "level")
        .prefetch_related(
            Prefetch(
                "cover_image",
                queryset=get_image_model().objects.prefetch_renditions(CATALOG_COVER_FILTER),
            )
        )
    )
    if filters.level:
        courses = courses.filter(level=filters.level)
    if filters.eje:
        courses = courses.filter(module__eje=filters.eje)
    if filters.module:
        courses = courses.filter(module=filters.module)
    if not filters.q:
        return list(courses.order_by("path"))
    query = normalize_text(filters.q)
    searchable = CoursePage.objects.live().child_of(catalog)
    ranked = [page.pk for page in searchable.search(query, operator="or")]
    if not ranked:
        ranked = [page.pk for page in searchable.autocomplete(query)]
    by_pk = {course.pk: course for course in courses.filter(pk__in=ranked)}
    return [by_pk[pk] for pk in ranked if pk in by_pk]


@dataclass
class OutlineItem:
    page: Page
    kind: str  # "unit", "lesson" or "assessment"
    children: list[OutlineItem] = field(default_factory=list)


_KINDS = {UnitPage: "unit", LessonPage: "lesson", AssessmentPage: "assessment"}


OUTLINE_KEY = "aula:outline:{}"
OUTLINE_SECONDS = 24 * 60 * 60


def course_outline(*, course: CoursePage) -> list[OutlineItem]:
    """Units, lessons and assessments of a course, in order, as a tree.

    Kept in the cache (no query on a warm cache) until a page of the course is published,
    unpublished, moved or deleted, or a view restriction changes: ``courses.page_cache``
    forgets it then, on every process (the cache is shared in production). The pages
    in it have their content fields (lesson bodies, questions) deferred: the outline
    needs only their titles, URLs and settings.
    """
    key = OUTLINE_KEY.format(course.pk)
    outline: list[OutlineItem] | None = cache.get(key)
    if outline is None:
        outline = _build_outline(course)
        cache.set(key, outline, OUTLINE_SECONDS)
    return outline


def _build_outline(course: CoursePage) -> list[OutlineItem]:
    pages = Page.objects.live()
    if view_restrictions_exist():
        pages = pages.public()
    pages = (
        pages.descendant_of(course)
        .type(UnitPage, LessonPage, AssessmentPage)
        .defer_streamfields()
        .specific()
        .order_by("path")
    )
    outline: list[OutlineItem] = []
    units: dict[str, OutlineItem] = {}
    for page in pages:
        item = OutlineItem(page, _KINDS[type(page)])
        parent = units.get(page.path[: -Page.steplen])
        if parent is not None:
            parent.children.append(item)
        else:
            outline.append(item)
        if item.kind == "unit":
            units[page.path] = item
    return outline


def flat_steps(outline: list[OutlineItem]) -> list[Page]:
    """The lessons and assessments of an outline in study order (units left out)."""
    steps: list[Page] = []
    for item in outline:
        if item.kind == "unit":
            steps.extend(child.page for child in item.children)
        else:
            steps.append(item.page)
    return steps


class LessonNavigation(TypedDict, total=False):
    course: Required[CoursePage | None]
    step_number: int
    step_count: int
    previous_step: Required[Page | None]
    next_step: Required[Page | None]


def lesson_navigation(*, page: Page) -> LessonNavigation:
    """The course a lesson or assessment belongs to, and its previous and next steps."""
    course = course_of_page(page=page, remember=True)
    if course is None or course.pk == page.pk:
        return {"course": None, "previous_step": None, "next_step": None}
    steps = flat_steps(course_outline(course=course))
    ids = [step.pk for step in steps]
    position = ids.index(page.pk) if page.pk in ids else -1
    return {
        "course": course,
        "step_number": position + 1,
        "step_count": len(steps),
        "previous_step": steps[position - 1] if position > 0 else None,
        "next_step": steps[position + 1] if 0 <= position < len(steps) - 1 else None,
    }


# --- Course structure for progress tracking (ids only; no page rendering) --------------


@dataclass(frozen=True)
class Step:
    page_id: int
    kind: str  # "lesson" or "assessment"
    title: str
    required: bool


@dataclass
class CourseSteps:
    """The live lessons and assessments of one course, in study order.

    A course is complete when every required lesson is completed and its final
    assessment (if any) is passed; those are its ``required_ids``.
    """

    course_id: int
    title: str
    final_assessment_id: int | None
    steps: list[Step] = field(default_factory=list)

    @property
    def required_ids(self) -> set[int]:
        required = {s.page_id for s in self.steps if s.kind == "lesson" and s.required}
        if self.final_assessment_id and any(
            s.page_id == self.final_assessment_id for s in self.steps
        ):
            required.add(self.final_assessment_id)
        return required


STEPS_KEY = "aula:steps:{}"


def course_steps(*, course_ids: Iterable[int]) -> dict[int, CourseSteps]:
    """Study steps of several courses: from the cache, and what it lacks in three queries
    whatever the number of courses and pages. Forgotten with the course's outline
    (``courses.page_cache``) when a page of the course changes."""
    ids = list(dict.fromkeys(course_ids))
    keys = {pk: STEPS_KEY.format(pk) for pk in ids}
    cached = cache.get_many(list(keys.values()))
    result = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [pk for pk in ids if pk not in result]
    if missing:
        built = _build_course_steps(missing)
        cache.set_many({keys[pk]: steps for pk, steps in built.items()}, OUTLINE_SECONDS)
        result.update(built)
    return result


def _build_course_steps(course_ids: list[int]) -> dict[int, CourseSteps]:
    courses = list(
        CoursePage.objects.filter(pk__in=course_ids).values(
            "pk", "path", "title", "final_assessment_id"
        )
    )
    result = {c["pk"]: CourseSteps(c["pk"], c["title"], c["final_assessment_id"]) for c in courses}
    if not courses:
        return result
    by_path = {c["path"]: c["pk"] for c in courses}
    prefix_len = len(courses[0]["path"])
    scope = Q()
    for c in courses:
        scope |= Q(path__startswith=c["path"])
    rows = [
        (row["path"], Step(row["pk"], "lesson", row["title"], row["required"]))
        for row in LessonPage.objects.live().filter(scope).values("pk", "path", "title", "required")
    ] + [
        (row["path"], Step(row["pk"], "assessment", row["title"], False))
        for row in AssessmentPage.objects.live().filter(scope).values("pk", "path", "title")
    ]
    for path, step in sorted(rows, key=lambda r: r[0]):
        course_id = by_path.get(path[:prefix_len])
        if course_id is not None:
            result[course_id].steps.append(step)
    return result


def step_courses(*, page_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """For live lesson and assessment pages: page id → (course id, kind). Two queries."""
    pages = {
        row["pk"]: (row["path"], "lesson")
        for row in LessonPage.objects.live().filter(pk__in=list(page_ids)).values("pk", "path")
    }
    pages.update(
        {
            row["pk"]: (row["path"], "assessment")
            for row in AssessmentPage.objects.live()
            .filter(pk__in=list(page_ids))
            .values("pk", "path")
        }
    )
    if not pages:
        return {}
    course_depth_len = CoursePage.steplen * 4  # root, home, catalog, course
    prefixes = {path[:course_depth_len] for path, _kind in pages.values()}
    courses = dict(CoursePage.objects.filter(path__in=prefixes).values_list("path", "pk"))
    return {
        pk: (courses[path[:course_depth_len]], kind)
        for pk, (path, kind) in pages.items()
        if path[:course_depth_len] in courses
    }


_NOT_LOOKED_UP = object()


def course_of_page(*, page: Page, remember: bool = False) -> CoursePage | None:
    """The course ``page`` is in (or is), with its module. With ``remember``, kept on the
    page object: the access check and the page's own context, which get the same object
    while serving one request, look it up once. Only for a page object that lives one
    request (the one Wagtail routed to), never for one kept longer."""
    if remember:
        remembered = getattr(page, "_aula_course", _NOT_LOOKED_UP)
        if remembered is not _NOT_LOOKED_UP:
            return remembered  # type: ignore[return-value]
    course: CoursePage | None = (
        CoursePage.objects.ancestor_of(page, inclusive=True).select_related("module").first()
    )
    if remember:
        page._aula_course = course
    return course


ASSESSMENT_AT_KEY = "aula:assessment-at:{revision}"


def assessment_at(*, revision_id: int) -> tuple[AssessmentPage, CoursePage | None]:
    """The assessment as revision ``revision_id`` has it (Wagtail's ``as_object()``: its
    questions, pass mark and limits as published then, on the page as it is now), and the
    course it is in, with its module. Every quiz submitted and every result shown needs
    both; built from the database they were a third of a submission's time. A revision's
    content never changes, but the page around it (its place in the tree, its course)
    can: they are kept under the pages' generation (``kept_for_generation``)."""

    def build() -> tuple[AssessmentPage, CoursePage | None]:
        assessment = Revision.objects.get(pk=revision_id).as_object()
        return assessment, course_of_page(page=assessment)

    return kept_for_generation(ASSESSMENT_AT_KEY.format(revision=revision_id), build)


# --- Studying offline: what a phone saves of a course -------------------------------------

# The page around a lesson (header, navigation, progress panel, scripts' texts): measured
# on the shipped lessons, the HTML of a lesson is its stored content plus about this much.
OFFLINE_LAYOUT_BYTES = 9_000
# Pictures are saved in the size a phone shows them (360 px wide, WebP, see
# templates/content/blocks/image.html): a photo is estimated at its original's bytes
# scaled by area, a drawing (SVG) at its own size.
OFFLINE_IMAGE_WIDTH = 360


@dataclass(frozen=True)
class OfflinePage:
    page_id: int
    kind: str  # "course", "lesson" or "practice"
    title: str
    url: str
    revision: int | None
    bytes: int


def _media_ids(raw: object) -> tuple[list[int], list[int], list[int]]:
    """The documents the video and audio blocks of ``raw`` (StreamField data) play:
    (videos, audios, other files: captions and an author's own light video). A video with
    its author's light version is saved as that version only."""
    videos: list[int] = []
    audios: list[int] = []
    files: list[int] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            kind, value = node.get("type"), node.get("value")
            if kind == "video" and isinstance(value, dict):
                light = value.get("low_data_video")
                if isinstance(light, int):
                    files.append(light)
                elif isinstance(value.get("video"), int):
                    videos.append(value["video"])
                if isinstance(value.get("captions"), int):
                    files.append(value["captions"])
            elif (
                kind == "audio" and isinstance(value, dict) and isinstance(value.get("audio"), int)
            ):
                audios.append(value["audio"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(raw)
    return videos, audios, files


def _image_ids(raw: object) -> Iterable[int]:
    """The ids of the images an image block of ``raw`` (StreamField data) shows."""
    if isinstance(raw, dict):
        if raw.get("type") == "image" and isinstance(raw.get("value"), dict):
            image = raw["value"].get("image")
            if isinstance(image, int):
                yield image
        for value in raw.values():
            yield from _image_ids(value)
    elif isinstance(raw, list):
        for item in raw:
            yield from _image_ids(item)


def offline_pages(*, course_id: int) -> list[OfflinePage]:
    """The pages a phone saves of a live course, in study order: the course page, its
    lessons and its practice quizzes (a final needs the connection), each with its
    published revision and the bytes it will take. Five queries (seven with video or
    audio), whatever the number of pages, pictures or recordings."""
    course = (
        CoursePage.objects.live()
        .filter(pk=course_id)
        .values("pk", "path", "title", "live_revision_id", "description")
        .first()
    )
    if course is None:
        return []
    scope = Q(path__startswith=course["path"])
    rows = [
        (r["path"], "lesson", r)
        for r in LessonPage.objects.live()
        .filter(scope)
        .values("pk", "path", "title", "live_revision_id", "body")
    ] + [
        (r["path"], "practice", r)
        for r in AssessmentPage.objects.live()
        .filter(scope, kind="practice")
        .values("pk", "path", "title", "live_revision_id", "intro", "questions")
    ]
    rows.sort(key=lambda row: row[0])
    images: dict[int, list[int]] = {}
    for _path, _kind, row in rows:
        for name in ("body", "questions"):
            if name in row:
                row[name] = list(getattr(row[name], "raw_data", row[name]) or [])
        images[row["pk"]] = list(_image_ids(row.get("body") or []))
    wanted = {pk for ids in images.values() for pk in ids}
    image_bytes = {
        image["pk"]: _offline_image_bytes(image)
        for image in get_image_model()
        .objects.filter(pk__in=wanted)
        .values("pk", "file", "file_size", "width")
    }

    urls = {
        page.pk: page.get_url()
        for page in Page.objects.filter(pk__in=[course["pk"], *(r["pk"] for _p, _k, r in rows)])
    }

    def size(*texts: object) -> int:
        return OFFLINE_LAYOUT_BYTES + sum(
            len(json.dumps(text, ensure_ascii=False, default=str).encode())
            for text in texts
            if text
        )

    media = {row["pk"]: _media_ids(row.get("body") or []) for _path, _kind, row in rows}
    media_sizes = content_api.offline_bytes(
        videos={pk for ids in media.values() for pk in ids[0]},
        audios={pk for ids in media.values() for pk in ids[1]},
        files={pk for ids in media.values() for pk in ids[2]},
    )

    def media_bytes(page_id: int) -> int:
        videos, audios, files = media[page_id]
        return (
            sum(media_sizes.get(("video", pk), 0) for pk in videos)
            + sum(media_sizes.get(("audio", pk), 0) for pk in audios)
            + sum(media_sizes.get(("file", pk), 0) for pk in files)
        )

    pages = [
        OfflinePage(
            course["pk"],
            "course",
            course["title"],
            urls[course["pk"]] or "",
            course["live_revision_id"],
            size(course["description"]),
        )
    ]
    for _path, kind, row in rows:
        pages.append(
            OfflinePage(
                row["pk"],
                kind,
                row["title"],
                urls[row["pk"]] or "",
                row["live_revision_id"],
                size(row.get("body"), row.get("intro"), row.get("questions"))
                + sum(image_bytes.get(pk, 0) for pk in images[row["pk"]])
                + media_bytes(row["pk"]),
            )
        )
    return pages


def _offline_image_bytes(image: dict[str, Any]) -> int:
    size = image["file_size"] or 0
    if str(image["file"]).lower().endswith(".svg") or not image["width"]:
        return size
    scale = min(1.0, OFFLINE_IMAGE_WIDTH / image["width"]) ** 2
    return int(size * scale)
