"""The course library importer: library folders → course pages, idempotent, all or nothing.

Pages are matched by slug (the course under the catalog, its units, lessons and assessments
anywhere in that course), changed only when their content differs, and never duplicated.
The whole import runs in one transaction and every block is validated with the same rules
as the editor (``streams``), so a bad file leaves nothing half-imported and the error
names the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
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
from courses.assessment_review import (
    INTRO_COUNT,
    KEY_POSITION,
    UNTESTED_OUTCOME,
    outcome_tag_errors,
    review_assessment,
)
from courses.course_order import final_last, ordering_paused
from courses.library import diagnostics
from courses.library.streams import _apply, _ImportMedia, _stream
from courses.models import (
    AlignmentKind,
    AssessmentKind,
    AssessmentPage,
    CatalogPage,
    CoursePage,
    Framework,
    LessonPage,
    UnitPage,
)
from courses.models.pages import outcomes_being_imported
from courses.models.study_time import hours_text, study_time_paused, update_study_minutes

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
    # The checks of each imported assessment ("course/slug" → its warnings' messages),
    # only those with any: things to look at, never a reason not to import.
    checks: dict[str, list[str]] = field(default_factory=dict)


def _resolve_curriculum(folder: CourseFolder):
    """The course's module, level and alignment (kind and note) from its manifest. A
    module needs an alignment kind and a partial one says which part; no module, no
    alignment; a level only where the module's data gives the same one (or no module)."""
    manifest = folder.manifest
    file = folder.path / "course.yaml"
    alignment = manifest.get("alignment", "")
    note = manifest.get("alignment_note", "")
    if not manifest.get("module"):
        for name in ("alignment", "alignment_note"):
            if manifest.get(name):
                raise LibraryError(
                    file,
                    name,
                    _("Sin «module» no hay alineación: borre este campo o indique el módulo."),
                )
    if not manifest.get("level") and not manifest.get("module"):
        if manifest.get("framework"):
            _framework(manifest, file)
        return None, None, "", ""
    framework = _framework(manifest, file)
    level = None
    if manifest.get("level"):
        level = framework.levels.filter(key=manifest["level"]).first()
        if level is None:
            raise LibraryError(
                file, "level", _("Nivel desconocido «%(key)s».") % {"key": manifest["level"]}
            )
    module = None
    if manifest.get("module"):
        module = framework.modules.select_related("level").filter(key=manifest["module"]).first()
        if module is None:
            raise LibraryError(
                file, "module", _("Módulo desconocido «%(key)s».") % {"key": manifest["module"]}
            )
        if alignment not in AlignmentKind.values:
            raise LibraryError(
                file,
                "alignment",
                _(
                    "Diga cómo se alinea el curso con el módulo «%(module)s»: «alignment: "
                    "corresponde» (cubre el módulo), «parcial» (cubre una parte; diga cuál en "
                    "«alignment_note») o «relacionado»."
                )
                % {"module": module.key},
            )
        if alignment == AlignmentKind.PARCIAL and not note.strip():
            raise LibraryError(
                file,
                "alignment_note",
                _(
                    "Una alineación parcial dice qué parte del módulo «%(module)s» cubre el "
                    "curso: escríbala en «alignment_note»."
                )
                % {"module": module.key},
            )
        if alignment != AlignmentKind.PARCIAL and note.strip():
            raise LibraryError(
                file,
                "alignment_note",
                _("Esta nota es solo para «alignment: parcial»: bórrela o cambie el tipo."),
            )
    if module is not None and level is not None:
        if module.level_id is None:
            raise LibraryError(
                file,
                "level",
                _(
                    "Los datos del currículo no dicen a qué nivel pertenece el módulo "
                    "«%(module)s»: borre «level» hasta que se confirme."
                )
                % {"module": module.key},
            )
        if module.level_id != level.pk:
            raise LibraryError(
                file,
                "level",
                _("El módulo «%(module)s» es de nivel %(level)s.")
                % {"module": module.key, "level": module.level.key},
            )
    return module, level, alignment if module else "", note if module else ""


def _framework(manifest: dict, file: Path) -> Framework:
    if not manifest.get("framework"):
        raise LibraryError(
            file, "framework", _("Falta el marco curricular del nivel o del módulo.")
        )
    framework = Framework.objects.filter(key=manifest["framework"]).first()
    if framework is None:
        raise LibraryError(
            file,
            "framework",
            _("El marco curricular «%(key)s» no está cargado (python manage.py load_curriculum).")
            % {"key": manifest["framework"]},
        )
    return framework


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
                "review_notes": data.get("review_notes", ""),
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
                "draw_by_outcome": data.get("draw_by_outcome", False),
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
            _check_outcome_tags(streams["questions"], folder, file)
        changed = _apply(page, values, streams, file)
        label = f"{folder.slug}/{entry.slug}"
        (report.created if created else report.updated if changed else report.unchanged).append(
            label
        )
        if entry.kind == "unit":
            _import_pages(entry.children, page, course, folder, media, report)
            _sync_order(page, [c.slug for c in entry.children])
    _sync_order(parent, [e.slug for e in entries])


def _check_outcome_tags(questions: list[dict], folder: CourseFolder, file: Path) -> None:
    """Questions may name only outcomes of the course's manifest (the page's own
    validation reads them too, from ``outcomes_being_imported``)."""
    blocks = AssessmentPage.questions.field.stream_block.to_python(questions)
    for index, message in outcome_tag_errors(blocks, len(_outcomes(folder))).items():
        raise LibraryError(file, f"questions[{index}].value.outcome", message)


