"""One-time reset codes for learners without email."""

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from lms.accounts import api, reset_codes

from .conftest import NEW_PASSWORD, PASSWORD, errors_of, is_logged_in

WRONG = (
    "El usuario o el código no son correctos. Revíselos y vuelva a intentarlo; escriba el "
    "código tal como se lo dieron."
)
USED = "Este código ya se usó. Pida un código nuevo a su asesor o a su coordinador."
EXPIRED = "Este código ya venció. Pida un código nuevo a su asesor o a su coordinador."
VOID = (
    "Este código ya no sirve porque se escribió mal varias veces. Pida un código nuevo a su "
    "asesor o a su coordinador."
)


def _redeem(code, username="educanda1", password=NEW_PASSWORD, address="203.0.113.9"):
    return api.redeem_reset_code(
        username=username, code=code, new_password=password, address=address
    )


def _error(code, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        _redeem(code, **kwargs)
    return caught.value.message_dict


def _wrong(code: str) -> str:
    """A code from the same alphabet that is surely not ``code``."""
    return "".join("A" if char != "A" else "B" for char in code)


@pytest.fixture
def issued(educando, coordinador):
    return api.issue_reset_code(user=educando, issued_by=coordinador)


class TestIssue:
    def test_eight_unambiguous_characters_stored_only_as_a_hash(self, educando, coordinador):
        code = api.issue_reset_code(user=educando, issued_by=coordinador)
        assert len(code) == 8
        assert set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        row = educando.reset_codes.get()
        assert code not in row.code_hash
        assert row.code_hash.startswith("hmac-sha256$")
        assert row.created_by == coordinador

    def test_the_hash_needs_the_secret_key(self, educando, settings):
        """A copy of the database without SECRET_KEY does not let anyone test codes."""
        code = api.issue_reset_code(user=educando, issued_by=None)
        row = educando.reset_codes.get()
        settings.SECRET_KEY = "otra-clave-distinta"
        assert not reset_codes._code_matches(row, code)
        settings.SECRET_KEY = "pruebas-no-es-secreta"
        assert reset_codes._code_matches(row, code)

    def test_codes_hashed_the_old_way_still_redeem(self, educando):
        code = api.issue_reset_code(user=educando, issued_by=None)
        educando.reset_codes.update(code_hash=make_password(code))
        api.redeem_reset_code(username="educanda1", code=code, new_password="nueva-clave-larga-1")
        educando.refresh_from_db()
        assert educando.check_password("nueva-clave-larga-1")

    def test_lasts_seven_days_by_default_or_as_set(self, educando, settings):
        api.issue_reset_code(user=educando, issued_by=None)
        row = educando.reset_codes.get()
        assert row.expires_at - row.created_at == timedelta(days=7)
        settings.AULA_RESET_CODE_DAYS = 2
        api.issue_reset_code(user=educando, issued_by=None)
        newest = educando.reset_codes.first()
        assert newest.expires_at - newest.created_at == timedelta(days=2)

    def test_a_new_code_voids_the_previous_unused_one(self, educando):
        first = api.issue_reset_code(user=educando, issued_by=None)
        second = api.issue_reset_code(user=educando, issued_by=None)
        assert educando.reset_codes.filter(revoked_at__isnull=True).count() == 1
        assert _error(first)["code"] == [WRONG]
        user = _redeem(second)
        assert user.check_password(NEW_PASSWORD)

    def test_the_coordinator_leaving_keeps_the_code(self, educando, coordinador, issued):
        coordinador.delete()
        assert educando.reset_codes.get().created_by is None
        assert _redeem(issued).check_password(NEW_PASSWORD)


class TestRedeem:
    def test_sets_the_password_ignoring_case_spaces_and_hyphens(self, educando, issued):
        typed = f" {issued[:4].lower()}-{issued[4:6]} {issued[6:].lower()} "
        user = _redeem(typed, username="EDUCANDA1")
        assert user == educando
        educando.refresh_from_db()
        assert educando.check_password(NEW_PASSWORD)
        assert educando.reset_codes.get().used_at is not None

    def test_works_once(self, educando, issued):
        _redeem(issued)
        assert _error(issued, password="otra-frase-distinta")["code"] == [USED]
        educando.refresh_from_db()
        assert educando.check_password(NEW_PASSWORD)

    def test_expires(self, educando, issued):
        educando.reset_codes.update(
            created_at=timezone.now() - timedelta(days=8),
            expires_at=timezone.now() - timedelta(seconds=1),
        )
        assert _error(issued)["code"] == [EXPIRED]
        educando.refresh_from_db()
        assert educando.check_password(PASSWORD)

    def test_five_wrong_tries_close_the_code_to_that_address(self, educando, issued):
        for _attempt in range(4):
            assert _error(_wrong(issued), address="203.0.113.9")["code"] == [WRONG]
        assert educando.reset_codes.get().failed_attempts == 4
        assert _error(_wrong(issued), address="203.0.113.9")["code"] == [VOID]
        # Now even the right code is refused from there.
        assert _error(issued, address="203.0.113.9")["code"] == [VOID]
        educando.refresh_from_db()
        assert educando.check_password(PASSWORD)
        row = educando.reset_codes.get()
        assert row.failed_attempts == 5 and row.revoked_at is None

    def test_a_stranger_cannot_lock_the_learner_out(self, educando, issued):
        """Someone who knows the username types wrong codes from their own phone: the
        learner, at the Plaza Comunitaria, still uses the code they were given."""
        for _attempt in range(12):
            _error(_wrong(issued), address="198.51.100.7")
        user = api.redeem_reset_code(
            username="educanda1", code=issued, new_password=NEW_PASSWORD, address="203.0.113.9"
        )
        assert user == educando
        educando.refresh_from_db()
        assert educando.check_password(NEW_PASSWORD)

    def test_the_learners_own_typos_leave_other_addresses_alone(self, educando, issued):
        for _attempt in range(5):
            _error(_wrong(issued), address="203.0.113.9")
        assert _error(issued, address="203.0.113.9")["code"] == [VOID]
        assert api.redeem_reset_code(
            username="educanda1", code=issued, new_password=NEW_PASSWORD, address="192.0.2.1"
        )

    def test_an_unknown_username_gets_the_same_message(self, educando, issued):
        assert _error(issued, username="nadie")["code"] == [WRONG]

    def test_someone_without_a_code(self, educando):
        assert _error("ABCDEFGH")["code"] == [WRONG]

    def test_a_weak_password_does_not_spend_the_code(self, educando, issued):
        errors = _error(issued, password="12345678")
        assert set(errors) == {"new_password"}
        row = educando.reset_codes.get()
        assert row.used_at is None and row.failed_attempts == 0
        assert _redeem(issued).check_password(NEW_PASSWORD)

    def test_an_inactive_account_cannot_use_a_code(self, educando, issued):
        educando.is_active = False
        educando.save()
        assert _error(issued)["code"] == [WRONG]


class TestPage:
    URL = "/cuenta/codigo/"

    def _post(self, client, code, **fields):
        data = {
            "username": "educanda1",
            "code": code,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        }
        data.update(fields)
        return client.post(self.URL, data)

    def test_page(self, client, db):
        html = client.get(self.URL).content.decode()
        assert 'autocomplete="one-time-code"' in html
        assert html.count('autocomplete="new-password"') == 2

    def test_sets_the_password_and_logs_in(self, client, educando, issued):
        response = self._post(client, issued)
        assert response.status_code == 302 and response["Location"] == "/mis-cursos/"
        assert client.session["_auth_user_id"] == str(educando.pk)
        educando.refresh_from_db()
        assert educando.check_password(NEW_PASSWORD)

    def test_passwords_that_differ(self, client, educando, issued):
        response = self._post(client, issued, new_password_confirm="otra-cosa-distinta")
        assert errors_of(response, "new_password_confirm") == [
            "Las dos contraseñas no son iguales. Escriba la misma en los dos campos."
        ]
        assert educando.reset_codes.get().used_at is None

    def test_a_wrong_code_is_shown_and_counted(self, client, educando, issued):
        response = self._post(client, _wrong(issued))
        assert response.status_code == 200
        assert errors_of(response, "code") == [WRONG]
        assert WRONG in response.content.decode()
        assert not is_logged_in(client)
        assert educando.reset_codes.get().failed_attempts == 1


class TestCommand:
    def test_prints_a_code_that_works(self, educando, capsys):
        call_command("reset_code", "Educanda1")
        out = capsys.readouterr().out
        shown = out.split("Código para educanda1: ")[1].split()[0]
        assert len(shown) == 9 and shown[4] == "-"
        assert "7 días" in out
        assert _redeem(shown).check_password(NEW_PASSWORD)

    def test_unknown_user(self, db):
        with pytest.raises(CommandError, match="No hay ninguna cuenta con el usuario «nadie»"):
            call_command("reset_code", "nadie")
