"""The coordinator's bulk-enrollment pages: who may use them, the templates, upload,
preview, apply, the sheet of codes and the history."""

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import CoursePage
from lms.accounts import api as accounts_api
from lms.enrollment import bulk, tasks
from lms.enrollment.models import BulkImport, Sede

from .conftest import HEADERS, csv_bytes, upload, xlsx_bytes

BASE = "/coordinacion/inscripcion/"


def _import(grupo, by, rows=(("persona-uno",),), headers=("usuario",)):
    content = csv_bytes(rows, headers=list(headers))
    return bulk.create_import(grupo=grupo, uploaded_by=by, filename="lista.csv", content=content)


def _applied(grupo, by):
    bulk_import = _import(grupo, by)
    bulk.apply_import(
        bulk_import=bulk_import,
        by=by,
        base_url="https://aula.example.org",
        queue_welcome_email=tasks.send_welcome_email_task.delay,
    )
    bulk_import.refresh_from_db()
    return bulk_import


@pytest.fixture
def imports(norte):
    """An unapplied and an applied (with a code sheet) import of Plaza norte."""
    _sede, coordinator, grupo = norte
    return {"pending": _import(grupo, coordinator), "applied": _applied(grupo, coordinator)}


class TestWhoMayUseThem:
    """Every endpoint, for every role."""

    @staticmethod
    def _requests(imports):
        pending, applied = imports["pending"].uuid, imports["applied"].uuid
        return [
            ("get", BASE),
            ("get", f"{BASE}plantilla.csv"),
            ("get", f"{BASE}plantilla.xlsx"),
            ("get", f"{BASE}{pending}/"),
            ("get", f"{BASE}{applied}/"),
            ("post", f"{BASE}{pending}/aplicar/"),
            ("get", f"{BASE}{applied}/codigos.pdf"),
        ]

    def test_anonymous_visitors_are_sent_to_log_in(self, client, imports):
        for method, url in self._requests(imports):
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/cuenta/entrar/?next="), url

    @pytest.mark.parametrize("role", ["educando", "asesor"])
    def test_learners_and_asesores_get_403(self, client, imports, request, role):
        client.force_login(request.getfixturevalue(role))
        for method, url in self._requests(imports):
            assert getattr(client, method)(url).status_code == 403, url

    def test_a_coordinator_of_another_sede_gets_404_for_this_sedes_uploads(
        self, client, imports, sedes
    ):
        client.force_login(sedes["sur"][1])
        for method, url in self._requests(imports):
            status = getattr(client, method)(url).status_code
            expected = 200 if "/plantilla" in url or url == BASE else 404
            assert status == expected, url
        imports["pending"].refresh_from_db()
        assert imports["pending"].applied_at is None

    def test_a_coordinator_of_another_sede_cannot_choose_this_grupo(self, client, norte, sedes):
        client.force_login(sedes["sur"][1])
        response = upload(client, norte[2], csv_bytes([["persona-uno"]], headers=["usuario"]))
        assert response.status_code == 200
        assert response.context["form"].errors["grupo"] == ["Elija uno de los grupos de su sede."]
        assert not BulkImport.objects.exists()
        grupos = list(response.context["form"].fields["grupo"].queryset)
        assert grupos == [sedes["sur"][2]]

    @pytest.mark.parametrize("who", ["coordinator", "admin"])
    def test_the_coordinator_and_administrators(self, client, imports, norte, admin, who):
        client.force_login(norte[1] if who == "coordinator" else admin)
        for method, url in self._requests(imports):
            status = getattr(client, method)(url).status_code
            assert status == (302 if method == "post" else 200), url


