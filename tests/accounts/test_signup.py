"""Sign-up at /cuenta/registro/."""

import pytest
from django.core.exceptions import ValidationError

from lms.accounts import api, people, roles
from lms.accounts.forms import SignupForm
from lms.accounts.models import User

from .conftest import BAD_CHECK_DIGIT_CURP, VALID_CURP, errors_of, is_logged_in

URL = "/cuenta/registro/"


def _post(client, **fields):
    data = {"username": "lupita", "password": "luna-verde-en-casa"}
    data.setdefault("password_confirm", fields.get("password", data["password"]))
    data.update(fields)
    return client.post(URL, data)


class TestForm:
    def test_asks_only_for_a_login_and_optional_contact_data(self):
        assert list(SignupForm().fields) == [
            "username",
            "password",
            "password_confirm",
            "display_name",
            "email",
            "phone",
            "curp",
        ]
        required = {name for name, field in SignupForm().fields.items() if field.required}
        assert required == {"username", "password", "password_confirm"}

    def test_never_asks_immigration_status_address_or_country_of_birth(self, client, db):
        forbidden = ("migra", "visa", "domicilio", "dirección", "address", "país", "nacimiento")
        form = SignupForm()
        for name, field in form.fields.items():
            text = f"{name} {field.label} {field.help_text}".lower()
            assert not any(word in text for word in forbidden), name
        html = client.get(URL).content.decode()
        # The only mention is the promise that we never ask.
        assert "Nunca le preguntamos su situación migratoria" in html
        assert 'name="address"' not in html and 'name="country' not in html

    def test_page_marks_optional_fields_and_helps_the_phone(self, client, db):
        response = client.get(URL)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.count("(opcional)") == 4
        assert "Solo lo usamos para ayudarle si olvida su contraseña." in html
        assert 'autocomplete="username"' in html
        assert html.count('autocomplete="new-password"') == 2
        assert 'type="tel"' in html and 'inputmode="tel"' in html
        assert 'type="email"' in html


