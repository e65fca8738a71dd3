"""A course's alignment with its module has a kind (corresponde / parcial / relacionado);
only "corresponde" counts toward a credential, and a module counts toward one credential
at most."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import Page

from content.api import LibraryError
from courses import api
from courses.models import CoursePage, Framework
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment
from tests.helpers import copy_shipped_course, edit_yaml


@pytest.fixture
def mevyt(db):
    return Framework.objects.get(key="mevyt")


class TestShipped:
    @pytest.mark.parametrize(
        ("slug", "module", "kind"),
        [
            ("fracciones-y-porcentajes", "B3MFP", "corresponde"),
            ("salud-y-prevencion", "B2CVM", "parcial"),
            ("nuestros-documentos", "nuestros-documentos", "corresponde"),
            ("finanzas-personales", None, ""),
        ],
    )
    def test_claims(self, db, slug, module, kind):
        course = CoursePage.objects.select_related("module").get(slug=slug)
        assert (course.module.key if course.module else None, course.alignment) == (module, kind)
        description = course.description
        assert "corresponde al módulo" not in description.lower()
        assert "sustituye el examen del INEA" in description

    def test_salud_says_which_part(self, db):
        note = CoursePage.objects.get(slug="salud-y-prevencion").alignment_note
        assert "presión y azúcar" in note and "medio ambiente" in note

    def test_documentos_asserts_no_level(self, db):
        course = CoursePage.objects.get(slug="nuestros-documentos")
        assert course.module.level_id is None and course.level_id is None


class TestAdminRules:
    def _course(self, **values) -> CoursePage:
        course = CoursePage.objects.get(slug="fracciones-y-porcentajes")
        for key, value in values.items():
            setattr(course, key, value)
        return course

    def _errors(self, course) -> dict:
        with pytest.raises(ValidationError) as info:
            course.clean()
        return info.value.message_dict

    def test_a_module_needs_a_kind(self, db):
        assert "alignment" in self._errors(self._course(alignment=""))

    def test_partial_says_which_part(self, db):
        errors = self._errors(self._course(alignment="parcial", alignment_note="  "))
        assert "alignment_note" in errors
        self._course(alignment="parcial", alignment_note="solo fracciones").clean()

    def test_no_module_no_alignment(self, db):
        errors = self._errors(self._course(module=None, level=None, alignment="corresponde"))
        assert "alignment" in errors

    def test_no_level_the_module_leaves_open(self, mevyt):
        course = CoursePage.objects.get(slug="nuestros-documentos")
        course.level = mevyt.levels.get(key="avanzado")
        assert "level" in self._errors(course)

    def test_kind_and_note_are_in_the_admin_form(self, db):
        fields = CoursePage.get_edit_handler().get_form_class().base_fields
        assert {"module", "alignment", "alignment_note"} <= set(fields)


class TestCredentials:
    def test_one_diversificado_counts_toward_one_credential(self, mevyt):
        """The review's case: one diversificado showed 1/2 for primaria and 1/4 for
        secundaria."""
        primaria = mevyt.credential_rules.get(key="primaria")
        secundaria = mevyt.credential_rules.get(key="secundaria")
        documentos = mevyt.modules.get(key="nuestros-documentos")
        result = api.credentials_progress(rules=[secundaria, primaria], modules=[documentos])
        by_rule = {p.rule.key: p for p in result}
        assert [p.rule.key for p in result] == ["secundaria", "primaria"]
        assert [(r.requirement.kind, r.done) for r in by_rule["primaria"].requirements] == [
            ("basico", 0),
            ("diversificado", 1),
        ]
        assert by_rule["secundaria"].done == 0

    def test_diversificados_fill_primaria_then_overflow_to_secundaria(self, mevyt):
        rules = list(mevyt.credential_rules.all())
        diversificados = list(mevyt.modules.filter(kind="diversificado"))[:3]
        fracciones = mevyt.modules.get(key="B3MFP")
        result = {
            p.rule.key: p
            for p in api.credentials_progress(rules=rules, modules=[*diversificados, fracciones])
        }
        assert result["primaria"].done == 2
        assert result["secundaria"].done == 2  # the third diversificado and B3MFP
        counted = [m.pk for p in result.values() for r in p.requirements for m in r.modules]
        assert len(counted) == len(set(counted)) == 4


class TestMyCourses:
    def _complete(self, user, slug):
        course = CoursePage.objects.get(slug=slug)
        enrollment_api.enroll(user=user, course=course)
        enrollment = Enrollment.objects.get(user=user, course_id=course.pk)
        enrollment.completed_at = enrollment.enrolled_at
        enrollment.save()

    def test_only_corresponde_counts_and_each_module_once(self, client, educando):
        for slug in ("nuestros-documentos", "salud-y-prevencion", "finanzas-personales"):
            self._complete(educando, slug)
        client.force_login(educando)
        html = client.get("/mis-cursos/").content.decode()
        assert "Módulos cubiertos: Nuestros documentos</p>" in html
        assert "Vivamos mejor" not in html and "Cuentas útiles" not in html
        assert html.count("1 de 12 módulos") == 1 and html.count("0 de 12 módulos") == 1

    def test_partial_course_counts_once_it_corresponds(self, client, educando):
        self._complete(educando, "salud-y-prevencion")
        client.force_login(educando)
        assert "Vivamos mejor" not in client.get("/mis-cursos/").content.decode()
        CoursePage.objects.filter(slug="salud-y-prevencion").update(
            alignment="corresponde", alignment_note=""
        )
        assert "Vivamos mejor (B2CVM)" in client.get("/mis-cursos/").content.decode()


@pytest.fixture
def library_copy(tmp_path):
    return copy_shipped_course(tmp_path, "curso-alineado")


class TestLibrary:
    def _rejected(self, library_copy, field: str) -> LibraryError:
        pages = Page.objects.count()
        with pytest.raises(LibraryError) as info:
            api.import_library(root=library_copy)
        assert info.value.file.endswith("curso-alineado/course.yaml"), str(info.value)
        assert info.value.field == field, str(info.value)
        assert Page.objects.count() == pages
        return info.value

    def _edit(self, library_copy, change):
        edit_yaml(library_copy / "curso-alineado/course.yaml", change)

    def test_a_module_without_kind(self, db, library_copy):
        self._edit(library_copy, lambda d: d.pop("alignment"))
        error = self._rejected(library_copy, "alignment")
        assert "corresponde" in error.message and "B3MFP" in error.message

    def test_an_unknown_kind(self, db, library_copy):
        self._edit(library_copy, lambda d: d.update(alignment="equivalente"))
        self._rejected(library_copy, "alignment")

    def test_partial_without_note(self, db, library_copy):
        self._edit(library_copy, lambda d: d.update(alignment="parcial"))
        error = self._rejected(library_copy, "alignment_note")
        assert "qué parte" in error.message

    def test_a_note_on_a_full_alignment(self, db, library_copy):
        self._edit(library_copy, lambda d: d.update(alignment_note="todo"))
        self._rejected(library_copy, "alignment_note")

    def test_a_kind_without_module(self, db, library_copy):
        self._edit(library_copy, lambda d: d.pop("module"))
        self._rejected(library_copy, "alignment")

    def test_a_level_the_module_data_leaves_open(self, db, library_copy):
        self._edit(library_copy, lambda d: d.update(module="nuestros-documentos"))
        error = self._rejected(library_copy, "level")
        assert "nuestros-documentos" in error.message

    def test_partial_with_note_imports_and_exports(self, db, library_copy, tmp_path):
        self._edit(
            library_copy,
            lambda d: d.update(alignment="parcial", alignment_note="fracciones, sin porcentajes"),
        )
        api.import_library(root=library_copy)
        course = CoursePage.objects.get(slug="curso-alineado")
        assert (course.alignment, course.alignment_note) == (
            "parcial",
            "fracciones, sin porcentajes",
        )
        folder = api.export_course(course=course, root=tmp_path / "export")
        text = (folder / "course.yaml").read_text("utf-8")
        assert "alignment: parcial\nalignment_note: fracciones, sin porcentajes\n" in text
        assert "estimated_hours" not in text