class TestTemplates:
    def test_csv_template_opens_in_excel_with_accents(self, client, norte):
        client.force_login(norte[1])
        response = client.get(f"{BASE}plantilla.csv")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="plantilla-inscripcion.csv"' in response["Content-Disposition"]
        assert response.content == b"\xef\xbb\xbf" + ",".join(HEADERS).encode() + b"\r\n"

    def test_csv_round_trip(self, client, norte):
        _sede, coordinator, grupo = norte
        client.force_login(coordinator)
        template = client.get(f"{BASE}plantilla.csv").content
        filled = template + "ana.peña,Ana Peña,,,,B3MFP\r\nbeto,,,,,\r\n".encode()
        response = upload(client, grupo, filled, name="plantilla-inscripcion.csv")
        assert response.status_code == 302
        preview = client.get(response["Location"])
        assert not preview.context["check"].has_errors
        assert preview.context["totals"]["new_accounts"] == 2

    def test_xlsx_template_lists_the_courses_and_round_trips(self, client, norte):
        _sede, coordinator, grupo = norte
        client.force_login(coordinator)
        response = client.get(f"{BASE}plantilla.xlsx")
        assert 'filename="plantilla-inscripcion.xlsx"' in response["Content-Disposition"]
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        assert [c.value for c in workbook["Educandos"][1]] == HEADERS
        listed = [tuple(row) for row in workbook["Cursos"].iter_rows(values_only=True)]
        live = CoursePage.objects.live()
        assert listed[0] == ("código", "curso", "clave del MEVyT")
        # A course that claims no module (Finanzas personales) has an empty key cell.
        assert sorted((slug, title, key or "") for slug, title, key in listed[1:]) == sorted(
            (c.slug, c.title, c.module.key if c.module else "") for c in live
        )
        assert workbook["Instrucciones"]["A1"].value == "Cómo llenar esta plantilla"
        workbook["Educandos"].append(["ana", "Ana", None, 2135550101, None, "B3MFP; B2CVM"])
        workbook.active = workbook.sheetnames.index("Cursos")  # saved while looking at Cursos
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = upload(client, grupo, buffer.getvalue(), name="plantilla.xlsx")
        preview = client.get(response["Location"])
        check = preview.context["check"]
        assert not check.has_errors
        assert check.rows[0].data["phone"] == "2135550101"
        assert len(check.rows[0].enroll_in) == 2

    def test_a_title_is_never_a_formula(self, client, norte):
        CoursePage.objects.filter(slug="finanzas-personales").update(
            title='=HYPERLINK("https://example.org","Finanzas")'
        )
        client.force_login(norte[1])
        workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{BASE}plantilla.xlsx").content))
        (cell,) = [
            row[1]
            for row in workbook["Cursos"].iter_rows()
            if row[0].value == "finanzas-personales"
        ]
        assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"

    def test_unpublished_courses_are_not_offered(self, client, norte):
        CoursePage.objects.get(slug="finanzas-personales").unpublish()
        client.force_login(norte[1])
        workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{BASE}plantilla.xlsx").content))
        codes = [row[0] for row in workbook["Cursos"].iter_rows(min_row=2, values_only=True)]
        assert "finanzas-personales" not in codes and "fracciones-y-porcentajes" in codes


