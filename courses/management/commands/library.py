from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from content.api import LIBRARY_ROOT, LibraryError, list_course_folders
from courses import api
from courses.library.diagnostics import catalog_diagnostics, export_diagnostic
from courses.library.report import course_figures


class Command(BaseCommand):
    help = _("Importa o exporta la biblioteca de cursos (content/course_library/).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("Importa (o actualiza) cursos desde carpetas."))
        imp.add_argument("slugs", nargs="*")
        imp.add_argument("--root", type=Path, default=LIBRARY_ROOT)
        imp.add_argument(
            "--only-new",
            action="store_true",
            help=_("Importa solo los cursos que aún no existen; no toca los demás."),
        )
        exp = sub.add_parser("export", help=_("Exporta cursos publicados a carpetas."))
        exp.add_argument("slugs", nargs="*")
        exp.add_argument("--to", type=Path, default=LIBRARY_ROOT)
        rep = sub.add_parser(
            "report",
            help=_(
                "Cifras de cada curso de las carpetas: lecciones, preguntas, imágenes, horas "
                "y legibilidad. No toca la base de datos."
            ),
        )
        rep.add_argument("slugs", nargs="*")
        rep.add_argument("--root", type=Path, default=LIBRARY_ROOT)

    def handle(self, *args, action, slugs, **options):
        if action == "report":
            self._report(options["root"], slugs)
            return
        if action == "import":
            try:
                report = api.import_library(
                    root=options["root"], slugs=slugs or None, only_new=options["only_new"]
                )
            except LibraryError as exc:
                raise CommandError(_("No se importó nada. %(error)s") % {"error": exc}) from exc
            for label, items in (
                (_("creadas"), report.created),
                (_("actualizadas"), report.updated),
                (_("sin cambios"), report.unchanged),
                (_("cursos que ya existían (no se tocaron)"), report.skipped),
            ):
                if items:
                    self.stdout.write(f"{label}: {len(items)}")
            for warning in report.warnings:
                self.stderr.write(warning)
            for label, messages in report.checks.items():
                self.stdout.write(_("Avisos de %(assessment)s:") % {"assessment": label})
                for message in messages:
                    self.stdout.write(f"  - {message}")
            return
        courses = api.CoursePage.objects.live().order_by("path")
        if slugs:
            courses = courses.filter(slug__in=slugs)
        for course in courses:
            folder = api.export_course(course=course, root=options["to"])
            self.stdout.write(_("Exportado: %(folder)s") % {"folder": folder})
        for page in catalog_diagnostics():
            if not slugs or page.slug in slugs:
                path = export_diagnostic(page=page, root=options["to"])
                self.stdout.write(_("Exportado: %(folder)s") % {"folder": path})

    def _report(self, root: Path, slugs: list[str]) -> None:
        folders = [p for p in list_course_folders(root) if not slugs or p.name in slugs]
        if slugs and len(folders) != len(set(slugs)):
            missing = sorted(set(slugs) - {p.name for p in folders})
            raise CommandError(_("No hay carpeta de curso para: %(slugs)s") % {"slugs": missing})
        for path in folders:
            try:
                figures = course_figures(path)
            except LibraryError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                _(
                    "%(slug)s — %(title)s\n"
                    "  alineación: %(alignment)s\n"
                    "  lecciones: %(lessons)d · imágenes: %(pictures)d · horas: %(hours)s\n"
                    "  examen final: %(pool)d preguntas en el banco, %(drawn)d por intento\n"
                    "  prácticas: %(quizzes)d, con %(practice)d preguntas\n"
                    "  legibilidad (INFLESZ): %(inflesz)s en todo el curso, la más baja "
                    "%(lowest)s; %(wps)s palabras por oración"
                )
                % {
                    "slug": figures.slug,
                    "title": figures.title,
                    "alignment": figures.alignment,
                    "lessons": len(figures.lessons),
                    "pictures": figures.pictures,
                    "hours": figures.hours,
                    "pool": figures.final_pool,
                    "drawn": figures.final_per_attempt,
                    "quizzes": figures.practice_quizzes,
                    "practice": figures.practice_questions,
                    "inflesz": _figure(figures.inflesz),
                    "lowest": _figure(figures.lowest_inflesz),
                    "wps": _figure(figures.words_per_sentence),
                }
            )
            for lesson in figures.lessons:
                self.stdout.write(
                    f"    {lesson.slug}: INFLESZ {_figure(lesson.inflesz)}, "
                    f"{_figure(lesson.words_per_sentence)} "
                    + _("palabras por oración")
                    + (f", {lesson.pictures} " + _("imágenes") if lesson.pictures else "")
                    + ("" if lesson.has_sources else " · " + _("SIN FUENTES"))
                )


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
