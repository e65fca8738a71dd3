""" "Mi cuenta" at /cuenta/."""

import pytest

from .conftest import BAD_CHECK_DIGIT_CURP, VALID_CURP, errors_of

URL = "/cuenta/"


def _data(**changes):
    data = {"display_name": "", "email": "", "phone": "", "curp": ""}
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "url",
    [
        "/cuenta/",
        "/cuenta/contrasena/",
        "/cuenta/contrasena/lista/",
        "/cuenta/mis-datos/",
        "/cuenta/eliminar/",
    ],
)
def test_private_pages_send_anonymous_people_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/cuenta/entrar/?next={url}"


@pytest.mark.parametrize(
    "url",
    [
        "/cuenta/",
        "/cuenta/contrasena/",
        "/cuenta/contrasena/lista/",
        "/cuenta/mis-datos/",
        "/cuenta/eliminar/",
        "/cuenta/codigo/",
        "/cuenta/recuperar/",
        "/cuenta/recuperar/enviado/",
        "/cuenta/recuperar/listo/",
    ],
)
def test_pages_open_for_a_logged_in_learner(logged_in, url):
    response = logged_in.get(url)
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


class TestProfile:
    def test_shows_the_account_and_its_links(self, logged_in, educando):
        educando.phone = "555 0101"
        educando.save()
        response = logged_in.get(URL)
        html = response.content.decode()
        assert "educanda1" in html
        assert 'value="555 0101"' in html
        for href in ("/cuenta/contrasena/", "/cuenta/mis-datos/", "/cuenta/eliminar/"):
            assert f'href="{href}"' in html
        assert 'action="/cuenta/salir/"' in html
        assert 'href="/mis-cursos/"' in html

    def test_saves_changes(self, logged_in, educando):
        response = logged_in.post(
            URL,
            _data(
                display_name="Lupita Ramírez",
                email="lupita@example.org",
                phone="+1 213 555 0101",
                curp=VALID_CURP.lower(),
                reminders_opt_out="on",
            ),
        )
        assert response.status_code == 302 and response["Location"] == URL
        educando.refresh_from_db()
        assert educando.display_name == "Lupita Ramírez"
        assert educando.email == "lupita@example.org"
        assert educando.phone == "+1 213 555 0101"
        assert educando.curp == VALID_CURP
        assert educando.reminders_opt_out is True
        assert "Guardamos sus cambios." in logged_in.get(URL).content.decode()

    def test_data_can_be_removed(self, logged_in, educando):
        educando.email, educando.curp, educando.reminders_opt_out = (
            "a@example.org",
            VALID_CURP,
            True,
        )
        educando.save()
        logged_in.post(URL, _data())
        educando.refresh_from_db()
        assert (educando.email, educando.curp, educando.reminders_opt_out) == ("", "", False)

    def test_a_bad_curp_changes_nothing(self, logged_in, educando):
        response = logged_in.post(URL, _data(display_name="Otra", curp=BAD_CHECK_DIGIT_CURP))
        assert response.status_code == 200
        assert errors_of(response, "curp") == [
            "Esta CURP no es válida. Revísela letra por letra con su constancia de CURP, "
            "o deje el campo en blanco: no es obligatoria."
        ]
        educando.refresh_from_db()
        assert educando.display_name == "" and educando.curp == ""

    def test_a_curp_already_in_another_account(self, logged_in, make_user):
        make_user("otra", curp=VALID_CURP)
        response = logged_in.post(URL, _data(curp=VALID_CURP))
        assert errors_of(response, "curp") == [
            "Esta CURP ya está registrada en otra cuenta. Si es suya, pida ayuda a su asesor "
            "o a su coordinador."
        ]

    def test_a_bad_phone(self, logged_in):
        response = logged_in.post(URL, _data(phone="llámame"))
        assert errors_of(response, "phone") == [
            "Escriba solo el número de teléfono, con 7 a 15 números. Puede usar espacios, "
            "guiones y el signo +."
        ]