class TestUpload:
    def test_the_page_offers_the_templates_and_only_grupos_in_scope(self, client, norte):
        client.force_login(norte[1])
        response = client.get(BASE)
        html = response.content.decode()
        assert f'href="{BASE}plantilla.xlsx"' in html and f'href="{BASE}plantilla.csv"' in html
        assert 'enctype="multipart/form-data"' in html
        assert list(response.context["form"].fields["grupo"].queryset) == [norte[2]]
        assert response.context["form"].initial["grupo"] == norte[2].pk

    def test_a_good_file_is_stored_and_previewed(self, client, norte):
        _sede, coordinator, grupo = norte
        client.force_login(coordinator)
        content = xlsx_bytes([["ana", "Ana"]])
        response = upload(client, grupo, content, name="Mi lista.xlsx")
        bulk_import = BulkImport.objects.get()
        assert response["Location"] == f"{BASE}{bulk_import.uuid}/"
        assert (bulk_import.filename, bulk_import.grupo, bulk_import.uploaded_by) == (
            "Mi lista.xlsx",
            grupo,
            coordinator,
        )
        assert bulk_import.sha256 == bulk.file_sha256(content)
        assert bulk_import.rows[0]["username"] == "ana"

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("lista.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003 (.xls)"),
            ("foto.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "no es un CSV de texto"),
            ("lista.csv", b"usuario\r\n", "solo tiene los encabezados"),
            # Django's own "The submitted file is empty." would come first without ours.
            ("lista.csv", b"", "El archivo está vacío. Use la plantilla"),
            ("lista.csv", b"usuario,edad\r\nana,30\r\n", "No reconocemos estas columnas: «edad»"),
        ],
    )
    def test_a_bad_file_is_refused_with_a_message(self, client, norte, name, content, message):
        client.force_login(norte[1])
        response = upload(client, norte[2], content, name=name)
        assert response.status_code == 200
        (error,) = response.context["form"].errors["file"]
        assert message in error
        assert message in response.content.decode()
        assert not BulkImport.objects.exists()

    def test_a_file_over_2_mb(self, client, norte):
        client.force_login(norte[1])
        content = b"usuario\r\n" + b"x" * (bulk.MAX_FILE_BYTES)
        response = upload(client, norte[2], content)
        assert "demasiado grande" in response.context["form"].errors["file"][0]

    def test_nothing_chosen(self, client, norte):
        client.force_login(norte[1])
        response = client.post(BASE, {})
        errors = response.context["form"].errors
        assert errors["file"] == ["Elija el archivo que va a subir."]
        assert errors["grupo"] == ["Elija el grupo."]

    def test_history_lists_only_the_coordinators_sedes(self, client, norte, sedes, admin):
        _sede, coordinator, grupo = norte
        mine = _applied(grupo, coordinator)
        theirs = _import(sedes["sur"][2], sedes["sur"][1], rows=[("otra-persona",)])
        client.force_login(coordinator)
        response = client.get(BASE)
        assert response.context["history"] == [mine]
        html = response.content.decode()
        assert f"{BASE}{mine.uuid}/" in html and str(theirs.uuid) not in html
        row = re.sub(r"\s+", " ", html[html.index(f"{BASE}{mine.uuid}/") :])
        assert re.search(
            r"<td>Aplicada</td> <td>Grupo 1 · Plaza norte</td> <td class=\"num\">1</td> "
            r"<td class=\"num\">0</td> <td class=\"num\">0</td> <td>lista.csv</td> "
            r"<td>coordina-norte</td>",
            row,
        )
        client.force_login(admin)
        assert set(client.get(BASE).context["history"]) == {mine, theirs}

    def test_a_coordinator_whose_sedes_have_no_grupos(self, client, make_user):
        sede = Sede.objects.create(key="vacia", name="Sede vacía", kind="plaza")
        coordinator = make_user("coordina-vacia", accounts_api.roles.COORDINADOR)
        sede.coordinators.add(coordinator)
        client.force_login(coordinator)
        html = client.get(BASE).content.decode()
        assert "Sus sedes todavía no tienen grupos" in html
        assert 'type="file"' not in html


