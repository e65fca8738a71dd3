"""Catalog diagnostics in the course library (``_diagnosticos/<slug>.yaml``): the shipped
"¿Por dónde empiezo?", its import, re-import and export, and the files it refuses."""

import filecmp
import io
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from wagtail.models import Page, Revision

from content.api import DIAGNOSTICS_FOLDER, LIBRARY_ROOT, LibraryError
from courses import api
from courses.library.diagnostics import export_diagnostic
from courses.models import AssessmentPage, CatalogPage, Framework, Module
from tests.factories.pages import add_course
from tests.helpers import copy_shipped_course, edit_yaml

SLUG = "por-donde-empiezo"
SHIPPED_FILE = LIBRARY_ROOT / DIAGNOSTICS_FOLDER / f"{SLUG}.yaml"
LEVELS = ("inicial", "intermedio")


def _shipped_data() -> dict:
    return yaml.safe_load(SHIPPED_FILE.read_text(encoding="utf-8"))


def _diagnostic() -> AssessmentPage:
    return AssessmentPage.objects.get(slug=SLUG)


def _module_keys() -> list[str]:
    return list(
        Module.objects.filter(framework__key="mevyt", level__key__in=LEVELS).values_list(
            "key", flat=True
        )
    )


@pytest.fixture
def library(tmp_path) -> Path:
    """A library folder holding a writable copy of the shipped diagnostic under another
    slug (``diagnostico-de-prueba``), to change in each test."""
    root = tmp_path / "library"
    folder = root / DIAGNOSTICS_FOLDER
    folder.mkdir(parents=True)
    target = folder / "diagnostico-de-prueba.yaml"
    shutil.copy(SHIPPED_FILE, target)
    edit_yaml(target, lambda data: data.update(slug="diagnostico-de-prueba"))
    return root


def _test_file(library: Path) -> Path:
    return library / DIAGNOSTICS_FOLDER / "diagnostico-de-prueba.yaml"


class TestShippedDiagnostic:
    def test_is_a_live_diagnostic_in_the_catalog_open_to_unlimited_attempts(self, db):
        page = _diagnostic()
        assert page.live
        assert page.kind == api.AssessmentKind.DIAGNOSTIC
        assert isinstance(page.get_parent().specific, CatalogPage)
        assert page.max_attempts is None
        assert page.questions_per_attempt is None
        assert len(page.questions) == 20

    def test_every_question_names_a_module_of_inicial_or_intermedio_and_each_has_two(self, db):
        modules = _module_keys()
        assert len(modules) == 10
        topics = Counter(block.value["topic"] for block in _diagnostic().questions)
        assert set(topics) == set(modules)
        assert min(topics.values()) >= 2

    def test_questions_are_short_choices_with_feedback_for_every_option(self, db):
        questions = list(_diagnostic().questions)
        single = [q for q in questions if q.block_type == "single_choice"]
        assert len(single) >= len(questions) * 3 // 4
        for question in single:
            options = question.value["options"]
            assert len(options) == 3, question.value["prompt"]
            assert sum(1 for o in options if o["correct"]) == 1
            assert all(o["feedback"].strip() for o in options), question.value["prompt"]
            assert len(question.value["prompt"]) <= 160, question.value["prompt"]

    def test_right_answers_are_spread_over_the_positions(self, db):
        positions = Counter(
            next(i for i, o in enumerate(q.value["options"]) if o["correct"])
            for q in _diagnostic().questions
            if q.block_type == "single_choice"
        )
        total = sum(positions.values())
        assert set(positions) == {0, 1, 2}
        assert max(positions.values()) <= total / 2

    def test_intro_says_what_it_is_for_and_passes_the_review(self, db):
        page = _diagnostic()
        intro = page.intro
        assert "No es un examen" in intro
        assert "ninguna constancia" in intro
        assert "minutos" in intro
        assert "No las compartimos con nadie" in intro
        # The question count it states is right, and no other check has anything to say.
        assert api.review_assessment(page) == []

    def test_round_trip_gives_back_the_identical_file(self, db, tmp_path):
        path = export_diagnostic(page=_diagnostic(), root=tmp_path)
        assert path == tmp_path / DIAGNOSTICS_FOLDER / f"{SLUG}.yaml"
        assert filecmp.cmp(SHIPPED_FILE, path, shallow=False)

    def test_the_export_command_writes_it(self, db, tmp_path):
        call_command("library", "export", SLUG, "--to", str(tmp_path), stdout=io.StringIO())
        exported = tmp_path / DIAGNOSTICS_FOLDER / f"{SLUG}.yaml"
        assert filecmp.cmp(SHIPPED_FILE, exported, shallow=False)
        # Naming only the diagnostic exports no course.
        assert [p.name for p in tmp_path.iterdir()] == [DIAGNOSTICS_FOLDER]

    def test_reimport_changes_nothing(self, db):
        pages, revisions = Page.objects.count(), Revision.objects.count()
        report = api.import_library()
        assert f"{DIAGNOSTICS_FOLDER}/{SLUG}" in report.unchanged
        assert f"{DIAGNOSTICS_FOLDER}/{SLUG}" not in report.checks
        assert (Page.objects.count(), Revision.objects.count()) == (pages, revisions)

    def test_reimport_restores_an_edited_diagnostic_in_place(self, db):
        page = _diagnostic()
        ids = [block.id for block in page.questions]
        page.title = "Cambiado"
        page.pass_mark = 10
        page.questions = list(page.questions.raw_data)[:3]
        page.save_revision().publish()
        report = api.import_library(slugs=[SLUG])
        assert report.updated == [f"{DIAGNOSTICS_FOLDER}/{SLUG}"]
        assert report.created == [] and report.unchanged == []  # no course was named
        restored = _diagnostic()
        assert restored.pk == page.pk
        assert restored.title == _shipped_data()["title"]
        assert restored.pass_mark == _shipped_data()["pass_mark"]
        assert [block.id for block in restored.questions] == ids
        assert AssessmentPage.objects.filter(slug=SLUG).count() == 1

    def test_only_new_leaves_an_existing_diagnostic_alone(self, db):
        page = _diagnostic()
        page.title = "Editado por una asesora"
        page.save_revision().publish()
        api.import_library(only_new=True)
        assert _diagnostic().title == "Editado por una asesora"

    def test_an_unknown_name_is_still_refused(self, db):
        with pytest.raises(LibraryError, match="No existe"):
            api.import_library(slugs=["no-existe"])


