"""Accounts created without a password (a coordinator's bulk enrollment), and validating
a registration without touching the database."""

import pytest
from django.core.exceptions import ValidationError

from lms.accounts import api, people

from .conftest import BAD_CHECK_DIGIT_CURP, NEW_PASSWORD, VALID_CURP


def _errors(**kwargs) -> dict:
    arguments = {"username": "nueva", "password": None, **kwargs}
    with pytest.raises(ValidationError) as caught:
        api.validate_registration(**arguments)
    return caught.value.message_dict


class TestWithoutPassword:
    def test_creates_a_learner_who_cannot_log_in_until_a_password_is_chosen(self, client, db):
        user = api.register_learner(username="sin-clave", password=None, display_name="Ana")
        assert not user.has_usable_password()
        assert api.user_has_role(user, api.roles.EDUCANDO)
        response = client.post("/cuenta/entrar/", {"username": "sin-clave", "password": ""})
        assert "_auth_user_id" not in client.session and response.status_code == 200
        code = api.issue_reset_code(user=user, issued_by=None)
        api.redeem_reset_code(username="sin-clave", code=code, new_password=NEW_PASSWORD)
        client.post("/cuenta/entrar/", {"username": "sin-clave", "password": NEW_PASSWORD})
        assert client.session["_auth_user_id"] == str(user.pk)

    def test_validation_skips_only_the_password_rules(self, db):
        api.validate_registration(username="nueva", password=None)
        assert set(_errors(username="x y", email="no-es-correo")) == {"username", "email"}

    def test_a_password_given_is_still_checked(self, db):
        assert "password" in _errors(password="123")


class TestWithoutTheDatabase:
    def test_makes_no_query_and_ignores_what_is_taken(self, make_user, django_assert_num_queries):
        make_user("tomada", curp=VALID_CURP)
        with django_assert_num_queries(0):
            api.validate_registration(
                username="TOMADA", password=None, curp=VALID_CURP, check_taken=False
            )

    def test_still_checks_every_field(self, db, django_assert_num_queries):
        with django_assert_num_queries(0):
            errors = _errors(
                username="x",
                email="a@",
                phone="12",
                curp=BAD_CHECK_DIGIT_CURP,
                display_name="n" * 151,
                check_taken=False,
            )
        assert set(errors) == {"username", "email", "phone", "curp", "display_name"}

    def test_by_default_taken_usernames_and_curps_are_errors(self, make_user):
        make_user("tomada", curp=VALID_CURP)
        errors = _errors(username="TOMADA")
        assert errors["username"] == [str(people.USERNAME_TAKEN)]
        assert "curp" in _errors(username="otra", curp=VALID_CURP)
