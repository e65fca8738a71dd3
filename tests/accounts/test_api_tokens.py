"""Personal API tokens: "Aplicaciones sin conexión" in "Mi cuenta" (/cuenta/) and
``Authorization: Bearer aula_…`` on the JSON API."""

import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lms.accounts import api
from lms.accounts.models import ApiToken, User

from .conftest import PASSWORD, is_logged_in

PROFILE = "/cuenta/"
CREATE = "/cuenta/aplicaciones/"
EVENTS = "/api/v1/events/"
INSCRIPCIONES = "/api/v1/coordinacion/inscripciones/"
MY_DATA = "/cuenta/mis-datos/"
TOKEN_PATTERN = re.compile(r"aula_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")
SHOWN_ONCE = (
    "Cópielo ahora; no lo volveremos a mostrar. Quien lo tenga puede enviar su avance en su "
    "nombre. Si lo pierde, revóquelo y cree otro."
)
TOKEN_INVALID = "El token no es válido o fue revocado."


def revoke_url(token_id: int) -> str:
    return f"/cuenta/aplicaciones/{token_id}/revocar/"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post_events(client):
    body = {"sent_at": timezone.now().isoformat(), "events": []}
    return client.post(EVENTS, body, format="json")


def new_token(user, name="Aplicación del teléfono") -> str:
    return api.create_api_token(user=user, name=name).token


def token_in(response) -> str:
    found = TOKEN_PATTERN.findall(response.content.decode())
    assert len(set(found)) == 1, found
    return found[0]


def apitoken_writes(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith("UPDATE")
        and "accounts_apitoken" in query["sql"]
    ]


# --- Creating a token -----------------------------------------------------------------------


class TestCreate:
    def test_the_token_is_shown_once_and_only_its_digest_is_stored(self, logged_in, educando):
        response = logged_in.post(CREATE, {"name": "  Aplicación   del teléfono "})
        assert response.status_code == 200
        assert response.templates[0].name == "accounts/api_token_created.html"
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert SHOWN_ONCE in html
        token = token_in(response)
        row = ApiToken.objects.get(user=educando)
        assert row.name == "Aplicación del teléfono"
        assert token.startswith(f"aula_{row.prefix}_")
        assert row.digest == hashlib.sha256(token.encode()).hexdigest()
        secret = token.split("_", 2)[2]
        stored = [str(value) for value in ApiToken.objects.values_list().get()]
        assert not any(secret in value for value in stored)
        assert row.last_used_at is None and row.revoked_at is None

    def test_each_token_is_different(self, educando):
        first, second = new_token(educando), new_token(educando)
        assert first != second
        assert first.split("_")[1] != second.split("_")[1]

    def test_the_token_never_shows_again(self, logged_in, educando):
        token = token_in(logged_in.post(CREATE, {"name": "Tableta"}))
        secret = token.split("_", 2)[2]
        profile = logged_in.get(PROFILE)
        html = profile.content.decode()
        assert "Tableta" in html  # listed by name…
        assert secret not in html and not TOKEN_PATTERN.search(html)  # …never the token
        assert secret not in logged_in.get(MY_DATA).content.decode()
        session = logged_in.session
        assert not any(secret in str(value) for value in session.values())

    def test_creating_needs_a_post(self, logged_in):
        assert logged_in.get(CREATE).status_code == 405
        assert not ApiToken.objects.exists()

    def test_creating_needs_the_csrf_token(self, educando):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(educando)
        assert client.post(CREATE, {"name": "Teléfono"}).status_code == 403
        assert not ApiToken.objects.exists()

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("", "Escriba un nombre que le ayude a reconocerlo"),
            ("   ", "Escriba un nombre que le ayude a reconocerlo"),
            ("x" * 61, "El nombre tiene como máximo 60 caracteres."),
        ],
    )
    def test_the_name_is_checked_in_spanish(self, logged_in, name, message):
        response = logged_in.post(CREATE, {"name": name})
        assert response.status_code == 200
        assert response.templates[0].name == "accounts/profile.html"
        errors = [str(error) for error in response.context["token_form"].errors["name"]]
        assert any(message in error for error in errors), errors
        assert message in response.content.decode()
        assert not ApiToken.objects.exists()

    def test_the_api_checks_the_name_too(self, educando):
        with pytest.raises(ValidationError) as caught:
            api.create_api_token(user=educando, name="y" * 61)
        assert "name" in caught.value.message_dict
        assert not ApiToken.objects.exists()

    def test_at_most_five_active_tokens(self, logged_in, educando):
        for number in range(api.MAX_ACTIVE_TOKENS):
            new_token(educando, f"Aplicación {number}")
        response = logged_in.post(CREATE, {"name": "Una más"})
        assert response.status_code == 200
        errors = [str(error) for error in response.context["token_form"].non_field_errors()]
        expected = (
            "Ya tiene 5 tokens activos, el máximo. Revoque uno que ya no use y vuelva a intentarlo."
        )
        assert errors == [expected]
        assert expected in response.content.decode()
        assert ApiToken.objects.filter(user=educando).count() == 5

        # A revoked token no longer counts.
        logged_in.post(revoke_url(ApiToken.objects.filter(user=educando).first().pk))
        response = logged_in.post(CREATE, {"name": "Una más"})
        assert TOKEN_PATTERN.search(response.content.decode())
        assert ApiToken.objects.filter(user=educando, revoked_at__isnull=True).count() == 5

    def test_the_limit_is_per_person(self, educando, make_user):
        for number in range(api.MAX_ACTIVE_TOKENS):
            new_token(educando, f"Aplicación {number}")
        assert new_token(make_user("otra"))

    def test_anonymous_people_are_sent_to_log_in(self, client, db):
        response = client.post(CREATE, {"name": "Teléfono"})
        assert response.status_code == 302
        assert response["Location"] == f"/cuenta/entrar/?next={CREATE}"
        assert not ApiToken.objects.exists()


