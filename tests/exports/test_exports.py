"""Exports for coordinators: file contents, filters, scope, the background path and
who may see what."""

import csv
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from courses import api as courses_api
from courses.models import AssessmentPage, LessonPage
from lms.accounts import roles
from lms.assessments.api import Attempt
from lms.certificates import api as certificates_api
from lms.certificates.models import Certificate
from lms.coordination import api as coordination_api
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment, Grupo, Membership, Sede
from lms.exports import api as exports
from lms.exports import files
from lms.exports import tasks as export_tasks
from lms.exports.models import ExportJob, ExportStatus
from lms.progress.models import CourseProgress, LessonProgress
from tests import helpers
from tests.helpers import complete

URL = "/coordinacion/exportar/"
JOBS = "/coordinacion/exportar/archivos/"

ENROLLMENT_HEADERS = [
    "sede",
    "grupo",
    "usuario",
    "nombre",
    "correo",
    "teléfono",
    "curso",
    "módulo MEVyT",
    "inscrito el",
    "dado de baja el",
    "estado",
    "avance %",
    "lecciones terminadas",
    "lecciones requeridas",
    "minutos de estudio",
    "última actividad",
    "concluido el",
    "mejor calificación del examen final",
    "folio de constancia vigente",
]


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


def attempt(user, course, score, number, assessment_id=None):
    return Attempt.objects.create(
        user=user,
        assessment_id=assessment_id or course.final_assessment_id,
        course_id=course.pk,
        revision_id=1,
        number=number,
        submitted_at=timezone.now(),
        score=Decimal(score),
        passed=Decimal(score) >= 70,
    )


def build_world(sedes, make_learner, make_user, course):
    """Plaza norte (grupos 1 and 2) and Plaza sur, with:

    - ana (norte/1): "Ana Pérez", email and phone, 2 lessons done, enrolled 2026-01-10.
    - beto (norte/1): completed, final attempts 60 and 90, a certificate that was
      revoked and re-issued; enrolled 2026-02-15 23:30 local (already the 16th in UTC).
    - carla (norte/2): withdrawn.
    - dora (norte/2): first and last name only, no progress.
    - eva (sur/1): in the other sede.
    - suelto: enrolled but in no grupo (nobody's export).
    """
    norte, coordinator, grupo1 = sedes["norte"]
    grupo2 = Grupo.objects.create(sede=norte, name="Grupo 2")
    sur, sur_coordinator, sur_grupo = sedes["sur"]
    ana = make_learner(
        "ana",
        grupo1,
        course,
        lessons_done=2,
        display_name="Ana Pérez",
        email="ana@example.org",
        phone="+52 55 1234 5678",
    )
    beto = make_learner("beto", grupo1, course)
    enrollment = complete(beto, course)
    attempt(beto, course, "60.00", 1)
    attempt(beto, course, "90.00", 2)
    other_assessment = AssessmentPage.objects.exclude(pk=course.final_assessment_id).first()
    attempt(beto, course, "100.00", 1, assessment_id=other_assessment.pk)
    first = certificates_api.issue_certificate(enrollment_id=enrollment.pk)
    admin = make_user("jefa", roles.ADMINISTRADOR)
    second = certificates_api.reissue(
        certificate=first, by=admin, learner_name="Roberto Gil", reason="Nombre completo"
    )
    carla = make_learner("carla", grupo2, course, lessons_done=1)
    enrollment_api.withdraw(user=carla, course=course)
    dora = make_learner("dora", grupo2, course, first_name="Dora", last_name="Luz")
    eva = make_learner("eva", sur_grupo, course, lessons_done=1)
    make_learner("suelto", None, course)
    Enrollment.objects.filter(user=ana).update(enrolled_at=local(2026, 1, 10, 10))
    Enrollment.objects.filter(user=beto).update(enrolled_at=local(2026, 2, 15, 23, 30))
    Enrollment.objects.filter(user__in=[carla, dora, eva]).update(enrolled_at=local(2026, 3, 1, 9))
    coordinator.email = "coordina@example.org"
    coordinator.save()
    return {
        "norte": norte,
        "sur": sur,
        "grupo1": grupo1,
        "grupo2": grupo2,
        "sur_grupo": sur_grupo,
        "coordinator": coordinator,
        "sur_coordinator": sur_coordinator,
        "admin": admin,
        "certificates": (first, second),
        "ana": ana,
        "beto": beto,
        "carla": carla,
        "dora": dora,
        "eva": eva,
        "course": course,
    }


@pytest.fixture
def world(sedes, make_learner, make_user, course):
    """The world, built for one test: for the tests that change it."""
    return build_world(sedes, make_learner, make_user, course)


