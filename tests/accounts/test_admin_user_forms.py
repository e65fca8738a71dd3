"""Creating and editing people in the Wagtail admin keeps Aula's profile rules."""

import pytest
from django.urls import reverse

from lms.accounts import api, roles
from lms.accounts.admin_forms import AulaUserCreationForm, AulaUserEditForm
from lms.accounts.models import User

from .conftest import BAD_CHECK_DIGIT_CURP, OTHER_VALID_CURP, VALID_CURP

ADD = reverse("wagtailusers_users:add")
CURP_INVALID = (
    "Esta CURP no es válida. Revísela letra por letra con su constancia de CURP, "
    "o deje el campo en blanco: no es obligatoria."
)
CURP_TAKEN = (
    "Esta CURP ya está registrada en otra cuenta. Si es suya, pida ayuda a su asesor "
    "o a su coordinador."
)
PASSWORD = "luna-verde-en-casa"


def edit_url(user):
    return reverse("wagtailusers_users:edit", args=[user.pk])


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("administra1", roles.ADMINISTRADOR))
    return client


@pytest.fixture
def educando_group():
    return api.ensure_roles()[roles.EDUCANDO]


def _create_data(educando_group, **overrides):
    data = {
        "username": "nueva.educanda",
        "email": "",
        "first_name": "",
        "last_name": "",
        "display_name": "  María Pérez  ",
        "phone": "213 555 0101",
        "curp": " boxw-310820-hnerxn09 ",
        "reminders_opt_out": "on",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "groups": [educando_group.pk],
    }
    data.update(overrides)
    return data


def _edit_data(user, **overrides):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "phone": user.phone,
        "curp": user.curp,
        "is_active": "on",
        "password1": "",
        "password2": "",
        "groups": list(user.groups.values_list("pk", flat=True)),
    }
    if user.reminders_opt_out:
        data["reminders_opt_out"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_wagtail_uses_aulas_forms(admin_client, educando):
    assert isinstance(admin_client.get(ADD).context["form"], AulaUserCreationForm)
    response = admin_client.get(edit_url(educando))
    assert isinstance(response.context["form"], AulaUserEditForm)
    html = response.content.decode()
    for name in ("display_name", "phone", "curp", "reminders_opt_out"):
        assert f'name="{name}"' in html
    assert "Nombre para sus constancias" in html


class TestCreate:
    def test_saves_the_profile_fields_normalised(self, admin_client, educando_group):
        response = admin_client.post(ADD, _create_data(educando_group))
        assert response.status_code == 302, response.context["form"].errors
        user = User.objects.get(username="nueva.educanda")
        assert user.display_name == "María Pérez"
        assert user.phone == "213 555 0101"
        assert user.curp == VALID_CURP
        assert user.reminders_opt_out is True
        assert user.email == "" and user.get_full_name() == ""
        assert user.check_password(PASSWORD)
        assert api.user_has_role(user, roles.EDUCANDO)

    def test_a_bad_curp_is_explained_and_nothing_is_saved(self, admin_client, educando_group):
        response = admin_client.post(ADD, _create_data(educando_group, curp=BAD_CHECK_DIGIT_CURP))
        assert response.status_code == 200
        assert response.context["form"].errors["curp"] == [CURP_INVALID]
        assert not User.objects.filter(username="nueva.educanda").exists()

    def test_a_curp_of_another_account(self, admin_client, educando_group, make_user):
        make_user("otra", curp=VALID_CURP)
        response = admin_client.post(ADD, _create_data(educando_group))
        assert response.context["form"].errors["curp"] == [CURP_TAKEN]
        assert not User.objects.filter(username="nueva.educanda").exists()

    def test_a_bad_phone(self, admin_client, educando_group):
        response = admin_client.post(ADD, _create_data(educando_group, phone="llámame"))
        assert list(response.context["form"].errors) == ["phone"]
        assert not User.objects.filter(username="nueva.educanda").exists()

    def test_a_phone_number_username_is_stored_as_sign_up_stores_it(
        self, admin_client, educando_group, make_user
    ):
        response = admin_client.post(ADD, _create_data(educando_group, username=" (213) 555-0199 "))
        assert response.status_code == 302, response.context["form"].errors
        assert api.get_user_by_username(username="213 555 0199").username == "2135550199"
        again = admin_client.post(ADD, _create_data(educando_group, username="213-555-0199"))
        assert again.status_code == 200  # the same account: refused
        assert User.objects.filter(username="2135550199").count() == 1

    def test_a_username_differing_only_in_capitals(self, admin_client, educando_group, make_user):
        make_user("Nueva.Educanda")
        response = admin_client.post(ADD, _create_data(educando_group))
        assert response.status_code == 200
        assert "Ese nombre de usuario ya lo usa otra persona." in str(
            response.context["form"].errors
        )
        assert User.objects.filter(username__iexact="nueva.educanda").count() == 1


class TestEdit:
    def test_changes_the_profile_fields(self, admin_client, educando):
        data = _edit_data(
            educando,
            display_name="Ana López",
            curp=OTHER_VALID_CURP.lower(),
            phone="+1 (213) 555-0199",
            reminders_opt_out="on",
        )
        response = admin_client.post(edit_url(educando), data)
        assert response.status_code == 302, response.context["form"].errors
        educando.refresh_from_db()
        assert educando.display_name == "Ana López"
        assert educando.curp == OTHER_VALID_CURP
        assert educando.phone == "+1 (213) 555-0199"
        assert educando.reminders_opt_out is True
        assert educando.email == ""

    def test_unticking_reminders_and_clearing_the_curp(self, admin_client, make_user):
        person = make_user("con.curp", roles.EDUCANDO, curp=VALID_CURP, reminders_opt_out=True)
        data = _edit_data(person, curp="", reminders_opt_out=None)
        data.pop("reminders_opt_out", None)
        response = admin_client.post(edit_url(person), data)
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.curp == "" and person.reminders_opt_out is False

    def test_a_bad_curp_changes_nothing(self, admin_client, educando):
        data = _edit_data(educando, display_name="Otra", curp=BAD_CHECK_DIGIT_CURP)
        response = admin_client.post(edit_url(educando), data)
        assert response.status_code == 200
        assert response.context["form"].errors["curp"] == [CURP_INVALID]
        educando.refresh_from_db()
        assert educando.display_name == "" and educando.curp == ""

    def test_keeping_ones_own_curp_is_not_a_duplicate(self, admin_client, make_user):
        person = make_user("con.curp", roles.EDUCANDO, curp=VALID_CURP)
        response = admin_client.post(edit_url(person), _edit_data(person, display_name="Yo"))
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.display_name == "Yo"

    def test_the_curp_of_another_account(self, admin_client, educando, make_user):
        make_user("otra", curp=VALID_CURP)
        response = admin_client.post(edit_url(educando), _edit_data(educando, curp=VALID_CURP))
        assert response.context["form"].errors["curp"] == [CURP_TAKEN]
        educando.refresh_from_db()
        assert educando.curp == ""


def test_people_without_user_permissions_cannot_use_the_forms(client, coordinador, educando):
    client.force_login(coordinador)
    response = client.post(edit_url(educando), _edit_data(educando, display_name="X"))
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    educando.refresh_from_db()
    assert educando.display_name == ""