# --- The list and revoking ------------------------------------------------------------------


class TestListAndRevoke:
    def test_the_profile_lists_active_tokens_with_a_revoke_button(self, logged_in, educando):
        new_token(educando, "Teléfono de casa")
        used = ApiToken.objects.get()
        ApiToken.objects.filter(pk=used.pk).update(last_used_at=timezone.now())
        revoked = api.create_api_token(user=educando, name="Teléfono viejo").info
        api.revoke_api_token(user=educando, token_id=revoked.id)
        html = logged_in.get(PROFILE).content.decode()
        assert "Aplicaciones sin conexión" in html
        assert "Teléfono de casa" in html and "Último uso:" in html
        assert "Teléfono viejo" not in html
        assert f'action="{revoke_url(used.pk)}"' in html
        assert f'action="{revoke_url(revoked.id)}"' not in html
        assert f'action="{CREATE}"' in html

    def test_revoking_ones_own_token(self, logged_in, educando):
        token = new_token(educando)
        row = ApiToken.objects.get()
        assert post_events(bearer(token)).status_code == 200
        response = logged_in.post(revoke_url(row.pk))
        assert response.status_code == 302
        assert response["Location"] == "/cuenta/#aplicaciones"
        row.refresh_from_db()
        assert row.revoked_at is not None
        page = logged_in.get(PROFILE).content.decode()
        assert "Revocamos el token «Aplicación del teléfono»" in page
        assert f'action="{revoke_url(row.pk)}"' not in page
        assert post_events(bearer(token)).status_code == 401

    def test_someone_elses_token_is_not_found(self, logged_in, make_user):
        other = make_user("otra")
        token = new_token(other)
        row = ApiToken.objects.get(user=other)
        assert logged_in.post(revoke_url(row.pk)).status_code == 404
        assert logged_in.post(revoke_url(row.pk + 1000)).status_code == 404
        row.refresh_from_db()
        assert row.revoked_at is None
        assert post_events(bearer(token)).status_code == 200

    def test_revoking_needs_a_post_and_a_signed_in_owner(self, client, educando):
        new_token(educando)
        row = ApiToken.objects.get()
        response = client.post(revoke_url(row.pk))
        assert response.status_code == 302
        assert response["Location"].startswith("/cuenta/entrar/?next=")
        client.force_login(educando)
        assert client.get(revoke_url(row.pk)).status_code == 405
        row.refresh_from_db()
        assert row.revoked_at is None

    def test_revoking_twice_keeps_the_first_date(self, educando):
        info = api.create_api_token(user=educando, name="Teléfono").info
        first = api.revoke_api_token(user=educando, token_id=info.id)
        second = api.revoke_api_token(user=educando, token_id=info.id)
        assert first is not None and second is not None
        assert first.revoked_at == second.revoked_at is not None


