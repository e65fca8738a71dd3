import filecmp
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from content.api import LIBRARY_ROOT, LibraryError
from courses import api
from courses.models import AssessmentPage, CoursePage, LessonPage, UnitPage
from tests.helpers import copy_shipped_course, edit_yaml

SHIPPED = sorted(p.name for p in LIBRARY_ROOT.iterdir() if (p / "course.yaml").exists())


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def library_copy(tmp_path):
    """A writable copy of one shipped course, to break in each test."""
    return copy_shipped_course(tmp_path, "curso-roto")


class TestShippedLibrary:
    def test_at_least_four_courses_each_with_four_lessons_and_a_final_exam(self, db):
        assert len(SHIPPED) >= 4
        for slug in SHIPPED:
            course = CoursePage.objects.get(slug=slug)
            assert course.live
            # Every course but Finanzas personales (a practical course: no MEVyT module
            # corresponds to it) is aligned, and says how.
            if course.module is not None:
                assert course.alignment, slug
            lessons = LessonPage.objects.live().descendant_of(course)
            assert lessons.count() >= 4, slug
            final = course.final_assessment
            assert final is not None and final.kind == api.AssessmentKind.FINAL, slug
            assert len(final.questions) >= 8, slug

    def test_the_required_topics_are_covered(self, db):
        modules = set(CoursePage.objects.live().values_list("module__key", flat=True))
        assert {"B3MFP", "B2CVM", "nuestros-documentos", "B2MNU", "B2MCU", "B2MFM"} <= modules
        assert "B2CVC" in modules  # Vamos a conocernos
        # Finanzas personales assumes the operations "Cuentas útiles" teaches: no claim;
        # the course Cuentas útiles is the one that covers that module.
        assert list(
            CoursePage.objects.filter(module__key="B2MCU").values_list("slug", flat=True)
        ) == ["cuentas-utiles"]
        assert CoursePage.objects.get(slug="finanzas-personales").module is None
        # The civic course and everyday English claim no module: the MEVyT has none for them.
        for slug in ("derechos-y-participacion", "ingles-para-el-dia-a-dia"):
            assert CoursePage.objects.get(slug=slug).module is None

    def test_round_trip_gives_back_identical_files(self, db, tmp_path):
        for slug in SHIPPED:
            api.export_course(course=CoursePage.objects.get(slug=slug), root=tmp_path)
            source, exported = LIBRARY_ROOT / slug, tmp_path / slug
            assert _files(exported) == _files(source), slug
            for name in _files(source):
                assert filecmp.cmp(source / name, exported / name, shallow=False), name

    def test_reimport_changes_nothing(self, db):
        pages, revisions = Page.objects.count(), Revision.objects.count()
        report = api.import_library()
        assert report.created == [] and report.updated == []
        assert len(report.unchanged) > 20
        assert (Page.objects.count(), Revision.objects.count()) == (pages, revisions)

    def test_reimport_restores_an_edited_lesson_in_place(self, db):
        lesson = LessonPage.objects.get(slug="que-es-una-fraccion")
        original_body = lesson.body.raw_data[:]
        lesson.title = "Cambiado"
        lesson.body = [("paragraph", "<p>otro</p>")]
        lesson.save_revision().publish()
        report = api.import_library(slugs=["fracciones-y-porcentajes"])
        assert report.updated == ["fracciones-y-porcentajes/que-es-una-fraccion"]
        lesson = LessonPage.objects.get(slug="que-es-una-fraccion")
        assert lesson.title != "Cambiado"
        assert [b["id"] for b in lesson.body.raw_data] == [b["id"] for b in original_body]
        assert LessonPage.objects.filter(slug="que-es-una-fraccion").count() == 1

    def test_only_new_leaves_existing_courses_alone(self, db):
        lesson = LessonPage.objects.get(slug="que-es-una-fraccion")
        lesson.title = "Editado por una asesora"
        lesson.save_revision().publish()
        report = api.import_library(only_new=True)
        assert set(report.skipped) == set(SHIPPED)
        lesson.refresh_from_db()
        assert lesson.title == "Editado por una asesora"

    def test_question_block_ids_are_stable(self, db):
        exam = AssessmentPage.objects.get(
            slug="examen-final", url_path__contains="fracciones-y-porcentajes"
        )
        data = yaml.safe_load(
            (LIBRARY_ROOT / "fracciones-y-porcentajes/assessments/examen-final.yaml").read_text()
        )
        assert [q["id"] for q in data["questions"]] == [b.id for b in exam.questions]

    def test_a_new_course_folder_is_imported_with_its_tree(self, db, library_copy):
        report = api.import_library(root=library_copy)
        course = CoursePage.objects.get(slug="curso-roto")
        assert "curso-roto" in report.created
        assert course.live and course.cover_image is not None
        assert LessonPage.objects.live().descendant_of(course).count() >= 4
        assert course.final_assessment.get_parent().specific.pk in {
            course.pk,
            *UnitPage.objects.child_of(course).values_list("pk", flat=True),
        }


