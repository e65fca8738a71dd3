"""AccountBackend: Django's ModelBackend with the signed-in person's row read by a prepared
query; sessions begun with Django's backend stay valid; a wrong password is hashed once."""

from datetime import UTC, datetime
from unittest import mock

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, get_user, get_user_model, user_login_failed
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from lms.accounts.backends import AccountBackend
from lms.sql import RowByKey

from .conftest import PASSWORD

LOGIN = "/cuenta/entrar/"
MY_DATA = "/cuenta/mis-datos/"
DJANGO_BACKEND = "django.contrib.auth.backends.ModelBackend"
ACCOUNT_BACKEND = "lms.accounts.backends.AccountBackend"


def _fields(user):
    return {field.attname: getattr(user, field.attname) for field in user._meta.concrete_fields}


class TestRowByKey:
    def test_the_row_is_what_the_orm_returns_field_by_field(self, make_user):
        user = make_user("con-todo", email="a@example.org", reminders_opt_out=True)
        User = get_user_model()
        User.objects.filter(pk=user.pk).update(
            last_login=datetime(2026, 3, 10, 23, 30, 15, 123456, tzinfo=UTC),
            is_staff=True,
        )
        expected = User.objects.get(pk=user.pk)
        found = RowByKey(User).get(user.pk)
        assert type(found) is User and not found._state.adding and found._state.db == "default"
        assert _fields(found) == _fields(expected)
        # Booleans are booleans (SQLite keeps 0/1) and datetimes aware (SQLite keeps text).
        assert found.is_staff is True and found.reminders_opt_out is True
        assert found.is_superuser is False
        assert found.last_login == datetime(2026, 3, 10, 23, 30, 15, 123456, tzinfo=UTC)

    def test_no_row_is_none_and_a_key_given_as_text_is_read_as_the_orm_reads_it(self, make_user):
        user = make_user("por-texto")
        rows = RowByKey(get_user_model())
        assert rows.get(user.pk + 1000) is None
        assert rows.get(str(user.pk)).pk == user.pk

    def test_one_query(self, make_user, django_assert_num_queries):
        user = make_user("una-consulta")
        rows = RowByKey(get_user_model())
        rows.get(user.pk)  # prepared once
        with django_assert_num_queries(1):
            rows.get(user.pk)


class TestSignIn:
    def test_the_session_names_this_backend_and_each_request_finds_the_person(
        self, client, educando
    ):
        client.post(LOGIN, {"username": "educanda1", "password": PASSWORD})
        assert client.session[BACKEND_SESSION_KEY] == ACCOUNT_BACKEND
        with mock.patch.object(AccountBackend, "get_user", wraps=AccountBackend().get_user) as spy:
            response = client.get(MY_DATA)
        assert response.status_code == 200
        assert response.wsgi_request.user.pk == educando.pk
        spy.assert_called_once_with(educando.pk)

    def test_a_wrong_password_is_hashed_once_and_still_counted_as_a_failure(self, client, educando):
        failures = []

        def count(sender, **kwargs):
            failures.append(kwargs["credentials"]["username"])

        user_login_failed.connect(count)
        try:
            with mock.patch.object(
                MD5PasswordHasher, "verify", autospec=True, return_value=False
            ) as verify:
                response = client.post(LOGIN, {"username": "educanda1", "password": "otra"})
        finally:
            user_login_failed.disconnect(count)
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        assert verify.call_count == 1  # Django's ModelBackend, listed after, is not asked
        assert failures == ["educanda1"]

    def test_an_unknown_username_is_refused(self, client, db):
        response = client.post(LOGIN, {"username": "nadie", "password": PASSWORD})
        assert response.status_code == 200 and "_auth_user_id" not in client.session

    def test_a_session_begun_with_djangos_backend_stays_valid(self, client, educando):
        client.force_login(educando, backend=DJANGO_BACKEND)
        assert client.session[BACKEND_SESSION_KEY] == DJANGO_BACKEND
        response = client.get(MY_DATA)
        assert response.status_code == 200 and response.wsgi_request.user.pk == educando.pk

    def test_a_deactivated_persons_session_no_longer_signs_them_in(self, client, educando):
        client.force_login(educando, backend=ACCOUNT_BACKEND)
        get_user_model().objects.filter(pk=educando.pk).update(is_active=False)
        response = client.get(MY_DATA)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    def test_a_changed_password_ends_the_other_sessions(self, client, educando):
        client.force_login(educando, backend=ACCOUNT_BACKEND)
        educando.set_password("otra-contraseña-nueva")
        educando.save()
        response = client.get(MY_DATA)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    @pytest.mark.parametrize("backend", [ACCOUNT_BACKEND, DJANGO_BACKEND])
    def test_finding_the_person_takes_one_query_either_way(self, client, educando, backend):
        client.force_login(educando, backend=backend)
        client.get(MY_DATA)
        request = RequestFactory().get(MY_DATA)
        request.session = client.session
        with CaptureQueriesContext(connection) as queries:
            assert get_user(request).pk == educando.pk
        user_queries = [q for q in queries.captured_queries if "accounts_user" in q["sql"]]
        assert len(user_queries) == 1
