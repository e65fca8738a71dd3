"""The data rules of an account: CURP, usernames, uniqueness."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from stdnum.mx import curp as stdnum_curp

from lms.accounts import api
from lms.accounts.models import User
from lms.accounts.validators import (
    CURP_INVALID,
    CURP_LENGTH,
    normalise_username,
    validate_curp,
)

from .conftest import BAD_CHECK_DIGIT_CURP, OTHER_VALID_CURP, VALID_CURP


def _profile(user, **changes):
    fields = {name: getattr(user, name) for name in api.PROFILE_FIELDS}
    fields.update(changes)
    return api.update_profile(user=user, **fields)


class TestCurp:
    @pytest.mark.parametrize(
        "value", [VALID_CURP, OTHER_VALID_CURP, "PEGL890909MJCRMS08", "SABC560626MDFLRN01"]
    )
    def test_valid_values_pass(self, value):
        validate_curp(value)

    @pytest.mark.parametrize("value", [BAD_CHECK_DIGIT_CURP, "PEGL890909MJCRMS09"])
    def test_a_wrong_check_digit_is_refused_in_plain_spanish(self, value):
        with pytest.raises(ValidationError) as caught:
            validate_curp(value)
        assert caught.value.messages == [str(CURP_INVALID)]

    def test_an_incomplete_curp_says_so(self):
        with pytest.raises(ValidationError) as caught:
            validate_curp("BOXW310820")
        assert caught.value.messages == [
            "La CURP tiene 18 letras y números. Revise que esté completa."
        ]
        assert caught.value.messages == [str(CURP_LENGTH)]

    def test_sex_x_only_behind_the_setting(self, settings):
        base = "BOXW310820XNERXN0"
        curp_x = base + stdnum_curp.calc_check_digit(base)
        assert not hasattr(settings, "AULA_CURP_ALLOW_X") or not settings.AULA_CURP_ALLOW_X
        with pytest.raises(ValidationError):
            validate_curp(curp_x)
        settings.AULA_CURP_ALLOW_X = True
        validate_curp(curp_x)
        # The check digit is still checked on the real value.
        wrong_digit = base + str((int(curp_x[-1]) + 1) % 10)
        with pytest.raises(ValidationError):
            validate_curp(wrong_digit)

    def test_stored_in_upper_case_without_spaces(self, educando):
        _profile(educando, curp=" boxw-310820-hnerxn09 ")
        educando.refresh_from_db()
        assert educando.curp == VALID_CURP

    def test_unique_when_given(self, make_user, educando):
        other = make_user("otra")
        _profile(educando, curp=VALID_CURP)
        with pytest.raises(ValidationError) as caught:
            _profile(other, curp=VALID_CURP.lower())
        assert caught.value.message_dict["curp"] == [
            "Esta CURP ya está registrada en otra cuenta. Si es suya, pida ayuda a su asesor "
            "o a su coordinador."
        ]
        other.refresh_from_db()
        assert other.curp == ""

    def test_many_accounts_without_curp_are_fine(self, make_user):
        make_user("uno")
        make_user("dos")
        assert User.objects.filter(curp="").count() >= 2

    def test_the_database_refuses_a_duplicate_too(self, make_user):
        make_user("uno", curp=VALID_CURP)
        with pytest.raises(IntegrityError), transaction.atomic():
            make_user("dos", curp=VALID_CURP)


class TestUsername:
    def test_the_database_refuses_the_same_name_in_another_case(self, make_user):
        make_user("Maria.Lopez")
        with pytest.raises(IntegrityError), transaction.atomic():
            make_user("maria.lopez")

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [
            ("(213) 555-0101", "2135550101"),
            ("+1 213 555 0101", "+12135550101"),
            ("  maria.lopez ", "maria.lopez"),
            ("ana-2", "ana-2"),
        ],
    )
    def test_normalised(self, typed, stored):
        assert normalise_username(typed) == stored

    def test_found_in_any_case_and_phone_format(self, make_user):
        maria = make_user("Maria.Lopez")
        phone = make_user("2135550101")
        assert api.get_user_by_username(username="maria.LOPEZ") == maria
        assert api.get_user_by_username(username="213-555-0101") == phone
        assert api.get_user_by_username(username="nadie") is None


def test_public_name_prefers_the_chosen_name(make_user):
    user = make_user("ana", first_name="Ana", last_name="Pérez")
    assert user.public_name == "Ana Pérez"
    user.display_name = "Ana María Pérez Soto"
    assert user.public_name == "Ana María Pérez Soto"
    assert make_user("beto").public_name == "beto"