class TestBadLibraryFiles:
    """Each broken file is reported by file and field, and nothing is imported."""

    def _assert_rejected(self, library_copy, file: str, field: str):
        pages = Page.objects.count()
        with pytest.raises(LibraryError) as info:
            api.import_library(root=library_copy)
        error = info.value
        assert error.file.endswith(file), str(error)
        assert error.field.startswith(field), str(error)
        assert Page.objects.count() == pages
        assert not CoursePage.objects.filter(slug="curso-roto").exists()
        return error

    def test_invalid_yaml(self, db, library_copy):
        path = library_copy / "curso-roto/lessons/que-es-una-fraccion.yaml"
        path.write_text("title: [sin cerrar\n", encoding="utf-8")
        error = self._assert_rejected(library_copy, "que-es-una-fraccion.yaml", "")
        assert "YAML no válido" in error.message and "línea" in error.message

    def test_missing_required_field(self, db, library_copy):
        edit_yaml(library_copy / "curso-roto/course.yaml", lambda d: d.pop("summary"))
        error = self._assert_rejected(library_copy, "course.yaml", "summary")
        assert "obligatorio" in error.message

    def test_unknown_field(self, db, library_copy):
        edit_yaml(library_copy / "curso-roto/course.yaml", lambda d: d.update(estatus="x"))
        self._assert_rejected(library_copy, "course.yaml", "estatus")

    def test_wrong_type(self, db, library_copy):
        edit_yaml(
            library_copy / "curso-roto/course.yaml", lambda d: d.update(estimated_hours="diez")
        )
        error = self._assert_rejected(library_copy, "course.yaml", "estimated_hours")
        assert "número entero" in error.message

    def test_unknown_module(self, db, library_copy):
        edit_yaml(library_copy / "curso-roto/course.yaml", lambda d: d.update(module="B9XXX"))
        error = self._assert_rejected(library_copy, "course.yaml", "module")
        assert "B9XXX" in error.message

    def test_missing_lesson_file(self, db, library_copy):
        (library_copy / "curso-roto/lessons/que-es-una-fraccion.yaml").unlink()
        error = self._assert_rejected(library_copy, "que-es-una-fraccion.yaml", "")
        assert "No existe" in error.message

    def test_missing_cover(self, db, library_copy):
        (library_copy / "curso-roto/media/portada.png").unlink()
        self._assert_rejected(library_copy, "course.yaml", "cover")

    def test_unknown_block_type(self, db, library_copy):
        path = library_copy / "curso-roto/lessons/que-es-una-fraccion.yaml"
        edit_yaml(path, lambda d: d["body"].append({"type": "carrusel", "value": {}}))
        error = self._assert_rejected(library_copy, "que-es-una-fraccion.yaml", "body[")
        assert "carrusel" in error.message

    def test_block_fails_editor_validation(self, db, library_copy):
        """A single-choice question with two right answers is refused, as in the editor,
        even though the lessons before it in the same import were fine."""
        path = library_copy / "curso-roto/assessments/examen-final.yaml"

        def two_correct(data):
            question = next(q for q in data["questions"] if q["type"] == "single_choice")
            for option in question["value"]["options"][:2]:
                option["correct"] = True

        edit_yaml(path, two_correct)
        error = self._assert_rejected(library_copy, "examen-final.yaml", "questions[")
        assert error.field.endswith(".options"), error.field
        assert "exactamente una" in error.message

    def test_missing_media_in_a_block(self, db, library_copy):
        path = library_copy / "curso-roto/lessons/que-es-una-fraccion.yaml"
        edit_yaml(
            path,
            lambda d: d["body"].append(
                {
                    "type": "image",
                    "value": {"image": "media/no-existe.png", "alt": "x", "caption": ""},
                }
            ),
        )
        error = self._assert_rejected(library_copy, "que-es-una-fraccion.yaml", "body[")
        assert "no-existe.png" in error.message

    def test_path_escaping_the_folder_is_refused(self, db, library_copy):
        path = library_copy / "curso-roto/lessons/que-es-una-fraccion.yaml"
        edit_yaml(
            path,
            lambda d: d["body"].append(
                {"type": "document", "value": {"document": "../../../etc/passwd", "title": "x"}}
            ),
        )
        error = self._assert_rejected(library_copy, "que-es-una-fraccion.yaml", "body[")
        assert "dentro de la carpeta" in error.message

    def test_final_assessment_must_be_in_the_course(self, db, library_copy):
        edit_yaml(
            library_copy / "curso-roto/course.yaml",
            lambda d: d.update(final_assessment="otro-examen"),
        )
        self._assert_rejected(library_copy, "course.yaml", "final_assessment")

    def test_duplicate_slug_in_contents(self, db, library_copy):
        def duplicate(data):
            data["contents"].append(dict(data["contents"][0]))

        edit_yaml(library_copy / "curso-roto/course.yaml", duplicate)
        self._assert_rejected(library_copy, "course.yaml", "contents[")

    def test_the_command_reports_the_error_in_spanish(self, db, library_copy):
        edit_yaml(library_copy / "curso-roto/course.yaml", lambda d: d.pop("title"))
        with pytest.raises(CommandError, match=r"No se importó nada.*course.yaml.*«title»"):
            call_command("library", "import", "--root", str(library_copy))