class TestNewDiagnosticFile:
    def test_is_imported_live_under_the_catalog_and_updated_in_place(self, db, library):
        report = api.import_library(root=library)
        label = f"{DIAGNOSTICS_FOLDER}/diagnostico-de-prueba"
        assert report.created == [label]
        page = AssessmentPage.objects.get(slug="diagnostico-de-prueba")
        assert page.live and page.kind == api.AssessmentKind.DIAGNOSTIC
        assert page.get_parent().specific == CatalogPage.objects.get()
        # Its block ids are the file's (they come from the shipped one).
        assert [b.id for b in page.questions] == [b.id for b in _diagnostic().questions]

        edit_yaml(_test_file(library), lambda data: data.update(title="Otro título"))
        report = api.import_library(root=library)
        assert report.updated == [label]
        page.refresh_from_db()
        assert page.title == "Otro título"
        assert AssessmentPage.objects.filter(slug="diagnostico-de-prueba").count() == 1

    def test_the_review_checks_are_reported_not_refused(self, db, library):
        edit_yaml(
            _test_file(library),
            lambda data: data.update(intro="<p>Son 12 preguntas cortas.</p>"),
        )
        report = api.import_library(root=library)
        label = f"{DIAGNOSTICS_FOLDER}/diagnostico-de-prueba"
        assert report.created == [label]
        assert any("12" in message for message in report.checks[label])

    def test_a_file_without_block_ids_gets_stable_ones(self, db, library):
        def drop_ids(data):
            for question in data["questions"]:
                question.pop("id")

        edit_yaml(_test_file(library), drop_ids)
        api.import_library(root=library)
        first = [b.id for b in AssessmentPage.objects.get(slug="diagnostico-de-prueba").questions]
        api.import_library(root=library)
        again = [b.id for b in AssessmentPage.objects.get(slug="diagnostico-de-prueba").questions]
        assert first == again and len(set(first)) == 20


