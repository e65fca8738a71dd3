"""Catalog diagnostics in the library: ``_diagnosticos/<slug>.yaml`` ↔ a live
``AssessmentPage`` of kind diagnostic under the catalog.

Import matches the page by slug among the catalog's children, changes it only when its
content differs (``_apply``) and runs inside the library's transaction, so a bad file
leaves nothing imported. Besides the rules of any assessment, a diagnostic's questions
must each name a module of the file's levels, and every module of those levels needs
at least ``MIN_QUESTIONS_PER_MODULE`` questions (``check_topics``).

Export writes the canonical form back: the framework and the levels are those of the
modules the questions name, so importing a canonical file and exporting it gives the
same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from wagtail.models import Page

from content.api import (
    FORMAT_VERSION,
    LIBRARY_ROOT,
    DiagnosticFile,
    LibraryError,
    MediaResolver,
    block_to_file,
    check_topics,
    diagnostics_folder,
    list_diagnostic_files,
    read_diagnostic_file,
    write_yaml,
)
from courses.assessment_review import review_assessment
from courses.library.streams import _apply, _current_raw, _stream
from courses.models import AssessmentKind, AssessmentPage, CatalogPage, Framework, Module

if TYPE_CHECKING:
    from courses.library.importer import ImportReport


class _DiagnosticMedia(MediaResolver):
    """Question blocks hold no image or document today, so a diagnostic file has no
    media: the resolver's lookups stay the base class's ``NotImplementedError``. Should
    questions get media blocks, diagnostics would need a media folder as courses have
    (``courses.library.streams._ImportMedia``)."""

    def __init__(self) -> None:
        self.source: Path | None = None

    def use(self, source: Path) -> _DiagnosticMedia:
        self.source = source
        return self


# --- Import -------------------------------------------------------------------------------


def diagnostic_paths(root: Path = LIBRARY_ROOT) -> list[Path]:
    """The diagnostic files of the library under ``root``."""
    return list_diagnostic_files(root)


def read_diagnostics(paths: list[Path]) -> list[DiagnosticFile]:
    """Read and check the structure of each file (before anything is written)."""
    return [read_diagnostic_file(path) for path in paths]


def _modules(diagnostic: DiagnosticFile) -> dict[str, str]:
    """Key → name of every module of the file's levels, in the curriculum's order."""
    path, data = diagnostic.path, diagnostic.data
    framework = Framework.objects.filter(key=data["framework"]).first()
    if framework is None:
        raise LibraryError(
            path,
            "framework",
            _("El marco curricular «%(key)s» no está cargado (python manage.py load_curriculum).")
            % {"key": data["framework"]},
        )
    levels = {level.key: level for level in framework.levels.filter(key__in=data["levels"])}
    for index, key in enumerate(data["levels"]):
        if key not in levels:
            raise LibraryError(
                path, f"levels[{index}]", _("Nivel desconocido «%(key)s».") % {"key": key}
            )
    modules = list(
        framework.modules.filter(level__in=levels.values()).order_by("level__sort_order", "pk")
    )
    found = {module.key: module.name for module in modules}
    empty = [
        key for key, level in levels.items() if not any(m.level_id == level.pk for m in modules)
    ]
    if empty:
        raise LibraryError(
            path,
            f"levels[{data['levels'].index(empty[0])}]",
            _("El nivel «%(key)s» no tiene módulos.") % {"key": empty[0]},
        )
    return found


def _page_for(diagnostic: DiagnosticFile, catalog: CatalogPage) -> AssessmentPage | None:
    existing = Page.objects.child_of(catalog).filter(slug=diagnostic.slug).first()
    if existing is None:
        return None
    page = existing.specific
    if not isinstance(page, AssessmentPage):
        raise LibraryError(
            diagnostic.path,
            "slug",
            _("En el catálogo ya hay una página «%(slug)s» de otro tipo (%(type)s).")
            % {"slug": diagnostic.slug, "type": page._meta.verbose_name},
        )
    return page


def import_diagnostic(
    diagnostic: DiagnosticFile, catalog: CatalogPage, report: ImportReport, *, only_new: bool
) -> None:
    """Create or update the diagnostic's page under ``catalog`` and record it in
    ``report`` (``ImportReport``). With ``only_new``, an existing page is left alone."""
    path, data = diagnostic.path, diagnostic.data
    page = _page_for(diagnostic, catalog)
    if page is not None and only_new:
        return
    questions = _stream(
        AssessmentPage,
        "questions",
        data["questions"],
        folder=None,
        file=path,
        where="questions",
        seed=f"{diagnostic.label}/questions",
        media=_DiagnosticMedia(),
    )
    check_topics(path, data["questions"], _modules(diagnostic))
    created = page is None
    if created:
        page = AssessmentPage(
            title=data["title"],
            slug=diagnostic.slug,
            kind=AssessmentKind.DIAGNOSTIC,
            live=False,
            questions=[],
        )
        catalog.add_child(instance=page)
    values = {
        "title": data["title"],
        "kind": AssessmentKind.DIAGNOSTIC,
        "pass_mark": data["pass_mark"],
        "max_attempts": data.get("max_attempts"),
        "questions_per_attempt": None,
        "draw_by_outcome": False,
        "intro": data.get("intro", ""),
    }
    changed = _apply(page, values, {"questions": questions}, path)
    label = diagnostic.label
    (report.created if created else report.updated if changed else report.unchanged).append(label)
    found = review_assessment(AssessmentPage.objects.get(pk=page.pk))
    if found:
        report.checks[label] = [warning.message for warning in found]


def import_diagnostics(
    diagnostics: list[DiagnosticFile], catalog: CatalogPage, report: ImportReport, *, only_new: bool
) -> None:
    for diagnostic in diagnostics:
        import_diagnostic(diagnostic, catalog, report, only_new=only_new)


# --- Export -------------------------------------------------------------------------------


def _curriculum_of(page: AssessmentPage) -> tuple[str, list[str]]:
    """The framework key and the level keys (in the curriculum's order) of the modules
    the diagnostic's questions name."""
    keys = {block.value.get("topic") for block in page.questions} - {None, ""}
    modules = Module.objects.filter(key__in=keys).select_related("framework", "level")
    modules = sorted(modules, key=lambda m: (m.level.sort_order if m.level else 99, m.pk))
    framework = modules[0].framework.key if modules else ""
    levels: list[str] = []
    for module in modules:
        if module.level and module.level.key not in levels:
            levels.append(module.level.key)
    return framework, levels


def export_diagnostic(*, page: AssessmentPage, root: Path) -> Path:
    """Write the catalog diagnostic ``page`` (its published content) as
    ``_diagnosticos/<slug>.yaml`` under ``root``, replacing any file of that name."""
    folder = diagnostics_folder(root)
    framework, levels = _curriculum_of(page)
    path = folder / f"{page.slug}.yaml"
    write_yaml(
        path,
        {
            "format": FORMAT_VERSION,
            "slug": page.slug,
            "title": page.title,
            "framework": framework,
            "levels": levels,
            "pass_mark": page.pass_mark,
            "max_attempts": page.max_attempts,
            "intro": page.intro,
            "questions": block_to_file(
                AssessmentPage.questions.field.stream_block,
                _current_raw(page, "questions"),
                media=_DiagnosticMedia(),
            ),
        },
    )
    return path


def catalog_diagnostics() -> list[AssessmentPage]:
    """The live diagnostics in the catalog, in the catalog's order."""
    catalog = CatalogPage.objects.first()
    if catalog is None:
        return []
    return list(
        AssessmentPage.objects.live()
        .child_of(catalog)
        .filter(kind=AssessmentKind.DIAGNOSTIC)
        .order_by("path")
    )
