"""One-time reset codes: a coordinator or asesor gives a learner a short code (on paper, by
phone) with which the learner chooses a new password, and logins throttled by django-axes
are forgotten once they have."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import ResetCode, ResetCodeFailure, User
from lms.accounts.people import get_user_by_username

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# --- Login throttling ---------------------------------------------------------------------


def clear_login_lockout(*, username: str) -> None:
    """Forget failed logins for ``username`` (from every address), so a person who has just
    set a new password can log in with it straight away."""
    AccessAttempt.objects.filter(username=username).delete()


# --- One-time reset codes -----------------------------------------------------------------

# No I, O, 0 or 1: easy to read aloud and to copy from a piece of paper.
RESET_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
RESET_CODE_LENGTH = 8

CODE_WRONG = _(
    "El usuario o el código no son correctos. Revíselos y vuelva a intentarlo; escriba el "
    "código tal como se lo dieron."
)
CODE_USED = _("Este código ya se usó. Pida un código nuevo a su asesor o a su coordinador.")
CODE_EXPIRED = _("Este código ya venció. Pida un código nuevo a su asesor o a su coordinador.")
CODE_VOID = _(
    "Este código ya no sirve porque se escribió mal varias veces. Pida un código nuevo a su "
    "asesor o a su coordinador."
)


def reset_code_days() -> int:
    """How many days a new code lasts (setting ``AULA_RESET_CODE_DAYS``, default 7)."""
    return int(getattr(settings, "AULA_RESET_CODE_DAYS", 7))


def format_reset_code(code: str) -> str:
    """ "ABCDEFGH" → "ABCD-EFGH", easier to read aloud and to copy."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def _normalise_reset_code(code: str) -> str:
    return "".join(char for char in (code or "").upper() if not (char.isspace() or char == "-"))


_CODE_HASH_PREFIX = "hmac-sha256$"


def _hash_reset_code(user_id: int, code: str) -> str:
    """A keyed hash (HMAC with SECRET_KEY) of the code, bound to its owner.

    A code lives at most ``reset_code_days()`` days and allows ``MAX_ATTEMPTS`` tries, so
    what must not happen is someone with a copy of the database (but not the secret key)
    recovering open codes; a keyed hash prevents that, as for Django's own reset links.
    A slow password hash would add nothing and cost a third of a second per code, which
    a bulk enrollment of hundreds of learners cannot afford.
    """
    digest = salted_hmac("aula.accounts.reset-code", f"{user_id}:{code}", algorithm="sha256")
    return _CODE_HASH_PREFIX + digest.hexdigest()


def _code_matches(reset_code: ResetCode, typed: str) -> bool:
    stored = reset_code.code_hash
    if stored.startswith(_CODE_HASH_PREFIX):
        return constant_time_compare(stored, _hash_reset_code(reset_code.user_id, typed))
    return check_password(typed, stored)  # codes issued before keyed hashes


@transaction.atomic
def issue_reset_code(*, user: User, issued_by: User | None) -> str:
    """Create a one-time code for ``user`` and return it in plain text (this once only).

    Any earlier code of theirs that was not used stops working. The code lasts
    ``reset_code_days()`` days. The caller decides whether ``issued_by`` may act for
    ``user`` (coordinators: only learners of their sedes); ``issued_by`` is None for the
    ``reset_code`` management command.
    """
    now = timezone.now()
    ResetCode.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    code = "".join(secrets.choice(RESET_CODE_ALPHABET) for _i in range(RESET_CODE_LENGTH))
    ResetCode.objects.create(
        user=user,
        code_hash=_hash_reset_code(user.pk, code),
        created_by=issued_by,
        created_at=now,
        expires_at=now + timedelta(days=reset_code_days()),
    )
    return code


def redeem_reset_code(*, username: str, code: str, new_password: str, address: str = "") -> User:
    """Set ``new_password`` for ``username`` if ``code`` is their current one-time code.

    The code is read without regard to case, spaces or hyphens, and works once. Each wrong
    code counts against the person's open code *from that address* (``address``, the
    client's IP, "" when unknown); after ``ResetCode.MAX_ATTEMPTS`` wrong tries from one
    address the code no longer works from there, but still does from anywhere else, so a
    stranger who knows the username cannot lock the learner out. Raises
    ``ValidationError`` keyed ``code``
    (wrong, used, expired or void: a wrong username gets the same message as a wrong code)
    or ``new_password`` (Django's password rules; the code is then not spent). On success
    earlier failed logins are forgotten; the caller logs the person in.

    Do not call it inside an outer transaction that an exception rolls back: the count of
    wrong tries must be saved even though this raises.
    """
    typed = _normalise_reset_code(code)
    user = get_user_by_username(username=username)
    error: ValidationError | None = None
    with transaction.atomic():
        latest = None
        if user is not None and user.is_active:
            latest = ResetCode.objects.select_for_update().filter(user=user).first()
        if user is None or latest is None:  # (``latest`` is None whenever ``user`` is)
            _hash_reset_code(0, typed)  # the same work as a real check: timing reveals nothing
            error = ValidationError({"code": [ValidationError(CODE_WRONG, code="wrong")]})
        else:
            error = _check_reset_code(latest, typed, timezone.now(), address=address)
            if error is None:
                try:
                    validate_password(new_password, user)
                except ValidationError as password_error:
                    error = ValidationError({"new_password": password_error.error_list})
                else:
                    user.set_password(new_password)
                    user.save(update_fields=["password"])
                    latest.used_at = timezone.now()
                    latest.save(update_fields=["used_at"])
    if error is not None:
        raise error
    assert user is not None  # no error: the code was theirs, so their account was found
    clear_login_lockout(username=user.get_username())
    return user


def _check_reset_code(
    reset_code: ResetCode, typed: str, now: datetime, *, address: str
) -> ValidationError | None:
    """None if ``typed`` is ``reset_code`` and it is usable from ``address``; else the
    error to show. Counts (and saves) a wrong try from ``address`` against an open code."""

    def fail(message: StrOrPromise, code: str) -> ValidationError:
        return ValidationError({"code": [ValidationError(message, code=code)]})

    address = (address or "")[:45]
    failure = ResetCodeFailure.objects.filter(reset_code=reset_code, address=address).first()
    closed_here = failure is not None and failure.count >= ResetCode.MAX_ATTEMPTS
    if not _code_matches(reset_code, typed):
        if not reset_code.is_usable(now):
            return fail(CODE_WRONG, "wrong")
        if failure is None:
            failure = ResetCodeFailure(reset_code=reset_code, address=address)
        failure.count = min(failure.count + 1, 32000)
        failure.save()
        ResetCode.objects.filter(pk=reset_code.pk).update(
            failed_attempts=models.F("failed_attempts") + 1
        )
        if failure.count >= ResetCode.MAX_ATTEMPTS:
            return fail(CODE_VOID, "void")
        return fail(CODE_WRONG, "wrong")
    if closed_here:
        return fail(CODE_VOID, "void")
    if reset_code.used_at is not None:
        return fail(CODE_USED, "used")
    if reset_code.revoked_at is not None:
        return fail(CODE_VOID, "void")
    if reset_code.expires_at <= now:
        return fail(CODE_EXPIRED, "expired")
    return None