class TestBadDiagnosticFiles:
    """Each broken file is reported by file and field, in Spanish, and nothing is imported."""

    def _assert_rejected(self, library: Path, field: str) -> LibraryError:
        pages = Page.objects.count()
        with pytest.raises(LibraryError) as info:
            api.import_library(root=library)
        error = info.value
        assert error.file.endswith("diagnostico-de-prueba.yaml"), str(error)
        assert error.field.startswith(field), str(error)
        assert Page.objects.count() == pages
        assert not AssessmentPage.objects.filter(slug="diagnostico-de-prueba").exists()
        return error

    def _set_topic(self, library: Path, index: int, topic):
        edit_yaml(
            _test_file(library),
            lambda data: data["questions"][index]["value"].update(topic=topic),
        )

    def test_unknown_module_key(self, db, library):
        self._set_topic(library, 0, "B9XXX")
        error = self._assert_rejected(library, "questions[0].value.topic")
        assert "«B9XXX» no es la clave de un módulo" in error.message
        assert "la-palabra" in error.message  # the valid keys are listed

    def test_a_module_of_another_level(self, db, library):
        self._set_topic(library, 1, "B3MFP")
        self._assert_rejected(library, "questions[1].value.topic")

    def test_a_question_without_a_module(self, db, library):
        self._set_topic(library, 2, None)
        error = self._assert_rejected(library, "questions[2].value.topic")
        assert "qué módulo evalúa" in error.message

    def test_a_module_with_one_question(self, db, library):
        def keep_one_for_la_palabra(data):
            first = next(
                i for i, q in enumerate(data["questions"]) if q["value"]["topic"] == "la-palabra"
            )
            data["questions"].pop(first)

        edit_yaml(_test_file(library), keep_one_for_la_palabra)
        error = self._assert_rejected(library, "questions")
        assert "«La palabra» (la-palabra) tiene 1 preguntas" in error.message

    def test_a_module_with_no_question(self, db, library):
        edit_yaml(
            _test_file(library),
            lambda data: data.update(
                questions=[q for q in data["questions"] if q["value"]["topic"] != "B2CVM"]
            ),
        )
        error = self._assert_rejected(library, "questions")
        assert "«Vivamos mejor» (B2CVM) tiene 0 preguntas" in error.message

    def test_unknown_level(self, db, library):
        edit_yaml(_test_file(library), lambda data: data.update(levels=["inicial", "medio"]))
        error = self._assert_rejected(library, "levels[1]")
        assert "Nivel desconocido «medio»" in error.message

    def test_a_repeated_level(self, db, library):
        edit_yaml(_test_file(library), lambda data: data.update(levels=["inicial", "inicial"]))
        self._assert_rejected(library, "levels[1]")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"levels": []}, "levels"),
            ({"levels": ["inicial", 2]}, "levels[1]"),
            ({"max_attempts": 0}, "max_attempts"),
        ],
    )
    def test_bad_settings(self, db, library, change, field):
        edit_yaml(_test_file(library), lambda data: data.update(change))
        self._assert_rejected(library, field)

    def test_a_level_without_modules(self, db, library):
        framework = Framework.objects.get(key="mevyt")
        framework.levels.create(key="vacio", name="Vacío", sort_order=99)
        edit_yaml(
            _test_file(library), lambda data: data.update(levels=["inicial", "intermedio", "vacio"])
        )
        error = self._assert_rejected(library, "levels[2]")
        assert "no tiene módulos" in error.message

    def test_unknown_framework(self, db, library):
        edit_yaml(_test_file(library), lambda data: data.update(framework="otro"))
        error = self._assert_rejected(library, "framework")
        assert "no está cargado" in error.message

    def test_slug_that_is_not_the_file_name(self, db, library):
        edit_yaml(_test_file(library), lambda data: data.update(slug="otro-nombre"))
        self._assert_rejected(library, "slug")

    def test_unknown_field(self, db, library):
        edit_yaml(_test_file(library), lambda data: data.update(kind="final"))
        error = self._assert_rejected(library, "kind")
        assert "Campo desconocido" in error.message

    def test_a_question_tagged_with_a_course_outcome(self, db, library):
        edit_yaml(_test_file(library), lambda data: data["questions"][3]["value"].update(outcome=1))
        self._assert_rejected(library, "questions[3].value.outcome")

    def test_a_question_the_editor_would_refuse(self, db, library):
        def no_right_option(data):
            for option in data["questions"][4]["value"]["options"]:
                option["correct"] = False

        edit_yaml(_test_file(library), no_right_option)
        self._assert_rejected(library, "questions[4]")

    def test_pass_mark_out_of_range(self, db, library):
        edit_yaml(_test_file(library), lambda data: data.update(pass_mark=150))
        self._assert_rejected(library, "pass_mark")

    def test_a_catalog_page_of_another_type_with_the_same_slug(self, db, library):
        add_course(catalog=CatalogPage.objects.get(), slug="diagnostico-de-prueba")
        pages = Page.objects.count()
        with pytest.raises(LibraryError) as info:
            api.import_library(root=library)
        assert info.value.field == "slug" and "de otro tipo" in info.value.message
        assert Page.objects.count() == pages

    def test_a_bad_diagnostic_leaves_the_courses_of_the_same_import_unimported(
        self, db, library, tmp_path
    ):
        course_root = copy_shipped_course(tmp_path / "cursos", "curso-con-diagnostico")
        shutil.copytree(course_root / "curso-con-diagnostico", library / "curso-con-diagnostico")
        self._set_topic(library, 0, "B9XXX")
        self._assert_rejected(library, "questions[0].value.topic")
        assert not Page.objects.filter(slug="curso-con-diagnostico").exists()
