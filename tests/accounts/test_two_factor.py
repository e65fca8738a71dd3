"""The second sign-in step for the people who see other people's data.

These tests sign in through the real pages (``real_second_factor``): the suite's other
tests give staff a verified session with ``force_login`` (see tests/conftest.py).
"""

import re
import time

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lms.accounts import roles, two_factor

pytestmark = [pytest.mark.real_second_factor, pytest.mark.django_db]
PASSWORD = "contraseña-de-prueba"


def sign_in(client, username):
    return client.post("/cuenta/entrar/", {"username": username, "password": PASSWORD})


def code_for(device, *, steps_ahead=0) -> str:
    """The code the person's phone shows now (or ``steps_ahead`` periods later: a code once
    used cannot be used again, so a second sign-in in the same 30 s takes the next one)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def set_up(client, user) -> list[str]:
    """Go through the set-up page as the person would; return the recovery codes shown."""
    page = client.get("/cuenta/verificacion/configurar/")
    assert page.status_code == 200
    device = two_factor.pending_setup(user=user)
    response = client.post("/cuenta/verificacion/configurar/", {"code": code_for(device)})
    assert response.status_code == 200
    return re.findall(r'<span class="code">([a-z0-9-]+)</span>', response.content.decode())


@pytest.fixture
def coordinator(sedes):
    return sedes["norte"][1]


class TestWhoIsAsked:
    def test_coordinators_and_administrators(self, make_user, coordinator):
        assert two_factor.requires_second_factor(coordinator)
        assert two_factor.requires_second_factor(make_user("jefa", roles.ADMINISTRADOR))
        assert two_factor.requires_second_factor(make_user("raiz", is_superuser=True))

    def test_learners_never_and_asesores_when_the_setting_says(self, educando, asesor):
        assert not two_factor.requires_second_factor(educando)
        assert not two_factor.requires_second_factor(asesor)
        with override_settings(AULA_2FA_ASESORES=True):
            assert two_factor.requires_second_factor(asesor)

    def test_whoever_coordinates_a_sede_even_without_the_role(self, sedes, make_user):
        someone = make_user("sin-rol")
        assert not two_factor.requires_second_factor(someone)
        sedes["sur"][0].coordinators.add(someone)
        assert two_factor.requires_second_factor(someone)


class TestFirstSignIn:
    def test_a_coordinator_sets_up_an_authenticator_and_keeps_recovery_codes(
        self, client, coordinator
    ):
        response = sign_in(client, coordinator.username)
        assert response["Location"] == "/coordinacion/"
        held = client.get("/coordinacion/")
        assert held.status_code == 302
        assert held["Location"] == "/cuenta/verificacion/configurar/?next=%2Fcoordinacion%2F"
        page = client.get(held["Location"])
        html = page.content.decode()
        assert 'src="data:image/svg+xml' in html  # the QR code, drawn here, no third party
        assert "Active el segundo paso" in html
        device = two_factor.pending_setup(user=coordinator)
        assert device is not None and not device.confirmed
        secret = page.context["secret"].replace(" ", "")
        assert secret and secret in device.config_url
        # A wrong code is explained and activates nothing.
        wrong = client.post("/cuenta/verificacion/configurar/", {"code": "000000"})
        assert "no coincide" in wrong.content.decode()
        assert not two_factor.has_second_factor(coordinator)
        codes = set_up(client, coordinator)
        assert len(codes) == 10 and len(set(codes)) == 10
        assert two_factor.has_second_factor(coordinator)
        assert client.get("/coordinacion/").status_code == 200

    def test_learners_go_straight_in(self, client, educando):
        response = sign_in(client, educando.username)
        assert response["Location"] == "/mis-cursos/"
        assert client.get("/mis-cursos/").status_code == 200
        assert not TOTPDevice.objects.filter(user=educando).exists()


class TestLaterSignIns:
    @pytest.fixture
    def enrolled_coordinator(self, client, coordinator):
        sign_in(client, coordinator.username)
        codes = set_up(client, coordinator)
        client.post("/cuenta/salir/")
        return coordinator, codes

    def test_the_code_from_the_phone(self, client, enrolled_coordinator):
        coordinator, _codes = enrolled_coordinator
        sign_in(client, coordinator.username)
        held = client.get("/coordinacion/")
        assert held["Location"] == "/cuenta/verificacion/?next=%2Fcoordinacion%2F"
        wrong = client.post("/cuenta/verificacion/?next=/coordinacion/", {"code": "123456"})
        assert "no es correcto" in wrong.content.decode()
        assert client.get("/coordinacion/").status_code == 302
        device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
        # django-otp slows repeated failures down: wait out the short delay of one.
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        response = client.post(
            "/cuenta/verificacion/?next=/coordinacion/", {"code": code_for(device, steps_ahead=1)}
        )
        assert response["Location"] == "/coordinacion/"
        assert client.get("/coordinacion/").status_code == 200

    def test_a_recovery_code_works_once(self, client, enrolled_coordinator):
        coordinator, codes = enrolled_coordinator
        sign_in(client, coordinator.username)
        response = client.post("/cuenta/verificacion/", {"code": codes[0].upper()}, follow=True)
        assert "le quedan 9" in response.content.decode()
        assert client.get("/coordinacion/").status_code == 200
        client.post("/cuenta/salir/")
        sign_in(client, coordinator.username)
        again = client.post("/cuenta/verificacion/", {"code": codes[0]})
        assert again.status_code == 200 and "no es correcto" in again.content.decode()
        assert StaticToken.objects.filter(device__user=coordinator).count() == 9

    def test_many_wrong_codes_lock_the_door_for_a_while(
        self, client, enrolled_coordinator, settings
    ):
        # django-otp's wait doubles with each failure from 1 s (factor 1): 8 s after four,
        # which a slow machine can outlast between two requests. A factor of an hour keeps
        # the door shut for the whole test on any machine.
        settings.OTP_TOTP_THROTTLE_FACTOR = 3600
        coordinator, _codes = enrolled_coordinator
        sign_in(client, coordinator.username)
        for _attempt in range(4):
            client.post("/cuenta/verificacion/", {"code": "111111"})
        device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
        client.post("/cuenta/verificacion/", {"code": code_for(device, steps_ahead=1)})
        assert client.get("/coordinacion/").status_code == 302  # even the right code waits

    def test_the_admin_and_the_api_are_held_too(self, client, enrolled_coordinator):
        coordinator, _codes = enrolled_coordinator
        sign_in(client, coordinator.username)
        admin = client.get("/admin/")
        assert admin.status_code == 302
        assert admin["Location"].startswith("/cuenta/verificacion/")
        api = client.get("/api/v1/coordinacion/inscripciones/")
        assert api.status_code == 403
        assert api.json()["code"] == "second_factor_required"
        # Through Wagtail's own log-in page as well.
        client.post("/cuenta/salir/")
        client.post("/admin/login/", {"username": coordinator.username, "password": PASSWORD})
        assert client.get("/admin/pages/")["Location"].startswith("/cuenta/verificacion/")

    def test_a_stolen_password_cannot_swap_in_another_phone(self, client, enrolled_coordinator):
        coordinator, _codes = enrolled_coordinator
        sign_in(client, coordinator.username)
        response = client.get("/cuenta/verificacion/configurar/")
        assert response["Location"].startswith("/cuenta/verificacion/")
        assert not TOTPDevice.objects.filter(user=coordinator, confirmed=False).exists()

    def test_new_recovery_codes_replace_the_old_ones(self, client, enrolled_coordinator):
        coordinator, codes = enrolled_coordinator
        sign_in(client, coordinator.username)
        client.post("/cuenta/verificacion/", {"code": codes[1]})
        page = client.get("/cuenta/")
        assert "Le quedan 9 códigos" in page.content.decode()
        response = client.post("/cuenta/verificacion/codigos/")
        new = re.findall(r'<span class="code">([a-z0-9-]+)</span>', response.content.decode())
        assert len(new) == 10 and not set(new) & set(codes)
        assert two_factor.verify(user=coordinator, code=codes[2]) is None

    def test_an_administrator_resets_a_lost_phone(self, client, enrolled_coordinator):
        coordinator, _codes = enrolled_coordinator
        call_command("reset_2fa", coordinator.username)
        assert not two_factor.has_second_factor(coordinator)
        sign_in(client, coordinator.username)
        assert client.get("/coordinacion/")["Location"].startswith(
            "/cuenta/verificacion/configurar/"
        )


def test_a_role_given_mid_session_is_caught_where_it_matters(client, educando, sedes):
    """A learner's session decided once that no second step was needed; the day they are
    made a coordinator, the coordinator pages ask for it even in that session."""
    sign_in(client, educando.username)
    assert client.get("/mis-cursos/").status_code == 200
    educando.groups.add(two_factor_role(roles.COORDINADOR))
    sedes["norte"][0].coordinators.add(educando)
    response = client.get("/coordinacion/")
    assert response.status_code == 302
    assert response["Location"].startswith("/cuenta/verificacion/configurar/")


def two_factor_role(name):
    from lms.accounts import api

    return api.ensure_roles()[name]


def test_demo_accounts_get_their_code_from_a_command_in_development(client, settings, capsys):
    """People trying Aula with ``make run`` sign in as the demo coordinator without a
    phone; outside development, or for any other account, the command refuses."""
    from django.core.management.base import CommandError

    from lms.accounts import api

    settings.DEBUG = True
    api.ensure_demo_accounts()
    sign_in_demo = client.post(
        "/cuenta/entrar/", {"username": "coordinadora", "password": "acompano-la-sede"}
    )
    assert sign_in_demo.status_code == 302
    call_command("codigo_demo", "coordinadora")
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"\d{6}", code)
    response = client.post("/cuenta/verificacion/?next=/admin/", {"code": code})
    assert response["Location"] == "/admin/"
    with pytest.raises(CommandError):
        call_command("codigo_demo", "educanda1")
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("codigo_demo", "coordinadora")