# --- The API with a token -------------------------------------------------------------------


class TestBearerAuthentication:
    def test_a_token_posts_events_as_its_owner(self, educando):
        token = new_token(educando)
        response = post_events(bearer(token))
        assert response.status_code == 200, response.content
        assert response.json()["accepted"] == 0

    def test_no_csrf_token_is_needed_with_a_bearer_token(self, educando):
        client = APIClient(enforce_csrf_checks=True)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {new_token(educando)}")
        assert post_events(client).status_code == 200

    def test_a_coordinators_token_reads_the_enrollments_of_their_sede(self, sedes, educando):
        _sede, coordinator, _grupo = sedes["norte"]
        response = bearer(new_token(coordinator)).get(INSCRIPCIONES)
        assert response.status_code == 200, response.content
        assert "results" in response.json()
        # The same endpoint, authenticated as a learner: their token says who they are.
        assert bearer(new_token(educando)).get(INSCRIPCIONES).status_code == 403

    @pytest.mark.parametrize("call", ["post events", "get inscripciones"])
    def test_no_credentials_is_401_with_a_bearer_challenge(self, db, call):
        client = APIClient()
        response = post_events(client) if call == "post events" else client.get(INSCRIPCIONES)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'

    def test_a_revoked_token_is_401(self, educando):
        token = new_token(educando)
        api.revoke_api_token(user=educando, token_id=ApiToken.objects.get().pk)
        response = post_events(bearer(token))
        assert response.status_code == 401
        assert TOKEN_INVALID in response.json()["detail"]
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert bearer(token).get(INSCRIPCIONES).status_code == 401

    @pytest.mark.parametrize(
        "wrong",
        [
            "right-prefix-wrong-secret",
            "unknown-prefix",
            "not-an-aula-token",
            "the-token-with-an-extra-character",
            "a-digest-instead-of-the-token",
        ],
    )
    def test_a_wrong_token_is_401(self, educando, wrong):
        token = new_token(educando)
        prefix = token.split("_")[1]
        presented = {
            "right-prefix-wrong-secret": f"aula_{prefix}_{'A' * 43}",
            "unknown-prefix": f"aula_{'0' * 12}_{token.split('_', 2)[2]}",
            "not-an-aula-token": "abc123",
            "the-token-with-an-extra-character": token + "x",
            "a-digest-instead-of-the-token": ApiToken.objects.get().digest,
        }[wrong]
        response = post_events(bearer(presented))
        assert response.status_code == 401
        assert TOKEN_INVALID in response.json()["detail"]
        assert ApiToken.objects.get().last_used_at is None

    @pytest.mark.parametrize("header", ["Bearer", f"Bearer aula_{'0' * 12}_x y"])
    def test_a_malformed_bearer_header_is_401(self, db, header):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = post_events(client)
        assert response.status_code == 401
        assert "Authorization: Bearer" in response.json()["detail"]

    def test_a_deactivated_account_is_refused(self, educando):
        token = new_token(educando)
        User.objects.filter(pk=educando.pk).update(is_active=False)
        response = post_events(bearer(token))
        assert response.status_code == 401
        assert "Esta cuenta está desactivada" in response.json()["detail"]
        assert api.authenticate_api_token(token=token) is None

    def test_other_schemes_are_left_to_the_next_class(self, educando):
        """``Token …`` (DRF tokens made before personal tokens) still works."""
        key = Token.objects.create(user=educando).key
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert post_events(client).status_code == 200
        client.credentials(HTTP_AUTHORIZATION="Token malo")
        assert post_events(client).status_code == 401

    def test_the_signed_in_session_still_works(self, educando):
        client = APIClient()
        client.force_login(educando)
        assert post_events(client).status_code == 200

    def test_the_schema_documents_bearer_tokens(self, client, db):
        schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
        assert "tokenParaAplicaciones" in schema
        assert "bearer" in schema


