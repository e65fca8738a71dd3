"""Who read whose data: the append-only access log and the administrators' page for it."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from lms.accounts import api, roles
from lms.accounts.models import AccessAction, AccessRecord
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import BulkImport
from tests.helpers import complete

BROWSER = "Mozilla/5.0 (Linux; Android 13) Prueba"


@pytest.fixture
def world(sedes, make_learner, course):
    _sede, coordinator, grupo = sedes["norte"]
    learner = make_learner("ana", grupo, course, display_name="Ana Ruiz")
    return {"coordinator": coordinator, "learner": learner, "grupo": grupo, "course": course}


def _get(client, url, **kwargs):
    return client.get(url, REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT=BROWSER, **kwargs)


def _post(client, url, data=None):
    return client.post(url, data or {}, REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT=BROWSER)


class TestWhatIsRecorded:
    def test_viewing_a_learners_file(self, client, world):
        client.force_login(world["coordinator"])
        assert _get(client, f"/coordinacion/educando/{world['learner'].pk}/").status_code == 200
        record = AccessRecord.objects.get()
        assert record.actor == world["coordinator"]
        assert record.actor_username == "coordina-norte"
        assert record.subject == world["learner"]
        assert record.action == AccessAction.VIEW_LEARNER
        assert record.address == "203.0.113.5"
        assert record.user_agent == BROWSER

    def test_handing_out_a_reset_code(self, client, world):
        client.force_login(world["coordinator"])
        _post(client, f"/coordinacion/educando/{world['learner'].pk}/codigo/")
        assert AccessRecord.objects.filter(
            action=AccessAction.RESET_CODE, subject=world["learner"]
        ).exists()

    def test_exports_and_their_downloads_and_the_api(self, client, world):
        client.force_login(world["coordinator"])
        response = _post(
            client, "/coordinacion/exportar/", {"tipo": "inscripciones", "formato": "csv"}
        )
        assert response.status_code == 200
        b"".join(response.streaming_content)
        export = AccessRecord.objects.get(action=AccessAction.EXPORT)
        assert export.subject is None
        assert "inscripciones" in export.detail and "1 filas" in export.detail
        _get(client, "/api/v1/coordinacion/inscripciones/")
        assert AccessRecord.objects.filter(
            action=AccessAction.EXPORT, detail__startswith="API"
        ).exists()

    def test_downloading_a_sheet_of_access_codes(
        self, client, world, django_capture_on_commit_callbacks
    ):
        from tests.enrollment.conftest import csv_bytes, upload

        client.force_login(world["coordinator"])
        upload(client, world["grupo"], csv_bytes([["nuevo-uno", "Uno Nuevo", "", "", "", ""]]))
        bulk_import = BulkImport.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            _post(client, f"/coordinacion/inscripcion/{bulk_import.uuid}/aplicar/")
        response = _get(client, f"/coordinacion/inscripcion/{bulk_import.uuid}/codigos.pdf")
        assert response.status_code == 200, response
        record = AccessRecord.objects.get(action=AccessAction.CODE_SHEET)
        assert "Grupo 1" in record.detail

    def test_someone_elses_constancia_but_not_ones_own(
        self, client, world, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            enrollment = complete(world["learner"], world["course"])
        certificate = enrollment.certificates.get()
        url = f"/mis-cursos/constancias/{certificate.uuid}/pdf/"
        client.force_login(world["learner"])
        assert _get(client, url).status_code == 200
        assert not AccessRecord.objects.exists()
        client.force_login(world["coordinator"])
        assert _get(client, url).status_code == 200
        record = AccessRecord.objects.get()
        assert (record.action, record.subject, record.detail) == (
            AccessAction.CERTIFICATE,
            world["learner"],
            certificate.folio,
        )

    def test_nothing_is_recorded_when_nothing_was_shown(self, client, world, sedes):
        client.force_login(sedes["sur"][1])  # another sede: 404
        assert _get(client, f"/coordinacion/educando/{world['learner'].pk}/").status_code == 404
        assert not AccessRecord.objects.exists()


class TestAppendOnly:
    def test_records_are_never_changed_or_removed(self, client, world):
        client.force_login(world["coordinator"])
        _get(client, f"/coordinacion/educando/{world['learner'].pk}/")
        record = AccessRecord.objects.get()
        record.detail = "otra cosa"
        with pytest.raises(PermissionError):
            record.save()
        with pytest.raises(PermissionError):
            record.delete()
        with pytest.raises(PermissionError):
            AccessRecord.objects.update(detail="otra cosa")
        with pytest.raises(PermissionError):
            AccessRecord.objects.all().delete()
        assert AccessRecord.objects.get().detail == ""

    @pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
    @pytest.mark.postgres
    def test_the_database_refuses_changes_too(self, client, world):
        client.force_login(world["coordinator"])
        _get(client, f"/coordinacion/educando/{world['learner'].pk}/")
        statements = (
            "UPDATE accounts_accessrecord SET detail = 'x'",
            "DELETE FROM accounts_accessrecord",
        )
        for sql in statements:
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
        assert AccessRecord.objects.count() == 1

    def test_a_deleted_account_leaves_the_record_without_the_person(self, client, world):
        client.force_login(world["coordinator"])
        _get(client, f"/coordinacion/educando/{world['learner'].pk}/")
        api.delete_account(user=world["learner"])
        record = AccessRecord.objects.get()
        assert record.subject is None
        assert record.actor_username == "coordina-norte"


class TestTheAdministratorsPage:
    URL = "/admin/registro_de_accesos/"

    def test_administrators_read_and_filter_it(self, client, world, make_user, sedes):
        client.force_login(world["coordinator"])
        _get(client, f"/coordinacion/educando/{world['learner'].pk}/")
        other = enrollment_api.add_to_grupo
        beto = make_user("beto", roles.EDUCANDO)
        other(grupo=world["grupo"], user=beto)
        _get(client, f"/coordinacion/educando/{beto.pk}/")
        client.force_login(make_user("jefa", roles.ADMINISTRADOR))
        page = client.get(self.URL)
        assert page.status_code == 200
        html = page.content.decode()
        assert "coordina-norte" in html and "203.0.113.5" in html
        filtered = client.get(self.URL, {"subject__username": "beto"}).content.decode()
        assert "beto" in filtered and "Ana Ruiz" not in filtered
        by_action = client.get(self.URL, {"action": AccessAction.EXPORT})
        assert "coordina-norte" not in by_action.content.decode().split("<tbody", 1)[-1]

    def test_nobody_changes_it_from_the_admin(self, client, world, admin_user):
        client.force_login(world["coordinator"])
        _get(client, f"/coordinacion/educando/{world['learner'].pk}/")
        record = AccessRecord.objects.get()
        client.force_login(admin_user)  # even a superuser
        for name in ("edit", "delete"):
            url = reverse(f"registro_de_accesos:{name}", args=[record.pk])
            assert client.get(url).status_code in (302, 403), name
            client.post(url, {"detail": "cambiado"})
        assert (
            client.get(reverse("registro_de_accesos:inspect", args=[record.pk])).status_code == 200
        )
        assert AccessRecord.objects.get().detail == ""

    @pytest.mark.parametrize("role", [roles.COORDINADOR, roles.ASESOR])
    def test_coordinators_and_asesores_cannot_open_it(self, client, world, make_user, role):
        client.force_login(make_user("alguien", role))
        assert client.get(self.URL).status_code in (302, 403)