def _outcomes(folder: CourseFolder) -> list[str]:
    return [str(text) for text in folder.manifest.get("outcomes") or []]


def _import_course(
    folder: CourseFolder, catalog: CatalogPage, report: ImportReport, only_new: bool
) -> None:
    manifest = folder.manifest
    file = folder.path / "course.yaml"
    course = CoursePage.objects.child_of(catalog).filter(slug=folder.slug).first()
    if course is not None and only_new:
        report.skipped.append(folder.slug)
        return
    module, level, alignment, alignment_note = _resolve_curriculum(folder)
    if manifest.get("cover") and not str(manifest.get("cover_alt", "")).strip():
        raise LibraryError(
            file,
            "cover_alt",
            _(
                "La portada necesita su texto alternativo: describa la imagen para quien no "
                "puede verla."
            ),
        )
    media = _ImportMedia(folder)
    created = course is None
    if created:
        course = CoursePage(
            title=manifest["title"], slug=folder.slug, summary=manifest["summary"], live=False
        )
        catalog.add_child(instance=course)
    course = course.specific
    # Its study time is computed once, when the course is published below.
    with outcomes_being_imported(course, _outcomes(folder)), study_time_paused():
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
        "alignment": alignment,
        "alignment_note": alignment_note,
        "review_notes": manifest.get("review_notes", ""),
        "level": level,
        "cover_image": cover,
        "final_assessment": (
            AssessmentPage.objects.descendant_of(course).get(slug=final) if final else None
        ),
    }
    changed = _apply(course, values, {"outcomes": outcomes}, file)
    # The library's order, but the final last (``course_order``): a page the folder lists
    # after the final, or an author's page added after it, comes before it.
    final_last(CoursePage.objects.get(pk=course.pk))
    _check_hours(CoursePage.objects.get(pk=course.pk), manifest, file)
    (report.created if created else report.updated if changed else report.unchanged).append(
        folder.slug
    )
    known = {e.slug for e in walk_contents(folder.contents)}
    _review(course, folder, known, report)
    for extra in Page.objects.descendant_of(course).exclude(slug__in=known):
        report.warnings.append(
            _("%(course)s: la página «%(slug)s» no está en la biblioteca; se dejó como está.")
            % {"course": folder.slug, "slug": extra.slug}
        )


def _check_hours(course: CoursePage, manifest: dict, file: Path) -> None:
    """Store the course's study time, computed from what was just imported (the signals
    were paused); a file that states ``estimated_hours`` must state that time."""
    update_study_minutes(course)
    stated = manifest.get("estimated_hours")
    if stated is not None and Decimal(str(stated)) != course.estimated_hours:
        raise LibraryError(
            file,
            "estimated_hours",
            _(
                "Dice %(stated)s horas, pero el contenido da %(hours)s horas (%(minutes)d "
                "minutos: las lecciones más las prácticas y el examen). Las horas se calculan "
                "solas: borre este campo o escriba %(hours)s."
            )
            % {
                "stated": stated,
                "hours": hours_text(course.estimated_hours),
                "minutes": course.study_minutes,
            },
        )


# The checks of an assessment that the library refuses (in the admin they stay warnings:
# an author may save work in progress).
LIBRARY_ERRORS = (UNTESTED_OUTCOME, KEY_POSITION, INTRO_COUNT)


def _review(course: CoursePage, folder: CourseFolder, known: set[str], report: ImportReport):
    """The checks of the course's assessments (``review_assessment``): a final that
    leaves an outcome untested, its right answers bunched in one position, or an intro
    that states another number of questions stop the import (``LIBRARY_ERRORS``); the
    other findings go into the report."""
    outcomes = _outcomes(folder)
    final = folder.manifest.get("final_assessment")
    assessments = AssessmentPage.objects.descendant_of(course).filter(slug__in=known)
    for assessment in assessments.order_by("path"):
        found = review_assessment(assessment, outcomes=outcomes, is_final=assessment.slug == final)
        for warning in found:
            if warning.code in LIBRARY_ERRORS:
                where = "intro" if warning.code == INTRO_COUNT else "questions"
                raise LibraryError(
                    folder.file_for("assessment", assessment.slug), where, warning.message
                )
        if found:
            report.checks[f"{folder.slug}/{assessment.slug}"] = [w.message for w in found]


def import_library(
    *, root: Path = LIBRARY_ROOT, slugs: list[str] | None = None, only_new: bool = False
) -> ImportReport:
    """Import every course folder under ``root`` (or only ``slugs``), all or nothing;
    then the catalog diagnostics of ``_diagnosticos/`` (``slugs`` may name them too)."""
    paths = list_course_folders(root)
    diagnostic_paths = diagnostics.diagnostic_paths(root)
    if slugs:
        unknown = sorted(set(slugs) - {p.name for p in paths} - {p.stem for p in diagnostic_paths})
        if unknown:
            raise LibraryError(root / unknown[0], "", _("No existe esa carpeta de curso."))
        paths = [p for p in paths if p.name in slugs]
        diagnostic_paths = [p for p in diagnostic_paths if p.stem in slugs]
    folders = [read_course_folder(path) for path in paths]
    diagnostic_files = diagnostics.read_diagnostics(diagnostic_paths)
    catalog = CatalogPage.objects.first()
    if catalog is None:
        raise LibraryError(root, "", _("No hay catálogo de cursos: ejecute primero «bootstrap»."))
    report = ImportReport()
    with transaction.atomic(), ordering_paused():
        for folder in folders:
            _import_course(folder, catalog, report, only_new)
        diagnostics.import_diagnostics(diagnostic_files, catalog, report, only_new=only_new)
    return report
