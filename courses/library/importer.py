"""The course library importer: library folders → course pages, idempotent, all or nothing.

Pages are matched by slug (the course under the catalog, its units, lessons and assessments
anywhere in that course), changed only when their content differs, and never duplicated.
The whole import runs in one transaction and every block is validated with the same rules
as the editor (``streams``), so a bad file leaves nothing half-imported and the error
names the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Page

from content.api import (
    LIBRARY_ROOT,
    ContentsEntry,
    CourseFolder,
    LibraryError,
    image_for_file,
    list_course_folders,
    read_course_folder,
    walk_contents,
)
from courses.library.streams import _apply, _ImportMedia, _stream
from courses.models import (
    AssessmentKind,
    AssessmentPage,
    CatalogPage,
    CoursePage,
    Framework,
    LessonPage,
    UnitPage,
)

PAGE_TYPES: dict[str, type[Page]] = {
    "unit": UnitPage,
    "lesson": LessonPage,
    "assessment": AssessmentPage,
}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _resolve_curriculum(folder: CourseFolder):
    manifest = folder.manifest
    file = folder.path / "course.yaml"
    framework = Framework.objects.filter(key=manifest["framework"]).first()
    if framework is None:
        raise LibraryError(
            file,
            "framework",
            _("El marco curricular «%(key)s» no está cargado (python manage.py load_curriculum).")
            % {"key": manifest["framework"]},
        )
    level = framework.levels.filter(key=manifest["level"]).first()
    if level is None:
        raise LibraryError(
            file, "level", _("Nivel desconocido «%(key)s».") % {"key": manifest["level"]}
        )
    module = framework.modules.filter(key=manifest["module"]).first()
    if module is None:
        raise LibraryError(
            file, "module", _("Módulo desconocido «%(key)s».") % {"key": manifest["module"]}
        )
    if module.level_id and module.level_id != level.pk:
        raise LibraryError(
            file,
            "level",
            _("El módulo «%(module)s» es de nivel %(level)s.")
            % {"module": module.key, "level": module.level.key},
        )
    return module, level


def _place(
    page_class: type[Page], slug: str, parent: Page, course: CoursePage, file: Path
) -> tuple[Page, bool]:
    """The page of this slug in the course, moved under ``parent`` if needed, or a new
    unpublished one. Returns (page, created)."""
    existing = Page.objects.descendant_of(course).filter(slug=slug).first()
    if existing is None:
        page = page_class(title=slug, slug=slug, live=False)
        if page_class is AssessmentPage:
            page.questions = []
        parent.add_child(instance=page)
        return page, True
    page = existing.specific
    if not isinstance(page, page_class):
        raise LibraryError(
            file,
            "slug",
            _("En el curso ya hay una página «%(slug)s» de otro tipo (%(type)s).")
            % {"slug": slug, "type": page._meta.verbose_name},
        )
    if page.get_parent().pk != parent.pk:
        page.move(parent, pos="last-child")
        page.refresh_from_db()
    return page, False


def _sync_order(parent: Page, slugs: list[str]) -> None:
    children = list(parent.get_children())
    wanted = [c for slug in slugs for c in children if c.slug == slug]
    others = [c for c in children if c.slug not in slugs]
    if [c.pk for c in children] == [c.pk for c in wanted + others]:
        return
    for child in wanted + others:
        Page.objects.get(pk=child.pk).move(parent, pos="last-child")


def _import_pages(
    entries: list[ContentsEntry],
    parent: Page,
    course: CoursePage,
    folder: CourseFolder,
    media: _ImportMedia,
    report: ImportReport,
) -> None:
    for entry in entries:
        page_class = PAGE_TYPES[entry.kind]
        file = (
            folder.path / "course.yaml"
            if entry.kind == "unit"
            else folder.file_for(entry.kind, entry.slug)
        )
        page, created = _place(page_class, entry.slug, parent, course, file)
        seed = f"{folder.slug}/{entry.slug}"
        if entry.kind == "unit":
            values = {"title": entry.title, "summary": entry.summary}
            streams: dict[str, list] = {}
        elif entry.kind == "lesson":
            data = folder.lessons[entry.slug]
            values = {
                "title": data["title"],
                "summary": data.get("summary", ""),
                "estimated_minutes": data["estimated_minutes"],
                "required": data.get("required", True),
            }
            streams = {
                "body": _stream(
                    LessonPage,
                    "body",
                    data["body"],
                    folder=folder,
                    file=file,
                    where="body",
                    seed=f"{seed}/body",
                    media=media,
                )
            }
        else:
            data = folder.assessments[entry.slug]
            if data["kind"] not in AssessmentKind.values:
                raise LibraryError(
                    file,
                    "kind",
                    _("Debe ser uno de: %(kinds)s.") % {"kinds": ", ".join(AssessmentKind.values)},
                )
            values = {
                "title": data["title"],
                "kind": data["kind"],
                "pass_mark": data["pass_mark"],
                "max_attempts": data.get("max_attempts"),
                "questions_per_attempt": data.get("questions_per_attempt"),
                "intro": data.get("intro", ""),
            }
            streams = {
                "questions": _stream(
                    AssessmentPage,
                    "questions",
                    data["questions"],
                    folder=folder,
                    file=file,
                    where="questions",
                    seed=f"{seed}/questions",
                    media=media,
                )
            }
        changed = _apply(page, values, streams, file)
        label = f"{folder.slug}/{entry.slug}"
        (report.created if created else report.updated if changed else report.unchanged).append(
            label
        )
        if entry.kind == "unit":
            _import_pages(entry.children, page, course, folder, media, report)
            _sync_order(page, [c.slug for c in entry.children])
    _sync_order(parent, [e.slug for e in entries])


def _import_course(
    folder: CourseFolder, catalog: CatalogPage, report: ImportReport, only_new: bool
) -> None:
    manifest = folder.manifest
    file = folder.path / "course.yaml"
    course = CoursePage.objects.child_of(catalog).filter(slug=folder.slug).first()
    if course is not None and only_new:
        report.skipped.append(folder.slug)
        return
    module, level = _resolve_curriculum(folder)
    media = _ImportMedia(folder)
    created = course is None
    if created:
        course = CoursePage(
            title=manifest["title"], slug=folder.slug, summary=manifest["summary"], live=False
        )
        catalog.add_child(instance=course)
    course = course.specific
    _import_pages(folder.contents, course, course, folder, media, report)
    final = manifest.get("final_assessment")
    cover = None
    if manifest.get("cover"):
        cover = image_for_file(
            course_key=folder.slug,
            folder=folder.path,
            rel_path=manifest["cover"],
            alt=manifest.get("cover_alt", ""),
            source=file,
            field="cover",
        )
    outcomes = [
        {"type": "outcome", "value": text, "id": f"{folder.slug}-outcome-{index}"}
        for index, text in enumerate(manifest.get("outcomes") or [])
    ]
    values = {
        "title": manifest["title"],
        "summary": manifest["summary"],
        "description": manifest.get("description", ""),
        "module": module,
        "level": level,
        "estimated_hours": manifest["estimated_hours"],
        "cover_image": cover,
        "final_assessment": (
            AssessmentPage.objects.descendant_of(course).get(slug=final) if final else None
        ),
    }
    changed = _apply(course, values, {"outcomes": outcomes}, file)
    (report.created if created else report.updated if changed else report.unchanged).append(
        folder.slug
    )
    known = {e.slug for e in walk_contents(folder.contents)}
    for extra in Page.objects.descendant_of(course).exclude(slug__in=known):
        report.warnings.append(
            _("%(course)s: la página «%(slug)s» no está en la biblioteca; se dejó como está.")
            % {"course": folder.slug, "slug": extra.slug}
        )


def import_library(
    *, root: Path = LIBRARY_ROOT, slugs: list[str] | None = None, only_new: bool = False
) -> ImportReport:
    """Import every course folder under ``root`` (or only ``slugs``), all or nothing."""
    paths = list_course_folders(root)
    if slugs:
        unknown = sorted(set(slugs) - {p.name for p in paths})
        if unknown:
            raise LibraryError(root / unknown[0], "", _("No existe esa carpeta de curso."))
        paths = [p for p in paths if p.name in slugs]
    folders = [read_course_folder(path) for path in paths]
    catalog = CatalogPage.objects.first()
    if catalog is None:
        raise LibraryError(root, "", _("No hay catálogo de cursos: ejecute primero «bootstrap»."))
    report = ImportReport()
    with transaction.atomic():
        for folder in folders:
            _import_course(folder, catalog, report, only_new)
    return report
