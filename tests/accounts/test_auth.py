"""Log in, log out, change password, reset by email, and the django-axes lockout."""

import re
from unittest import mock

import pytest
from django.core import mail

from lms.accounts import api

from .conftest import NEW_PASSWORD, PASSWORD, errors_of, is_logged_in

LOGIN = "/cuenta/entrar/"
WRONG_LOGIN = (
    "El nombre de usuario o la contraseña no son correctos. Revise que estén bien escritos y "
    "vuelva a intentarlo."
)


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


class TestLogin:
    def test_page(self, client, db):
        response = client.get(LOGIN)
        html = response.content.decode()
        assert response.status_code == 200
        assert 'autocomplete="username"' in html
        assert 'autocomplete="current-password"' in html
        assert 'href="/cuenta/codigo/"' in html and 'href="/cuenta/registro/"' in html

    def test_logs_in_and_goes_to_my_courses(self, client, educando):
        response = _login(client, "educanda1", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/mis-cursos/"
        assert client.session["_auth_user_id"] == str(educando.pk)

    def test_username_in_any_case(self, client, educando):
        assert _login(client, "Educanda1", PASSWORD).status_code == 302
        assert client.session["_auth_user_id"] == str(educando.pk)

    def test_goes_to_a_safe_next(self, client, educando):
        response = client.post(
            f"{LOGIN}?next=/cuenta/mis-datos/",
            {"username": "educanda1", "password": PASSWORD, "next": "/cuenta/mis-datos/"},
        )
        assert response["Location"] == "/cuenta/mis-datos/"

    def test_wrong_password(self, client, educando):
        response = _login(client, "educanda1", "no-es-esta")
        assert response.status_code == 200
        assert errors_of(response, "__all__") == [WRONG_LOGIN]
        assert WRONG_LOGIN in response.content.decode()
        assert not is_logged_in(client)

    def test_a_logged_in_person_is_sent_on(self, logged_in):
        response = logged_in.get(LOGIN)
        assert response.status_code == 302 and response["Location"] == "/mis-cursos/"


class TestLogout:
    def test_get_does_not_log_out(self, logged_in):
        response = logged_in.get("/cuenta/salir/")
        assert response.status_code == 405
        assert is_logged_in(logged_in)
        assert logged_in.get("/cuenta/").status_code == 200

    def test_post_logs_out_and_goes_home(self, logged_in):
        response = logged_in.post("/cuenta/salir/")
        assert response.status_code == 302 and response["Location"] == "/"
        assert not is_logged_in(logged_in)


class TestLockout:
    """django-axes counts failures per username *and* address."""

    def _lock(self, client, username):
        responses = [_login(client, username, "no-es-esta") for _ in range(5)]
        assert [r.status_code for r in responses[:4]] == [200] * 4
        return responses[-1]

    def test_five_wrong_passwords_lock_that_username_from_that_address(self, client, educando):
        locked = self._lock(client, "educanda1")
        assert locked.status_code == 429
        # Even the right password is refused now, with the kind page.
        response = _login(client, "educanda1", PASSWORD)
        assert response.status_code == 429
        assert not is_logged_in(client)
        html = response.content.decode()
        assert "Espere 15 minutos y vuelva a intentarlo." in html
        assert "Pida un código de recuperación a su asesor o a su coordinador." in html
        assert 'href="/cuenta/codigo/"' in html
        assert "accounts/locked_out.html" in [t.name for t in response.templates]

    def test_case_does_not_open_a_way_around_it(self, client, educando):
        self._lock(client, "educanda1")
        assert _login(client, "EDUCANDA1", PASSWORD).status_code == 429

    def test_another_username_from_the_same_address_still_logs_in(
        self, client, educando, make_user
    ):
        other = make_user("vecina")
        self._lock(client, "educanda1")
        response = _login(client, "vecina", PASSWORD)
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(other.pk)

    def test_the_same_username_from_another_address_still_logs_in(self, client, educando):
        self._lock(client, "educanda1")
        assert _login(client, "educanda1", PASSWORD, ip="10.0.0.2").status_code == 302

    def test_a_reset_code_lifts_the_lockout(self, client, educando):
        self._lock(client, "educanda1")
        code = api.issue_reset_code(user=educando, issued_by=None)
        client.post(
            "/cuenta/codigo/",
            {
                "username": "educanda1",
                "code": code,
                "new_password": NEW_PASSWORD,
                "new_password_confirm": NEW_PASSWORD,
            },
            REMOTE_ADDR="10.0.0.1",
        )
        client.post("/cuenta/salir/")
        assert _login(client, "educanda1", NEW_PASSWORD).status_code == 302


class TestPasswordChange:
    URL = "/cuenta/contrasena/"

    def test_needs_login(self, client, db):
        response = client.get(self.URL)
        assert response.status_code == 302
        assert response["Location"] == f"/cuenta/entrar/?next={self.URL}"

    def test_changes_the_password(self, logged_in, educando):
        page = logged_in.get(self.URL)
        assert page.status_code == 200
        assert 'autocomplete="current-password"' in page.content.decode()
        response = logged_in.post(
            self.URL,
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert response["Location"] == "/cuenta/contrasena/lista/"
        educando.refresh_from_db()
        assert educando.check_password(NEW_PASSWORD)
        assert is_logged_in(logged_in)  # the session survives the change
        done = logged_in.get("/cuenta/contrasena/lista/")
        assert "Su contraseña cambió" in done.content.decode()

    def test_wrong_old_password_changes_nothing(self, logged_in, educando):
        response = logged_in.post(
            self.URL,
            {
                "old_password": "no-es-esta",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 200
        assert errors_of(response, "old_password")
        educando.refresh_from_db()
        assert educando.check_password(PASSWORD)

    def test_done_page_needs_login(self, client, db):
        response = client.get("/cuenta/contrasena/lista/")
        assert response["Location"].startswith("/cuenta/entrar/")


class TestPasswordResetByEmail:
    URL = "/cuenta/recuperar/"

    def test_page(self, client, db):
        response = client.get(self.URL)
        assert response.status_code == 200
        assert 'autocomplete="email"' in response.content.decode()

    def test_never_tells_whether_the_email_exists(
        self, client, make_user, django_capture_on_commit_callbacks
    ):
        make_user("ana", email="ana@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            unknown = client.post(self.URL, {"email": "nadie@example.org"})
        assert len(mail.outbox) == 0
        with django_capture_on_commit_callbacks(execute=True):
            known = client.post(self.URL, {"email": "ANA@example.org"})
        assert len(mail.outbox) == 1
        assert unknown.status_code == known.status_code == 302
        assert unknown["Location"] == known["Location"] == "/cuenta/recuperar/enviado/"
        done = client.get("/cuenta/recuperar/enviado/")
        assert "Si ese correo está en una cuenta de Aula" in done.content.decode()

    def test_the_email_is_sent_by_celery_after_the_request(self, client, make_user):
        make_user("ana", email="ana@example.org")
        with mock.patch("lms.accounts.tasks.send_email_task.delay") as delay:
            client.post(self.URL, {"email": "ana@example.org"})
            assert not delay.called  # only once the request's transaction commits
        assert len(mail.outbox) == 0

    def test_the_email_link_sets_a_new_password_and_logs_in(
        self, client, make_user, django_capture_on_commit_callbacks
    ):
        ana = make_user("ana", email="ana@example.org", display_name="Ana Pérez")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(self.URL, {"email": "ana@example.org"})
        message = mail.outbox[0]
        assert message.subject == "Cambiar su contraseña de Aula"
        assert "Hola, Ana Pérez:" in message.body
        assert "Su nombre de usuario es: ana" in message.body
        link = re.search(r"http://testserver(/cuenta/recuperar/\S+/)", message.body).group(1)
        form_page = client.get(link, follow=True)
        assert form_page.context["validlink"]
        response = client.post(
            form_page.redirect_chain[-1][0],
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert response["Location"] == "/cuenta/recuperar/listo/"
        ana.refresh_from_db()
        assert ana.check_password(NEW_PASSWORD)
        assert client.session["_auth_user_id"] == str(ana.pk)
        # The link works once.
        assert not client.get(link, follow=True).context["validlink"]

    def test_a_broken_link_says_so(self, client, db):
        response = client.get("/cuenta/recuperar/MQ/no-sirve/")
        assert "Este enlace ya no sirve" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/cuenta/registro/", "/cuenta/entrar/", "/cuenta/recuperar/", "/cuenta/codigo/"],
)
def test_public_pages_are_in_spanish_and_need_no_javascript(client, db, url):
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es-MX">' in html
    assert "<script" not in html
    assert 'method="post"' in html and "csrfmiddlewaretoken" in html
