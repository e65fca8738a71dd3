from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from content.api import LIBRARY_ROOT, LibraryError
from courses import api
from courses.library.diagnostics import catalog_diagnostics, export_diagnostic


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

    def handle(self, *args, action, slugs, **options):
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