class TestSignUp:
    def test_creates_a_learner_logs_in_and_goes_to_my_courses(self, client, db):
        response = _post(client)
        assert response.status_code == 302
        assert response["Location"] == "/mis-cursos/"
        user = User.objects.get(username="lupita")
        assert user.check_password("luna-verde-en-casa")
        assert api.user_has_role(user, roles.EDUCANDO)
        assert not user.is_staff
        assert is_logged_in(client)
        assert client.session["_auth_user_id"] == str(user.pk)

    def test_keeps_the_optional_data(self, client, db):
        _post(
            client,
            display_name=" Guadalupe Ramírez ",
            email="lupita@example.org",
            phone="+1 213 555 0101",
            curp=VALID_CURP.lower(),
        )
        user = User.objects.get(username="lupita")
        assert user.display_name == "Guadalupe Ramírez"
        assert user.email == "lupita@example.org"
        assert user.phone == "+1 213 555 0101"
        assert user.curp == VALID_CURP

    def test_goes_to_a_safe_next(self, client, db):
        response = client.post(
            f"{URL}?next=/cursos/",
            {
                "username": "ana",
                "password": "luna-verde-en-casa",
                "password_confirm": "luna-verde-en-casa",
                "next": "/cursos/",
            },
        )
        assert response["Location"] == "/cursos/"

    def test_ignores_a_next_to_another_site(self, client, db):
        response = _post(client, next="https://malo.example.com/")
        assert response["Location"] == "/mis-cursos/"

    def test_a_logged_in_person_is_sent_on(self, logged_in):
        response = logged_in.get(URL)
        assert response.status_code == 302
        assert response["Location"] == "/mis-cursos/"

    def test_username_taken_in_another_case(self, client, make_user):
        make_user("Lupita")
        response = _post(client, username="lupita")
        assert response.status_code == 200
        assert errors_of(response, "username") == [
            "Ese nombre de usuario ya lo usa otra persona. Pruebe con otro; por ejemplo, "
            "agréguele un número."
        ]
        assert User.objects.filter(username__iexact="lupita").count() == 1
        assert not is_logged_in(client)
        assert 'role="alert"' in response.content.decode()

    def test_passwords_that_differ(self, client, db):
        response = _post(client, password_confirm="luna-verde-en-cas")
        assert errors_of(response, "password_confirm") == [
            "Las dos contraseñas no son iguales. Escriba la misma en los dos campos."
        ]
        assert not User.objects.filter(username="lupita").exists()

    def test_every_problem_is_shown_at_once(self, client, make_user):
        make_user("lupita")
        response = _post(
            client,
            password_confirm="otra-cosa",
            curp=BAD_CHECK_DIGIT_CURP,
            email="no-es-correo",
        )
        errors = response.context["form"].errors
        assert set(errors) == {"username", "password_confirm", "curp", "email"}
        assert len(errors["email"]) == 1  # the form's message, not twice
        html = response.content.decode()
        assert html.count('href="#id_') == 4  # the summary links each one

    def test_a_short_password_gets_django_rules_in_spanish(self, client, db):
        response = _post(client, password="abc")
        messages = errors_of(response, "password")
        assert any("demasiado corta" in message for message in messages), messages
        assert not User.objects.filter(username="lupita").exists()

    def test_a_bad_curp(self, client, db):
        response = _post(client, curp=BAD_CHECK_DIGIT_CURP)
        assert errors_of(response, "curp") == [
            "Esta CURP no es válida. Revísela letra por letra con su constancia de CURP, "
            "o deje el campo en blanco: no es obligatoria."
        ]
        assert not User.objects.filter(username="lupita").exists()
        # The message sits next to the field, linked for screen readers.
        html = response.content.decode()
        assert 'id="id_curp_error"' in html and 'aria-invalid="true"' in html

    def test_a_username_with_spaces(self, client, db):
        response = _post(client, username="lupita ramirez")
        assert errors_of(response, "username") == [
            "Use solo letras, números, punto (.), guion (-) o guion bajo (_), sin espacios. "
            "También puede usar su número de teléfono."
        ]

    def test_a_phone_number_as_username_logs_in_however_typed(self, client, db):
        _post(client, username="(213) 555-0101")
        assert User.objects.filter(username="2135550101").exists()
        client.post("/cuenta/salir/")
        response = client.post(
            "/cuenta/entrar/", {"username": "213 555 0101", "password": "luna-verde-en-casa"}
        )
        assert response.status_code == 302
        assert is_logged_in(client)


class TestApi:
    def test_register_learner(self, db):
        user = api.register_learner(username="ana", password="luna-verde-en-casa", phone="555 0101")
        assert user.pk and user.phone == "555 0101"
        assert user.groups.filter(name=roles.EDUCANDO).exists()

    def test_errors_are_keyed_by_argument_and_nothing_is_created(self, make_user):
        make_user("ana")
        with pytest.raises(ValidationError) as caught:
            api.register_learner(
                username="ANA", password="123", curp=BAD_CHECK_DIGIT_CURP, email="no-es-correo"
            )
        assert set(caught.value.message_dict) == {"username", "password", "curp", "email"}
        assert User.objects.filter(username__iexact="ana").count() == 1

    def test_a_username_taken_at_the_last_moment(self, db, monkeypatch):
        original = User.set_password

        def someone_else_signs_up_meanwhile(user, raw_password):
            monkeypatch.setattr(User, "set_password", original)
            User.objects.create_user(username="ANA", password="otra-frase-larga")
            original(user, raw_password)

        monkeypatch.setattr(User, "set_password", someone_else_signs_up_meanwhile)
        with pytest.raises(ValidationError) as caught:
            api.register_learner(username="ana", password="luna-verde-en-casa")
        assert caught.value.message_dict["username"] == [str(people.USERNAME_TAKEN)]
        assert not User.objects.filter(username="ana").exists()


def test_sign_up_is_rate_limited_per_address(client, db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.AULA_SIGNUP_RATE = "3/h"
    statuses = [client.post("/cuenta/registro/", {"username": ""}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert "Espere un momento" in client.post("/cuenta/registro/", {}).content.decode()
    cache.clear()


def test_reset_codes_are_rate_limited_per_address(client, db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.AULA_RESET_CODE_RATE = "2/h"
    statuses = [client.post("/cuenta/codigo/", {"username": "x"}).status_code for _ in range(3)]
    assert statuses[-1] == 429
    cache.clear()
