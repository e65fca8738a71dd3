"""Personal API tokens ("Tokens para aplicaciones"): a person creates one in "Mi cuenta"
for an app of theirs (the offline app on their phone), which then calls the API in their
name with ``Authorization: Bearer aula_<prefix>_<secret>``.

A token is ``aula_``, a short random public prefix (to find its row with one indexed
query), ``_`` and a secret of 256 random bits. Only the prefix and a SHA-256 digest of the
whole token are stored: a copy of the database authenticates nothing. (A slow password
hash would add nothing for a secret this long and would cost every API call.) The token is
returned once, by ``create_api_token``; revoking keeps the row (for the person's data
export) and it never authenticates again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from lms.accounts.models import ApiToken, User

if TYPE_CHECKING:
    from rest_framework.request import Request

TOKEN_KIND = "aula"  # noqa: S105 - the public start of every token, not a secret
# At most this many tokens that work, per person: enough for a phone, a tablet and a
# spare; few enough that a forgotten one is noticed in the list.
MAX_ACTIVE_TOKENS = 5
API_TOKEN_NAME_MAX_LENGTH = 60
# ``last_used_at`` is written at most once per this long per token: an app that syncs
# every few seconds costs no write per request.
LAST_USED_PRECISION = timedelta(minutes=5)
_PREFIX_BYTES = 6  # 12 hexadecimal characters, public
_SECRET_BYTES = 32  # 256 bits, URL-safe base64

NAME_REQUIRED = _(
    "Escriba un nombre que le ayude a reconocerlo; por ejemplo: Aplicación del teléfono."
)
NAME_TOO_LONG = _("El nombre tiene como máximo %(limit_value)d caracteres.")
TOO_MANY_TOKENS = _(
    "Ya tiene %(limit)d tokens activos, el máximo. Revoque uno que ya no use y vuelva a intentarlo."
)
TOKEN_INVALID = _(
    "El token no es válido o fue revocado. Cree uno nuevo en «Mi cuenta» y configúrelo en "
    "su aplicación."
)
HEADER_INVALID = _(
    "Encabezado Authorization no válido. Use: Authorization: Bearer seguido de su token."
)
ACCOUNT_INACTIVE = _("Esta cuenta está desactivada. Pida ayuda a su asesor o a su coordinador.")


@dataclass(frozen=True)
class ApiTokenInfo:
    """What a person sees of one of their tokens: never the token, nor its digest."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewApiToken:
    """A token just created: ``token`` is the plain token, shown to its owner this once."""

    info: ApiTokenInfo
    token: str = ""

    def __repr__(self) -> str:  # never in a log or a traceback
        return f"NewApiToken(info={self.info!r}, token='…')"