class TestPreviewAndApply:
    def test_errors_block_applying_and_come_first(self, client, norte):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, rows=[("buena",), ("mal nombre",)])
        client.force_login(coordinator)
        response = client.get(f"{BASE}{bulk_import.uuid}/")
        html = response.content.decode()
        assert "Hay 1 fila con errores." in html
        assert "No se creó ni se inscribió a nadie" in html
        assert f"{BASE}{bulk_import.uuid}/aplicar/" not in html
        assert "<caption" in html and 'class="table-wrap"' in html
        assert html.index("mal nombre") < html.index("buena")
        assert 'class="bulk-error"' in html

    def test_valid_file_applies_and_shows_the_result(
        self, client, norte, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(
            grupo,
            coordinator,
            rows=[("ana", "ana@example.org", "B3MFP"), ("beto", "", "")],
            headers=("usuario", "correo", "cursos"),
        )
        client.force_login(coordinator)
        html = client.get(f"{BASE}{bulk_import.uuid}/").content.decode()
        assert f'action="{BASE}{bulk_import.uuid}/aplicar/"' in html
        assert "Confirmar e inscribir" in html
        with django_capture_on_commit_callbacks(execute=True):  # the task, eagerly
            response = client.post(f"{BASE}{bulk_import.uuid}/aplicar/")
        assert response["Location"] == f"{BASE}{bulk_import.uuid}/"
        response = client.get(response["Location"])
        html = response.content.decode()
        assert "Lista aplicada" in html
        assert "Descargar hoja de códigos (PDF)" in html
        assert response.context["summary"]["new_accounts"] == 2
        sheet = client.get(f"{BASE}{bulk_import.uuid}/codigos.pdf")
        assert sheet.status_code == 200
        assert sheet["Content-Type"] == "application/pdf"
        assert "attachment" in sheet["Content-Disposition"]
        assert b"".join(sheet.streaming_content).startswith(b"%PDF")
        assert get_user_model().objects.filter(username__in=["ana", "beto"]).count() == 2

    def test_applying_twice_says_so(self, client, norte):
        _sede, coordinator, grupo = norte
        bulk_import = _applied(grupo, coordinator)
        client.force_login(coordinator)
        before = get_user_model().objects.count()
        response = client.post(f"{BASE}{bulk_import.uuid}/aplicar/", follow=True)
        assert "ya se había aplicado" in response.content.decode()
        assert get_user_model().objects.count() == before

    def test_a_problem_at_apply_time_shows_the_preview_with_it(
        self, client, norte, make_user, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, rows=[("ana",), ("beto",)])
        make_user("BETO")  # someone took the username since the preview
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{BASE}{bulk_import.uuid}/aplicar/", follow=True)
        assert response.status_code == 200
        response = client.get(f"{BASE}{bulk_import.uuid}/")
        assert response.context["bulk_import"].status == "failed"
        html = response.content.decode()
        assert "No se inscribió a nadie: algo cambió desde la vista previa." in html
        assert "usuario duplicado: ya lo usa otra persona" in html
        assert not get_user_model().objects.filter(username="ana").exists()

    def test_apply_needs_a_post(self, client, imports, norte):
        client.force_login(norte[1])
        assert client.get(f"{BASE}{imports['pending'].uuid}/aplicar/").status_code == 405
        imports["pending"].refresh_from_db()
        assert imports["pending"].applied_at is None

    def test_the_same_file_again_is_flagged(self, client, norte):
        _sede, coordinator, grupo = norte
        _applied(grupo, coordinator)
        again = _import(grupo, coordinator)
        client.force_login(coordinator)
        html = client.get(f"{BASE}{again.uuid}/").content.decode()
        assert "Este mismo archivo ya se aplicó a este grupo" in html
        assert "No hay nada que cambiar" in html
        assert "Confirmar e inscribir" not in html


class TestCodeSheet:
    def test_gone_once_the_codes_expire(self, client, imports, norte):
        applied = imports["applied"]
        client.force_login(norte[1])
        url = f"{BASE}{applied.uuid}/codigos.pdf"
        assert client.get(url).status_code == 200
        BulkImport.objects.filter(pk=applied.pk).update(
            applied_at=timezone.now() - timedelta(days=accounts_api.reset_code_days())
        )
        assert client.get(url).status_code == 404
        assert "ya no está disponible" in client.get(f"{BASE}{applied.uuid}/").content.decode()

    def test_404_without_codes_or_before_applying(self, client, norte, imports, make_learner):
        _sede, coordinator, grupo = norte
        make_learner("con-cuenta", grupo)
        no_codes = _import(grupo, coordinator, rows=[("con-cuenta",)])
        bulk.apply_import(
            bulk_import=no_codes,
            by=coordinator,
            base_url="https://x.example",
            queue_welcome_email=tasks.send_welcome_email_task.delay,
        )
        client.force_login(coordinator)
        assert client.get(f"{BASE}{no_codes.uuid}/codigos.pdf").status_code == 404
        assert client.get(f"{BASE}{imports['pending'].uuid}/codigos.pdf").status_code == 404