class WorldTestCase(TestCase):
    """For the tests that only read the world: Django builds it once for the class, and
    rolls back after each test whatever the test wrote (its entry in the access log, the
    user it signs in as)."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world(
            helpers.make_sedes(), helpers.make_learner, helpers.make_user, helpers.the_course()
        )


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 correctly
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response) -> list[tuple]:
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def post(client, **data):
    return client.post(URL, {"tipo": "inscripciones", "formato": "csv", **data})


def by_user(rows) -> dict[str, list]:
    return {row[2]: row for row in rows[1:]}


class TestEnrollmentsCsv(WorldTestCase):
    def test_headers_rows_and_values(self):
        client, world, course = self.client, self.world, self.world["course"]
        client.force_login(world["coordinator"])
        response = post(client)
        today = timezone.localdate().isoformat()
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="aula-inscripciones-{today}.csv"'
        )
        rows = read_csv(response)
        assert rows[0] == ENROLLMENT_HEADERS
        # Sede, grupo, username order; the other sede and learners in no grupo never.
        assert [row[2] for row in rows[1:]] == ["ana", "beto", "carla", "dora"]
        steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
        required = str(len(steps.required_ids))
        ana = by_user(rows)["ana"]
        assert ana[:8] == [
            "Plaza norte",
            "Grupo 1",
            "ana",
            "Ana Pérez",
            "ana@example.org",
            "+52 55 1234 5678",  # a phone number is not mistaken for a formula
            course.title,
            course.module.key,
        ]
        assert ana[8:11] == ["2026-01-10 10:00", "", "activa"]
        progress = CourseProgress.objects.get(user=world["ana"], course_id=course.pk)
        assert ana[11:14] == [str(progress.percent), "2", required]
        assert ana[14] == str(round(progress.time_spent_seconds / 60))
        assert ana[15] == timezone.localtime(progress.last_activity_at).strftime("%Y-%m-%d %H:%M")
        assert ana[16:] == ["", "", ""]

    def test_completed_certified_withdrawn_and_never_started(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        rows = by_user(read_csv(post(client)))
        beto = rows["beto"]
        enrollment = Enrollment.objects.get(user=world["beto"])
        assert beto[3] == "beto"  # no display name, no full name: the username
        assert beto[8] == "2026-02-15 23:30"  # local time, not UTC
        assert beto[10] == "concluida" and beto[11] == "100"
        assert beto[16] == timezone.localtime(enrollment.completed_at).strftime("%Y-%m-%d %H:%M")
        assert beto[17] == "90.00"  # the best final score; other assessments do not count
        assert beto[18] == world["certificates"][1].folio  # the valid one, not the revoked
        carla = rows["carla"]
        assert carla[10] == "dada de baja" and carla[9] != ""
        dora = rows["dora"]
        assert dora[3] == "Dora Luz"
        assert dora[10] == "activa"
        assert dora[11:16] == ["", "", "", "", ""]  # no progress yet: empty, not zero


class TestEnrollmentsCsvAfterChanges:
    """Tests that change the world first: it is built for each of them alone."""

    def test_a_learner_in_two_grupos_has_a_row_per_grupo_in_scope(self, client, world):
        enrollment_api.add_to_grupo(grupo=world["grupo2"], user=world["ana"])
        enrollment_api.add_to_grupo(grupo=world["sur_grupo"], user=world["ana"])
        client.force_login(world["coordinator"])
        rows = read_csv(post(client))
        assert [(r[1], r[2]) for r in rows[1:] if r[2] == "ana"] == [
            ("Grupo 1", "ana"),
            ("Grupo 2", "ana"),
        ]
        client.force_login(world["sur_coordinator"])
        rows = read_csv(post(client))
        assert [(r[0], r[2]) for r in rows[1:]] == [("Plaza sur", "ana"), ("Plaza sur", "eva")]

    def test_text_that_looks_like_a_formula_stays_text(self, client, world):
        world["dora"].display_name = '=HYPERLINK("http://malo.example","clic")'
        world["dora"].save()
        client.force_login(world["coordinator"])
        assert by_user(read_csv(post(client)))["dora"][3] == (
            '\'=HYPERLINK("http://malo.example","clic")'
        )
        response = post(client, formato="xlsx")
        body = b"".join(response.streaming_content)
        sheet = load_workbook(io.BytesIO(body)).active
        cell = next(c for c in sheet["D"] if c.value and str(c.value).startswith("=HYPER"))
        assert cell.data_type == "s"  # a string, never a formula


class TestXlsx(WorldTestCase):
    def test_enrollments_workbook(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        response = post(client, formato="xlsx")
        today = timezone.localdate().isoformat()
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert f'filename="aula-inscripciones-{today}.xlsx"' in response["Content-Disposition"]
        rows = read_xlsx(response)
        assert list(rows[0]) == ENROLLMENT_HEADERS
        ana = by_user(rows)["ana"]
        assert ana[3] == "Ana Pérez" and ana[5] == "+52 55 1234 5678"
        assert ana[8] == datetime(2026, 1, 10, 10, 0)  # a real date cell, local time
        assert ana[9] is None and ana[10] == "activa" and ana[12] == 2
        beto = by_user(rows)["beto"]
        assert beto[8] == datetime(2026, 2, 15, 23, 30)
        assert beto[17] == 90 and beto[18] == world["certificates"][1].folio

    def test_every_kind_as_xlsx(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        for kind, title in [("avance", "Avance por lección"), ("constancias", "Constancias")]:
            response = post(client, tipo=kind, formato="xlsx")
            body = b"".join(response.streaming_content)
            sheet = load_workbook(io.BytesIO(body)).active
            assert sheet.title == title
            assert sheet.max_row > 1


class TestProgressAndCertificates(WorldTestCase):
    def test_progress_per_lesson(self):
        client, world, course = self.client, self.world, self.world["course"]
        client.force_login(world["coordinator"])
        rows = read_csv(post(client, tipo="avance"))
        assert rows[0] == [
            "sede",
            "grupo",
            "usuario",
            "curso",
            "lección",
            "estado",
            "empezada",
            "terminada",
            "minutos",
        ]
        lessons = LessonProgress.objects.filter(
            user__in=[world["ana"], world["beto"], world["carla"], world["dora"]]
        )
        assert len(rows) - 1 == lessons.count()
        assert "eva" not in {row[2] for row in rows[1:]}
        ana = [row for row in rows[1:] if row[2] == "ana"]
        steps = courses_api.course_steps(course_ids=[course.pk])[course.pk]
        first_two = [s for s in steps.steps if s.kind == "lesson" and s.required][:2]
        titles = dict(LessonPage.objects.values_list("pk", "title"))
        # In course order, with page and course titles.
        assert [row[4] for row in ana] == [titles[s.page_id] for s in first_two]
        assert {row[3] for row in ana} == {course.title}
        assert {row[5] for row in ana} == {"terminada"}
        assert all(row[7] for row in ana)

    def test_certificates_valid_and_revoked(self):
        client, world, course = self.client, self.world, self.world["course"]
        first, second = world["certificates"]
        first.refresh_from_db()
        client.force_login(world["coordinator"])
        rows = read_csv(post(client, tipo="constancias"))
        assert rows[0] == [
            "sede",
            "grupo",
            "usuario",
            "nombre en la constancia",
            "curso",
            "folio",
            "emitida el",
            "estado",
            "anulada el",
            "dirección de verificación",
        ]
        by_folio = {row[5]: row for row in rows[1:]}
        assert set(by_folio) == {first.folio, second.folio}
        old, new = by_folio[first.folio], by_folio[second.folio]
        assert old[7] == "anulada"
        assert old[8] == timezone.localtime(first.revoked_at).strftime("%Y-%m-%d %H:%M")
        assert new[:5] == ["Plaza norte", "Grupo 1", "beto", "Roberto Gil", course.title]
        assert new[7:9] == ["vigente", ""]
        assert new[9] == f"https://aula.example.org/verificar/{second.folio}/"

    def test_other_sede_sees_no_certificates(self):
        client, world = self.client, self.world
        client.force_login(world["sur_coordinator"])
        assert read_csv(post(client, tipo="constancias"))[1:] == []


class TestFilters(WorldTestCase):
    def users(self, client, **data):
        return [row[2] for row in read_csv(post(client, **data))[1:]]

    def test_dates_are_inclusive_local_days(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        assert self.users(client, desde="2026-01-10", hasta="2026-01-10") == ["ana"]
        # 23:30 on the 15th in Los Angeles is the 16th in UTC: still the 15th here.
        assert self.users(client, desde="2026-02-15", hasta="2026-02-15") == ["beto"]
        assert self.users(client, desde="2026-02-16", hasta="2026-02-28") == []
        assert self.users(client, desde="2026-02-01") == ["beto", "carla", "dora"]
        assert self.users(client, hasta="2026-02-15") == ["ana", "beto"]
        assert self.users(client, hasta="15/02/2026") == ["ana", "beto"]


class TestFiltersAfterChanges:
    """Tests that change the world first: it is built for each of them alone."""

    def users(self, client, **data):
        return [row[2] for row in read_csv(post(client, **data))[1:]]

    def test_sede_grupo_and_course(self, client, world, make_learner):
        other = courses_api.CoursePage.objects.get(slug="salud-y-prevencion")
        enrollment_api.enroll(user=world["dora"], course=other)
        client.force_login(world["admin"])
        assert self.users(client, sede=world["sur"].pk) == ["eva"]
        assert self.users(client, grupo=world["grupo2"].pk) == ["carla", "dora", "dora"]
        assert self.users(client, sede=world["norte"].pk, grupo=world["grupo1"].pk) == [
            "ana",
            "beto",
        ]
        assert self.users(client, curso=other.pk) == ["dora"]

    def test_progress_filters_on_last_activity(self, client, world):
        LessonProgress.objects.filter(user=world["ana"]).update(
            last_activity_at=local(2026, 4, 2, 8)
        )
        client.force_login(world["coordinator"])
        rows = read_csv(post(client, tipo="avance", desde="2026-04-01", hasta="2026-04-02"))
        assert {row[2] for row in rows[1:]} == {"ana"}
        rows = read_csv(post(client, tipo="avance", desde="2026-04-03"))
        assert "ana" not in {row[2] for row in rows[1:]}

    def test_certificates_filter_on_issue_date(self, client, world):
        first, _second = world["certificates"]
        Certificate.objects.filter(pk=first.pk).update(issued_at=local(2026, 5, 1, 12))
        client.force_login(world["coordinator"])
        rows = read_csv(post(client, tipo="constancias", desde="2026-05-01", hasta="2026-05-01"))
        assert [row[5] for row in rows[1:]] == [first.folio]


class TestBadInput(WorldTestCase):
    def errors(self, client, **data):
        response = post(client, **data)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")  # the form, no file
        return response.context["form"].errors

    def test_forged_sede_and_grupo(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        errors = self.errors(client, sede=world["sur"].pk, grupo=world["sur_grupo"].pk)
        assert errors["sede"] == ["Esa sede no existe o no es una de las sedes que usted coordina."]
        assert errors["grupo"] == [
            "Ese grupo no existe o no es de una de las sedes que usted coordina."
        ]
        assert self.errors(client, sede="abc")["sede"]
        assert self.errors(client, grupo="999999")["grupo"]

    def test_grupo_of_another_of_my_sedes(self):
        client, world = self.client, self.world
        client.force_login(world["admin"])
        errors = self.errors(client, sede=world["norte"].pk, grupo=world["sur_grupo"].pk)
        assert errors["grupo"] == ["El grupo «Grupo 1» no es de la sede «Plaza norte»."]

    def test_dates(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        errors = self.errors(client, desde="2026-03-10", hasta="2026-03-09")
        assert errors["hasta"] == ["La fecha «hasta» es anterior a «desde». Revise las fechas."]
        assert self.errors(client, desde="mañana")["desde"] == [
            "Escriba la fecha como AAAA-MM-DD, por ejemplo 2026-11-28."
        ]
        assert self.errors(client, hasta="2026-02-30")["hasta"]

    def test_kind_format_and_course(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        assert self.errors(client, tipo="usuarios")["tipo"] == [
            "Elija una de las exportaciones de la lista."
        ]
        assert self.errors(client, formato="pdf")["formato"] == ["Elija CSV o Excel (XLSX)."]
        assert self.errors(client, tipo="")["tipo"] == ["Elija qué quiere exportar."]
        assert self.errors(client, curso="999999")["curso"] == ["Ese curso no existe."]

    def test_the_form_keeps_what_was_typed(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        response = post(client, tipo="avance", desde="2026-03-10", hasta="2026-03-09")
        html = response.content.decode()
        assert 'value="2026-03-10"' in html and 'value="2026-03-09"' in html
        assert re.search(r'name="tipo" value="avance"[^>]*checked', html)
        assert "Revise lo siguiente" in html

    def test_the_form_offers_only_my_sedes_and_grupos(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        response = client.get(URL)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Plaza norte" in html and "Plaza sur" not in html
        assert list(response.context["form"].fields["sede"].queryset) == [world["norte"]]


class TestScope(WorldTestCase):
    def test_administrator_sees_every_sede(self):
        client, world = self.client, self.world
        client.force_login(world["admin"])
        rows = read_csv(post(client))
        assert [row[2] for row in rows[1:]] == ["ana", "beto", "carla", "dora", "eva"]

    def test_coordinator_of_the_other_sede(self):
        client, world = self.client, self.world
        client.force_login(world["sur_coordinator"])
        for kind in ("inscripciones", "avance"):
            rows = read_csv(post(client, tipo=kind))
            assert {row[0] for row in rows[1:]} == {"Plaza sur"}
            assert {row[2] for row in rows[1:]} == {"eva"}

    def test_scope_is_applied_even_to_direct_calls(self):
        """The functions the views and the task use: a forged sede matches nothing."""
        world = self.world
        filters = exports.ExportFilters(sede_id=world["sur"].pk)
        for kind in ("inscripciones", "avance", "constancias"):
            headers, rows = exports.export_rows(
                kind=kind, user=world["coordinator"], filters=filters
            )
            assert headers and list(rows) == []
        headers, rows = exports.export_rows(kind="inscripciones", user=world["dora"])
        assert list(rows) == []


class TestScopeAfterChanges:
    """Tests that change the world first: it is built for each of them alone."""

    def test_staff_in_a_grupo_are_never_exported(self, client, world, make_user, course):
        """A staff account that is in a grupo (joined before that was refused, or given a
        role later) is not a learner to the coordinator: no row in any kind of export."""
        staff = make_user("asesora-en-grupo", roles.ASESOR)
        Membership.objects.create(user=staff, grupo=world["grupo1"])
        enrollment_api.enroll(user=staff, course=course)
        client.force_login(world["coordinator"])
        for kind in ("inscripciones", "avance", "constancias"):
            rows = read_csv(post(client, tipo=kind))
            assert "asesora-en-grupo" not in {row[2] for row in rows[1:]}, kind


class TestDirectCalls(WorldTestCase):
    """The functions benchmarks call."""

    def test_write_csv_and_count(self):
        world = self.world
        out = io.BytesIO()
        written = exports.write_csv(
            kind="inscripciones", user=world["admin"], filters=None, out=out
        )
        assert written == exports.count_rows(kind="inscripciones", user=world["admin"]) == 5
        rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
        assert len(rows) == 6

    def test_write_xlsx(self):
        world = self.world
        out = io.BytesIO()
        written = exports.write_xlsx(kind="avance", user=world["admin"], out=out)
        sheet = load_workbook(io.BytesIO(out.getvalue())).active
        assert (
            written == sheet.max_row - 1 == exports.count_rows(kind="avance", user=world["admin"])
        )

    def test_export_rows(self):
        world = self.world
        headers, rows = exports.export_rows(kind="constancias", user=world["coordinator"])
        rows = list(rows)
        assert headers[5] == "folio" and len(rows) == 2
        assert {row[7] for row in rows} == {"vigente", "anulada"}

    def test_filters_round_trip_through_json(self):
        filters = exports.ExportFilters(
            desde=datetime(2026, 1, 1).date(), hasta=None, sede_id=3, grupo_id=None, curso_id=9
        )
        assert filters.as_json() == {"desde": "2026-01-01", "sede_id": 3, "curso_id": 9}
        assert exports.ExportFilters.from_json(filters.as_json()) == filters
        assert exports.ExportFilters.from_json({}) == exports.ExportFilters()


class TestQueryCount:
    def queries(self, client, **data):
        with CaptureQueriesContext(connection) as ctx:
            response = post(client, **data)
            if response.streaming:
                b"".join(response.streaming_content)
            assert response.status_code == 200
        return len(ctx.captured_queries)

    @pytest.mark.parametrize(
        ("kind", "fmt"),
        [
            ("inscripciones", "csv"),
            ("inscripciones", "xlsx"),
            ("avance", "csv"),
            ("constancias", "csv"),
        ],
    )
    def test_queries_do_not_grow_with_rows(self, client, sedes, make_learner, course, kind, fmt):
        _sede, coordinator, grupo = sedes["norte"]
        client.force_login(coordinator)

        def add(start, stop):
            for index in range(start, stop):
                learner = make_learner(f"e{index}", grupo, course, lessons_done=index % 3)
                attempt(learner, course, "50.00", 1)
                if index % 5 == 0:
                    enrollment = complete(learner, course)
                    certificates_api.issue_certificate(enrollment_id=enrollment.pk)

        add(0, 5)
        self.queries(client, tipo=kind, formato=fmt)  # warm caches (permissions, site)
        small = self.queries(client, tipo=kind, formato=fmt)
        add(5, 25)
        assert self.queries(client, tipo=kind, formato=fmt) == small


class TestLargeExports:
    @override_settings(AULA_EXPORT_STREAM_MAX_ROWS=1)
    def test_queued_built_and_downloaded(self, client, world, django_capture_on_commit_callbacks):
        client.force_login(world["coordinator"])
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, sede=world["norte"].pk, desde="2026-01-01")
        assert response.status_code == 302 and response["Location"] == JOBS
        job = ExportJob.objects.get(requested_by=world["coordinator"])
        assert job.filters == {"desde": "2026-01-01", "sede_id": world["norte"].pk}
        assert job.status == ExportStatus.DONE and job.rows == 4
        assert job.file.name == f"exportaciones/{job.uuid}.csv"
        assert job.finished_at is not None
        page = client.get(JOBS)
        html = page.content.decode()
        assert "Su archivo se está preparando; le avisaremos" in html
        assert f"/coordinacion/exportar/archivos/{job.uuid}/" in html
        assert "Lista" in html and "desde 2026-01-01, Plaza norte" in html
        download = client.get(f"{JOBS}{job.uuid}/")
        assert download.status_code == 200
        assert 'filename="aula-inscripciones-' in download["Content-Disposition"]
        body = b"".join(download.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0] == ENROLLMENT_HEADERS
        assert [row[2] for row in rows[1:]] == ["ana", "beto", "carla", "dora"]
        (email,) = mail.outbox
        assert email.to == ["coordina@example.org"]
        assert email.subject == "Su archivo de Aula está listo"
        assert "https://aula.example.org/coordinacion/exportar/archivos/" in email.body
        assert "4 filas" in email.body

    @override_settings(AULA_EXPORT_STREAM_MAX_ROWS=1)
    def test_xlsx_job(self, client, world, django_capture_on_commit_callbacks):
        client.force_login(world["admin"])
        with django_capture_on_commit_callbacks(execute=True):
            post(client, tipo="constancias", formato="xlsx")
        job = ExportJob.objects.get(requested_by=world["admin"])
        assert job.status == ExportStatus.DONE and job.rows == 2
        assert job.file.name.endswith(".xlsx")
        download = client.get(f"{JOBS}{job.uuid}/")
        sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
        assert sheet.max_row == 3

    @override_settings(AULA_EXPORT_STREAM_MAX_ROWS=1)
    def test_no_email_no_message_about_email(
        self, client, world, django_capture_on_commit_callbacks
    ):
        client.force_login(world["admin"])
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client)
        assert "le avisaremos en esta lista" in client.get(response["Location"]).content.decode()
        assert mail.outbox == []

    def test_scope_is_decided_when_the_task_runs(self, world):
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        world["norte"].coordinators.remove(world["coordinator"])
        assert export_tasks.build_export.delay(job.pk).get() == 0
        job.refresh_from_db()
        assert job.status == ExportStatus.DONE and job.rows == 0

    def test_a_job_already_done_is_skipped(self, world):
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        assert export_tasks.build_export.delay(job.pk).get() == 4
        job.refresh_from_db()
        name, finished = job.file.name, job.finished_at
        mail.outbox.clear()
        assert export_tasks.build_export.delay(job.pk).get() is None
        job.refresh_from_db()
        assert (job.file.name, job.finished_at) == (name, finished)
        assert mail.outbox == []
        assert export_tasks.build_export.delay(987654).get() is None  # deleted meanwhile

    def test_a_failure_is_shown_and_told(self, client, world, monkeypatch):
        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setitem(files.WRITERS, "csv", broken)
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        mail.outbox.clear()
        with pytest.raises(RuntimeError):
            export_tasks.build_export.delay(job.pk)
        job.refresh_from_db()
        assert job.status == ExportStatus.FAILED and not job.file
        assert job.error.startswith("No se pudo preparar el archivo.")
        (email,) = mail.outbox
        assert email.subject == "No pudimos preparar su archivo de Aula"
        client.force_login(world["coordinator"])
        html = client.get(JOBS).content.decode()
        assert "Falló" in html and "No se pudo preparar el archivo." in html
        assert f"{JOBS}{job.uuid}/" not in html  # no download link
        response = client.get(f"{JOBS}{job.uuid}/")
        assert response.status_code == 302 and response["Location"] == JOBS

    @pytest.fixture
    def flaky_storage(self, monkeypatch):
        """Storage that fails its first ``fail[0]`` saves, as S3 does in an outage."""
        real, calls, fail = FileSystemStorage.save, [], [0]

        def save(storage, name, content, max_length=None):
            calls.append(name)
            if len(calls) <= fail[0]:
                raise ConnectionError("S3 no responde")
            return real(storage, name, content, max_length=max_length)

        monkeypatch.setattr(FileSystemStorage, "save", save)
        return calls, fail

    @pytest.fixture
    def eager_retries(self, monkeypatch):
        """Eager retries run at once (a worker would run them later); only when eager
        errors do not propagate does Celery apply them all."""
        from lms.celery import app

        monkeypatch.setitem(app.conf, "task_eager_propagates", False)

    def test_storage_errors_are_retried(self, world, flaky_storage, eager_retries):
        calls, fail = flaky_storage
        fail[0] = 2
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        result = export_tasks.build_export.apply(args=[job.pk])
        assert result.get() == 4
        job.refresh_from_db()
        assert len(calls) == 3
        assert job.status == ExportStatus.DONE and job.rows == 4

    def test_a_storage_outage_that_lasts_fails_the_job(self, world, flaky_storage, eager_retries):
        calls, fail = flaky_storage
        fail[0] = 100
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        result = export_tasks.build_export.apply(args=[job.pk])
        assert result.failed()
        assert len(calls) == export_tasks.build_export.max_retries + 1
        job.refresh_from_db()
        assert job.status == ExportStatus.FAILED
        assert job.error.startswith("No se pudo guardar el archivo")

    def test_eager_mode_with_storage_down_fails_the_job_not_the_request(
        self, client, world, flaky_storage, django_capture_on_commit_callbacks
    ):
        flaky_storage[1][0] = 100
        client.force_login(world["coordinator"])
        with (
            override_settings(AULA_EXPORT_STREAM_MAX_ROWS=1),
            django_capture_on_commit_callbacks(execute=True),
        ):
            response = post(client)
        assert response.status_code == 302
        job = ExportJob.objects.get(requested_by=world["coordinator"])
        assert job.status == ExportStatus.FAILED

    def test_a_broker_that_is_down_marks_the_job_failed(self, world, monkeypatch):
        def down(*args, **kwargs):
            raise ConnectionRefusedError("Redis")

        monkeypatch.setattr(export_tasks.build_export, "delay", down)
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        export_tasks.queue_export(job.pk)  # does not raise: the request must not fail
        job.refresh_from_db()
        assert job.status == ExportStatus.FAILED

    def test_a_deactivated_requester_gets_nothing(self, world):
        world["coordinator"].is_active = False
        world["coordinator"].save()
        job = ExportJob.objects.create(
            requested_by=world["coordinator"], kind="inscripciones", format="csv"
        )
        export_tasks.build_export.delay(job.pk)
        job.refresh_from_db()
        assert job.status == ExportStatus.FAILED and not job.file
        assert job.error == "La cuenta que pidió este archivo está desactivada."


class TestCleanup:
    @override_settings(AULA_EXPORT_KEEP_DAYS=7)
    def test_old_jobs_and_files_are_deleted(self, world):
        def built(kind):
            job = ExportJob.objects.create(
                requested_by=world["coordinator"], kind=kind, format="csv"
            )
            export_tasks.build_export.delay(job.pk)
            job.refresh_from_db()
            assert default_storage.exists(job.file.name)
            return job

        old, recent = built("inscripciones"), built("avance")
        ExportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
        orphan = default_storage.save("exportaciones/huerfano.csv", ContentFile(b"x"))
        assert export_tasks.cleanup_exports.delay().get() == 1
        assert not ExportJob.objects.filter(pk=old.pk).exists()
        assert not default_storage.exists(old.file.name)
        assert ExportJob.objects.filter(pk=recent.pk).exists()
        assert default_storage.exists(recent.file.name)
        assert default_storage.exists(orphan)  # a file no job points to, but new
        # Eight days on: the recent job, its file and the orphan file go too.
        assert exports.delete_old_jobs(now=timezone.now() + timedelta(days=8)) == 1
        assert not ExportJob.objects.exists()
        assert not default_storage.exists(recent.file.name)
        assert not default_storage.exists(orphan)


def requested_job(world):
    """An export of the enrollments that the coordinator asked for, built."""
    job = ExportJob.objects.create(
        requested_by=world["coordinator"], kind="inscripciones", format="csv"
    )
    export_tasks.build_export.delay(job.pk)
    return job


class TestAccess(WorldTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.job = requested_job(cls.world)

    def urls(self, job):
        return [URL, JOBS, f"{JOBS}{job.uuid}/"]

    def test_anonymous_goes_to_log_in(self):
        client, job = self.client, self.job
        for url in self.urls(job):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/cuenta/entrar/?next=")
        assert post(client).status_code == 302

    def test_without_a_sede_is_forbidden_educando(self):
        self.without_a_sede_is_forbidden(roles.EDUCANDO)

    def test_without_a_sede_is_forbidden_asesor(self):
        self.without_a_sede_is_forbidden(roles.ASESOR)

    def test_without_a_sede_is_forbidden_coordinador(self):
        self.without_a_sede_is_forbidden(roles.COORDINADOR)

    def without_a_sede_is_forbidden(self, role):
        client, make_user, job = self.client, helpers.make_user, self.job
        client.force_login(make_user("sin-sede", role))
        for url in self.urls(job):
            assert client.get(url).status_code == 403, url
        assert post(client).status_code == 403

    def test_learner_of_the_sede_is_forbidden(self):
        client, world, job = self.client, self.world, self.job
        client.force_login(world["ana"])
        for url in self.urls(job):
            assert client.get(url).status_code == 403, url

    def test_only_the_requester_downloads(self):
        client, world, job = self.client, self.world, self.job
        client.force_login(world["coordinator"])
        assert client.get(f"{JOBS}{job.uuid}/").status_code == 200
        for other in (world["sur_coordinator"], world["admin"]):
            client.force_login(other)
            assert client.get(f"{JOBS}{job.uuid}/").status_code == 404
            html = client.get(JOBS).content.decode()
            assert str(job.uuid) not in html

    def test_pages_for_coordinator_and_administrator(self):
        client, world = self.client, self.world
        for user in (world["coordinator"], world["admin"]):
            client.force_login(user)
            assert client.get(URL).status_code == 200
            assert client.get(JOBS).status_code == 200

    def test_list_shows_only_own_jobs(self):
        client, world, job = self.client, self.world, self.job
        client.force_login(world["coordinator"])
        response = client.get(JOBS)
        assert [j.pk for j in response.context["jobs"]] == [job.pk]
        client.force_login(world["sur_coordinator"])
        assert list(client.get(JOBS).context["jobs"]) == []

    def test_only_get_and_post(self):
        client, world = self.client, self.world
        client.force_login(world["coordinator"])
        assert client.put(URL).status_code == 405
        assert client.post(JOBS).status_code == 405


class TestAccessAfterChanges:
    """Tests that change the world or the file first: both are built for each of them."""

    @pytest.fixture
    def job(self, world):
        return requested_job(world)

    def urls(self, job):
        return [URL, JOBS, f"{JOBS}{job.uuid}/"]

    def test_asesor_of_a_grupo_is_forbidden(self, client, world, asesor, job):
        world["grupo1"].asesores.add(asesor)
        client.force_login(asesor)
        assert post(client).status_code == 403

    def test_a_deleted_file_is_explained(self, client, world, job):
        job.refresh_from_db()
        default_storage.delete(job.file.name)
        client.force_login(world["coordinator"])
        response = client.get(f"{JOBS}{job.uuid}/")
        assert response.status_code == 302
        assert "ya no está disponible" in client.get(JOBS).content.decode()


def test_dashboard_and_export_agree(client, world, course):
    """The per-sede figures of the dashboard and the rows of the export, on the same
    data: enrolled (active enrollments), completed and certified."""
    # Eva completes in sur, after two attempts at the final exam.
    complete(world["eva"], course)
    attempt(world["eva"], course, "65.00", 1)
    attempt(world["eva"], course, "80.00", 2)
    attempt(world["ana"], course, "40.00", 1)
    sedes = Sede.objects.order_by("name")
    figures, _total = coordination_api.figures_by_sede(sedes=sedes)
    by_sede = {f.label: f for f in figures}
    client.force_login(world["admin"])
    rows = read_csv(post(client))[1:]
    for sede in sedes:
        mine = [row for row in rows if row[0] == sede.name]
        active = {(r[2], r[6]) for r in mine if r[10] != "dada de baja"}
        completed = {(r[2], r[6]) for r in mine if r[10] == "concluida"}
        certified = {(r[2], r[6]) for r in mine if r[10] != "dada de baja" and r[18]}
        finals = [Decimal(r[17]) for r in mine if r[10] != "dada de baja" and r[17]]
        figure = by_sede[sede.name]
        assert (figure.enrolled, figure.completed, figure.certified) == (
            len(active),
            len(completed),
            len(certified),
        ), sede.name
        assert float(figure.average_final) == pytest.approx(float(sum(finals) / len(finals)))
    assert (by_sede["Plaza norte"].enrolled, by_sede["Plaza norte"].completed) == (3, 1)
    assert by_sede["Plaza norte"].certified == 1
    assert (by_sede["Plaza sur"].enrolled, by_sede["Plaza sur"].completed) == (1, 1)
    assert float(by_sede["Plaza norte"].average_final) == 65.0  # ana 40, beto's best 90
    assert float(by_sede["Plaza sur"].average_final) == 80.0