def _info(row: ApiToken) -> ApiTokenInfo:
    return ApiTokenInfo(
        id=row.pk,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _parse(token: str) -> str | None:
    """The prefix of a well-formed token, else None."""
    kind, _sep, rest = token.partition("_")
    prefix, _sep, secret = rest.partition("_")
    if kind != TOKEN_KIND or len(prefix) != 2 * _PREFIX_BYTES or not secret:
        return None
    return prefix


def validate_api_token_name(name: str) -> str:
    """``name`` without surrounding spaces, or ``ValidationError`` (on ``name``)."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise ValidationError({"name": ValidationError(NAME_REQUIRED, code="required")})
    if len(cleaned) > API_TOKEN_NAME_MAX_LENGTH:
        raise ValidationError(
            {
                "name": ValidationError(
                    NAME_TOO_LONG,
                    code="max_length",
                    params={"limit_value": API_TOKEN_NAME_MAX_LENGTH},
                )
            }
        )
    return cleaned


def _active(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def create_api_token(*, user: User, name: str) -> NewApiToken:
    """Create a token called ``name`` for ``user`` and return it, in plain text this once.

    Raises ``ValidationError``: on ``name`` for a name that is empty or too long, and a
    non-field error when ``user`` already has ``MAX_ACTIVE_TOKENS`` tokens that work
    (checked under a lock on the user's row, so two requests at once cannot pass it).
    """
    cleaned = validate_api_token_name(name)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if _active(user).count() >= MAX_ACTIVE_TOKENS:
            raise ValidationError(
                TOO_MANY_TOKENS, code="too_many", params={"limit": MAX_ACTIVE_TOKENS}
            )
        for attempt in range(3):  # a prefix already taken: 48 random bits, all but never
            prefix = secrets.token_hex(_PREFIX_BYTES)
            token = f"{TOKEN_KIND}_{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
            try:
                with transaction.atomic():
                    row = ApiToken.objects.create(
                        user=user, name=cleaned, prefix=prefix, digest=_digest(token)
                    )
            except IntegrityError:
                if attempt == 2:
                    raise
            else:
                return NewApiToken(info=_info(row), token=token)
    raise AssertionError("unreachable")  # pragma: no cover


def api_tokens_for(*, user: User, include_revoked: bool = False) -> list[ApiTokenInfo]:
    """``user``'s tokens, newest first: those that work, or all of them."""
    rows = ApiToken.objects.filter(user=user) if include_revoked else _active(user)
    return [_info(row) for row in rows.order_by("-created_at", "-id")]


def revoke_api_token(*, user: User, token_id: int) -> ApiTokenInfo | None:
    """Make ``user``'s token ``token_id`` stop working, for good. Returns it, or None when
    ``user`` has no such token (someone else's is as unknown as one that never was).
    Revoking a revoked token changes nothing."""
    ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    row = ApiToken.objects.filter(user=user, pk=token_id).first()
    return _info(row) if row is not None else None


def _row_of(token: str) -> ApiToken | None:
    """The row ``token`` was made for (revoked or not), else None."""
    prefix = _parse(token)
    if prefix is None:
        return None
    row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if row is None or not hmac.compare_digest(row.digest, _digest(token)):
        return None
    return row


def authenticate_api_token(*, token: str) -> User | None:
    """The active account whose working token is ``token``, else None. Notes when the token
    was used (at most once per ``LAST_USED_PRECISION``)."""
    row = _row_of(token)
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    _note_use(row)
    return row.user


def _note_use(row: ApiToken) -> None:
    now = timezone.now()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_PRECISION:
        return
    # Conditional: of several requests at once, one writes.
    ApiToken.objects.filter(pk=row.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    ).update(last_used_at=now)
    row.last_used_at = now


class ApiTokenAuthentication(BaseAuthentication):
    """Django REST framework authentication with a personal token:
    ``Authorization: Bearer aula_…``.

    No ``Authorization`` header, or another scheme (``Token …``): None, so the next class
    may try. A Bearer token that is wrong, revoked or of a deactivated account: 401 with a
    Spanish message. As the first class of a view it makes unauthenticated calls 401 with
    ``WWW-Authenticate: Bearer realm="api"``.
    """

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiTokenInfo] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(HEADER_INVALID)
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise AuthenticationFailed(TOKEN_INVALID) from error
        row = _row_of(token)
        if row is None or row.revoked_at is not None:
            raise AuthenticationFailed(TOKEN_INVALID)
        if not row.user.is_active:
            raise AuthenticationFailed(ACCOUNT_INACTIVE)
        _note_use(row)
        # ``request.auth``: which of the person's tokens made the call.
        return (row.user, _info(row))

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """How the OpenAPI schema (/api/v1/schema/) documents ``ApiTokenAuthentication``."""

    target_class = "lms.accounts.api_tokens.ApiTokenAuthentication"
    name = "tokenParaAplicaciones"

    def get_security_definition(self, auto_schema: Any) -> Any:
        scheme = build_bearer_security_scheme_object(
            header_name="HTTP_AUTHORIZATION",
            token_prefix=ApiTokenAuthentication.keyword,
            bearer_format="aula_<prefijo>_<secreto>",
        )
        scheme["description"] = str(
            _("Token personal creado en «Mi cuenta» › «Aplicaciones sin conexión».")
        )
        return scheme
