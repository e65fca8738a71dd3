"""Signing in with a username and a password, and finding the signed-in person again.

``AccountBackend`` is Django's ``ModelBackend`` (the same passwords, permissions and
inactive-account rule) with one difference: the person's row, read on every request a
signed-in person makes, comes from a query built once (``lms.sql.RowByKey``) instead of
an ORM ``get`` built and compiled each time, which cost three times running it (the
lesson page, ``bench/peer.py``).

Sessions name the backend that signed the person in. Django's ``ModelBackend`` stays
listed after this one in ``AUTHENTICATION_BACKENDS`` so that sessions begun before this
backend existed stay valid until they expire (``SESSION_COOKIE_AGE``, two weeks); this
backend ends a failed password check itself, so a wrong password is never hashed twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from lms.sql import RowByKey

_rows = RowByKey(get_user_model())


class AccountBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and username is not None and password is not None:
            # The same answer Django's ModelBackend would give next, without hashing the
            # password again: stop here (``user_login_failed`` is still sent, axes counts).
            raise PermissionDenied
        return user

    def get_user(self, user_id: Any) -> Any:
        user = _rows.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
