"""/cuenta/mis-datos/ (see and download) and /cuenta/eliminar/ (erase)."""

import json

import pytest
from axes.models import AccessLog
from django.core.exceptions import PermissionDenied

from lms.accounts import api
from lms.accounts.models import ResetCode, User

from .conftest import PASSWORD, VALID_CURP, errors_of, is_logged_in

MY_DATA = "/cuenta/mis-datos/"
DELETE = "/cuenta/eliminar/"


class TestMyData:
    def test_page_says_in_plain_words_what_is_kept(self, logged_in, educando):
        educando.email = "ana@example.org"
        educando.save()
        response = logged_in.get(MY_DATA)
        html = response.content.decode()
        assert response.status_code == 200
        assert "educanda1" in html and "ana@example.org" in html
        assert "(no lo dio)" in html  # phone and display name were not given
        assert "Lo que nunca le pedimos" in html
        assert 'method="post"' in html and "Descargar mis datos" in html

    def test_download_is_a_json_attachment_with_every_section(
        self, logged_in, educando, personal_data_registry
    ):
        api.register_personal_data(
            key="cursos_de_prueba", export=lambda user: {"de": user.username, "cursos": [1, 2]}
        )
        educando.curp = VALID_CURP
        educando.save()
        api.issue_reset_code(user=educando, issued_by=None)
        response = logged_in.post(MY_DATA)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert response["Content-Disposition"].startswith('attachment; filename="aula-mis-datos-')
        assert "no-store" in response["Cache-Control"]
        data = json.loads(response.content)
        assert data["formato"] == 1
        assert data["cuenta"]["usuario"] == "educanda1"
        assert data["cuenta"]["curp"] == VALID_CURP
        assert data["cuenta"]["roles"] == ["Educando"]
        assert len(data["cuenta"]["codigos_de_recuperacion"]) == 1
        assert data["cursos_de_prueba"] == {"de": "educanda1", "cursos": [1, 2]}

    def test_download_never_contains_the_password_or_code_hashes(self, logged_in, educando):
        api.issue_reset_code(user=educando, issued_by=None)
        body = logged_in.post(MY_DATA).content.decode()
        educando.refresh_from_db()
        assert educando.password not in body
        assert educando.reset_codes.get().code_hash not in body
        assert "password" not in body and "md5$" not in body

    def test_export_lists_recent_logins(self, client, educando):
        client.post("/cuenta/entrar/", {"username": "educanda1", "password": PASSWORD})
        data = api.export_personal_data(user=educando)
        assert len(data["cuenta"]["entradas_recientes"]) == 1
        assert data["cuenta"]["entradas_recientes"][0]["direccion_ip"] == "127.0.0.1"

    def test_an_app_cannot_take_the_accounts_keys(self, personal_data_registry):
        with pytest.raises(ValueError, match="reserved"):
            api.register_personal_data(key="cuenta", export=lambda user: {})

    def test_needs_login(self, client, db):
        assert client.get(MY_DATA)["Location"] == f"/cuenta/entrar/?next={MY_DATA}"
        assert client.post(MY_DATA)["Location"] == f"/cuenta/entrar/?next={MY_DATA}"


class TestDeleteAccount:
    def test_needs_login(self, client, db):
        assert client.get(DELETE)["Location"] == f"/cuenta/entrar/?next={DELETE}"

    def test_page_asks_for_the_password(self, logged_in):
        html = logged_in.get(DELETE).content.decode()
        assert 'autocomplete="current-password"' in html
        assert "Las constancias que ya recibió siguen siendo verificables" in html

    def test_a_wrong_password_keeps_the_account(self, logged_in, educando):
        response = logged_in.post(DELETE, {"password": "no-es-esta"})
        assert response.status_code == 200
        assert errors_of(response, "password") == ["La contraseña no es correcta."]
        assert User.objects.filter(pk=educando.pk).exists()
        assert is_logged_in(logged_in)

    def test_a_get_deletes_nothing(self, logged_in, educando):
        logged_in.get(DELETE, {"password": PASSWORD})
        assert User.objects.filter(pk=educando.pk).exists()

    def test_deletes_logs_out_and_goes_home(self, client, educando):
        client.post("/cuenta/entrar/", {"username": "educanda1", "password": PASSWORD})
        api.issue_reset_code(user=educando, issued_by=None)
        assert AccessLog.objects.filter(username="educanda1").exists()
        response = client.post(DELETE, {"password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/"
        assert not User.objects.filter(pk=educando.pk).exists()
        assert not ResetCode.objects.filter(user_id=educando.pk).exists()
        assert not AccessLog.objects.filter(username="educanda1").exists()
        assert not is_logged_in(client)
        messages = [str(m) for m in response.wsgi_request._messages]
        assert messages == [
            "Eliminamos su cuenta y sus datos. Gracias por haber estudiado con Aula."
        ]

    @pytest.mark.parametrize("kind", ["is_staff", "is_superuser"])
    def test_staff_cannot_delete_themselves_here(self, client, make_user, kind):
        person = make_user("personal", **{kind: True})
        client.force_login(person)
        page = client.get(DELETE)
        refusal = "Las cuentas del personal de Aula no se eliminan desde aquí."
        assert refusal in page.content.decode()
        assert 'name="password"' not in page.content.decode()
        response = client.post(DELETE, {"password": PASSWORD})
        assert response.status_code == 403
        assert refusal in response.content.decode()
        assert User.objects.filter(pk=person.pk).exists()
        with pytest.raises(PermissionDenied):
            api.delete_account(user=person)
        assert User.objects.filter(pk=person.pk).exists()