# --- When the token was last used -----------------------------------------------------------


class TestLastUsed:
    def test_noted_at_most_once_per_interval(self, educando):
        token = new_token(educando)
        client = bearer(token)
        with CaptureQueriesContext(connection) as first_call:
            assert post_events(client).status_code == 200
        assert len(apitoken_writes(first_call)) == 1
        first = ApiToken.objects.get().last_used_at
        assert first is not None and timezone.now() - first < timedelta(minutes=1)

        with CaptureQueriesContext(connection) as later_calls:
            for _ in range(3):
                assert post_events(client).status_code == 200
        assert apitoken_writes(later_calls) == []
        assert ApiToken.objects.get().last_used_at == first

        # Once the interval has passed, the next call notes it again.
        long_ago = timezone.now() - timedelta(minutes=6)
        ApiToken.objects.update(last_used_at=long_ago)
        with CaptureQueriesContext(connection) as after_a_while:
            assert post_events(client).status_code == 200
        assert len(apitoken_writes(after_a_while)) == 1
        assert ApiToken.objects.get().last_used_at > long_ago + timedelta(minutes=5)

    def test_a_refused_call_notes_nothing(self, educando):
        token = new_token(educando)
        api.revoke_api_token(user=educando, token_id=ApiToken.objects.get().pk)
        post_events(bearer(token))
        assert ApiToken.objects.get().last_used_at is None


# --- Privacy --------------------------------------------------------------------------------


class TestPrivacy:
    def test_the_export_lists_tokens_without_digest_or_token(self, logged_in, educando):
        kept = new_token(educando, "Teléfono")
        post_events(bearer(kept))
        gone = new_token(educando, "Tableta prestada")
        api.revoke_api_token(
            user=educando, token_id=ApiToken.objects.get(name="Tableta prestada").pk
        )
        response = logged_in.post(MY_DATA)
        body = response.content.decode()
        data = json.loads(body)
        tokens = {entry["nombre"]: entry for entry in data["cuenta"]["tokens_para_aplicaciones"]}
        assert set(tokens) == {"Teléfono", "Tableta prestada"}
        assert set(tokens["Teléfono"]) == {"nombre", "creado", "ultimo_uso", "revocado"}
        assert tokens["Teléfono"]["ultimo_uso"] is not None
        assert tokens["Teléfono"]["revocado"] is None
        assert tokens["Tableta prestada"]["revocado"] is not None
        assert tokens["Tableta prestada"]["ultimo_uso"] is None
        for row in ApiToken.objects.all():
            assert row.digest not in body and row.prefix not in body
        for token in (kept, gone):
            assert token.split("_", 2)[2] not in body

    def test_the_page_about_my_data_mentions_tokens(self, logged_in):
        assert (
            "Los tokens que creó para sus aplicaciones" in logged_in.get(MY_DATA).content.decode()
        )

    def test_deleting_the_account_deletes_its_tokens(self, client, educando, make_user):
        token = new_token(educando)
        other = make_user("otra")
        new_token(other)
        client.force_login(educando)
        response = client.post("/cuenta/eliminar/", {"password": PASSWORD})
        assert response.status_code == 302
        assert not is_logged_in(client)
        assert not User.objects.filter(username="educanda1").exists()
        assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["otra"]
        assert post_events(bearer(token)).status_code == 401
