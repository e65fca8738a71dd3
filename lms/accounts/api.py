"""The public Python API of ``accounts``: roles, the accounts that hold them, learner
sign-up and profile, password reset codes, and each person's data (export and erasure).

Views, commands and other apps call these functions; nothing else writes this app's models.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from courses import api as courses_api
from lms.accounts import roles
from lms.accounts.models import (
    AccessAction,
    AccessRecord,
    ResetCode,
    ResetCodeFailure,
    User,
)
from lms.accounts.two_factor import demo_code as demo_second_factor_code
from lms.accounts.two_factor import (
    has_second_factor,
    recovery_codes_left,
    register_staff_rule,
    requires_second_factor,
)
from lms.accounts.two_factor import reset as reset_second_factor
from lms.accounts.validators import (
    normalise_curp,
    normalise_username,
    username_skeleton,
    validate_learner_username,
    validate_unambiguous_username,
)

__all__ = [
    "DEMO_ACCOUNTS",
    "PROFILE_FIELDS",
    "RESET_CODE_ALPHABET",
    "RESET_CODE_LENGTH",
    "AccessAction",
    "AccessRecord",
    "DemoAccount",
    "ResetCode",
    "User",
    "can_delete_own_account",
    "clear_login_lockout",
    "client_address",
    "delete_account",
    "demo_second_factor_code",
    "ensure_demo_accounts",
    "ensure_roles",
    "export_personal_data",
    "format_reset_code",
    "get_user_by_username",
    "has_second_factor",
    "issue_reset_code",
    "normalise_curp",
    "normalise_username",
    "record_access",
    "recovery_codes_left",
    "redeem_reset_code",
    "register_learner",
    "register_personal_data",
    "register_staff_rule",
    "requires_second_factor",
    "reset_code_days",
    "reset_second_factor",
    "roles",
    "set_reminders_opt_out",
    "update_profile",
    "user_has_role",
    "username_looks_taken",
    "username_skeleton",
    "validate_profile",
    "validate_registration",
]


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def ensure_roles() -> dict[str, Group]:
    """Create or repair the four role groups, their permissions and the pedagogical review
    workflow. Idempotent; needs the catalog page (``courses.api.ensure_site``)."""
    groups = {}
    for name in roles.ALL_ROLES:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(p) for p in roles.MODEL_PERMISSIONS[name]])
        courses_api.grant_catalog_permissions(group=group, codenames=roles.PAGE_PERMISSIONS[name])
        groups[name] = group
    courses_api.ensure_review_workflow(reviewers=groups[roles.REVIEWERS])
    return groups


def user_has_role(user, role: str) -> bool:
    return user.is_authenticated and user.groups.filter(name=role).exists()


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("educanda", "estudio-en-casa", roles.EDUCANDO),
    DemoAccount("asesor", "preparo-lecciones", roles.ASESOR),
    DemoAccount("coordinadora", "acompano-la-sede", roles.COORDINADOR),
    DemoAccount("admin", "administro-aula", roles.ADMINISTRADOR),
)


@transaction.atomic
def ensure_demo_accounts() -> list[DemoAccount]:
    """One account per role, for trying the site in development. The caller must refuse
    to run this outside development. The demo asesor is assigned to every course."""
    groups = ensure_roles()
    model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, created = model.objects.get_or_create(username=account.username)
        if created:
            user.set_password(account.password)
            user.refresh_username_skeleton()
            user.save()
        user.groups.add(groups[account.role])
        if account.role == roles.ADMINISTRADOR and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if account.role == roles.ASESOR:
            for course in courses_api.CoursePage.objects.all():
                courses_api.assign_asesores(course=course, users=[*course.asesores.all(), user])
    return list(DEMO_ACCOUNTS)


# --- Looking people up ----------------------------------------------------------------------


def get_user_by_username(*, username: str) -> User | None:
    """The account a person means when they type ``username``, or None.

    Case does not matter ("Maria" finds "maria"), and a phone-number handle may be typed
    with or without spaces and hyphens.
    """
    model = get_user_model()
    typed = (username or "").strip()
    if not typed:
        return None
    for candidate in dict.fromkeys([typed, normalise_username(typed)]):
        user = model.objects.filter(username__iexact=candidate).order_by("id").first()
        if user is not None:
            return user
    return None


def username_looks_taken(*, username: str, exclude_pk: int | None = None) -> bool:
    """Whether another account's username could be mistaken for ``username`` (the stored
    form, see ``normalise_username``): the same skeleton (``username_skeleton``) but not the
    same name in another letter case, which ``get_user_by_username`` finds. ``exclude_pk``
    leaves out the account being edited. One indexed query.

    Nothing in the database stops two look-alike names being chosen at the same moment: a
    unique constraint on the skeleton would fail on accounts that already share one. The
    window is one request wide; the check catches everything else.
    """
    others = User.objects.filter(username_skeleton=username_skeleton(username)).exclude(
        username__iexact=username
    )
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


# --- Sign-up and profile ------------------------------------------------------------------

USERNAME_TAKEN = _(
    "Ese nombre de usuario ya lo usa otra persona. Pruebe con otro; por ejemplo, agréguele "
    "un número."
)
USERNAME_LOOKALIKE = _(
    "Ese nombre de usuario se parece demasiado a otro que ya existe y se podrían confundir. "
    "Elija otro; por ejemplo, agréguele un número o su apellido."
)
PROFILE_FIELDS = ("display_name", "email", "phone", "curp", "reminders_opt_out")


def _validation_errors(error: ValidationError) -> dict[str, list]:
    return error.update_error_dict({})


def _validated_learner(
    *,
    username: str,
    password: str | None,
    display_name: str,
    email: str,
    phone: str,
    curp: str,
    reminders_opt_out: bool,
    check_taken: bool = True,
) -> User:
    """An unsaved learner built from what was typed, or ``ValidationError`` with every
    problem at once, keyed by argument name. ``password=None`` skips the password rules
    (an account created without one); ``check_taken=False`` skips every check that reads
    the database (username in use or looking like one in use, CURP in use)."""
    user = User(
        username=normalise_username(username),
        display_name=(display_name or "").strip(),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        curp=normalise_curp(curp),
        reminders_opt_out=reminders_opt_out,
    )
    user.refresh_username_skeleton()
    errors: dict[str, list] = {}
    exclude = {"password"}
    try:
        validate_learner_username(user.username)
        validate_unambiguous_username(username)
    except ValidationError as error:
        errors["username"] = error.error_list
        exclude.add("username")
    if check_taken and "username" not in errors:
        if get_user_by_username(username=user.username):
            errors["username"] = [ValidationError(USERNAME_TAKEN, code="username_taken")]
            exclude.add("username")
        elif username_looks_taken(username=user.username):
            errors["username"] = [ValidationError(USERNAME_LOOKALIKE, code="username_lookalike")]
            exclude.add("username")
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            errors["password"] = error.error_list
    try:
        user.full_clean(
            exclude=exclude, validate_unique=check_taken, validate_constraints=check_taken
        )
    except ValidationError as error:
        for field, messages in _validation_errors(error).items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return user


def validate_registration(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    curp: str = "",
    reminders_opt_out: bool = False,
    check_taken: bool = True,
) -> None:
    """Raise the ``ValidationError`` that ``register_learner`` would raise, creating
    nothing (lets a form show every problem at once).

    ``password=None`` validates an account that will have no password. With
    ``check_taken=False`` no query is made: the caller checks whether the username (or a
    look-alike, see ``username_looks_taken``) or the CURP is already in use (bulk enrollment
    looks them up for a whole file at once).
    """
    _validated_learner(
        username=username,
        password=password,
        display_name=display_name,
        email=email,
        phone=phone,
        curp=curp,
        reminders_opt_out=reminders_opt_out,
        check_taken=check_taken,
    )


@transaction.atomic
def register_learner(
    *,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    phone: str = "",
    curp: str = "",
    reminders_opt_out: bool = False,
) -> User:
    """Create a learner account in the Educando group and return it.

    Only ``username`` and ``password`` are required. ``password=None`` creates an account
    that cannot log in until the person chooses a password (with a one-time code or an
    emailed link): what a coordinator's bulk enrollment does. The username is stored as typed
    (without surrounding spaces; a phone-number handle keeps only its digits) and must not
    exist in any letter case nor look like an existing one (``username_looks_taken``), use
    digits other than 0-9 or mix alphabets. Raises ``ValidationError`` keyed by argument name
    (``username``, ``password``, ``curp``…) and creates nothing if anything is wrong.
    The caller logs the person in if it wants to.
    """
    arguments = {
        "username": username,
        "password": password,
        "display_name": display_name,
        "email": email,
        "phone": phone,
        "curp": curp,
        "reminders_opt_out": reminders_opt_out,
    }
    user = _validated_learner(**arguments)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        # Someone took the username (or CURP) between the check and the save: say which.
        _validated_learner(**arguments)
        raise
    # Educando holds no permissions, so the bare group is all a learner needs.
    group, _created = Group.objects.get_or_create(name=roles.EDUCANDO)
    user.groups.add(group)
    return user


def _set_profile(user: User, values: dict[str, Any]) -> None:
    user.display_name = (values["display_name"] or "").strip()
    user.email = (values["email"] or "").strip()
    user.phone = (values["phone"] or "").strip()
    user.curp = normalise_curp(values["curp"])
    user.reminders_opt_out = bool(values["reminders_opt_out"])


def validate_profile(
    *,
    user: User,
    display_name: str,
    email: str,
    phone: str,
    curp: str,
    reminders_opt_out: bool,
) -> None:
    """Raise the ``ValidationError`` that ``update_profile`` would raise; ``user`` is left
    exactly as it was either way."""
    previous = {name: getattr(user, name) for name in PROFILE_FIELDS}
    _set_profile(
        user,
        {
            "display_name": display_name,
            "email": email,
            "phone": phone,
            "curp": curp,
            "reminders_opt_out": reminders_opt_out,
        },
    )
    try:
        user.full_clean(exclude={field.name for field in User._meta.fields} - set(PROFILE_FIELDS))
    finally:
        for name, value in previous.items():
            setattr(user, name, value)


@transaction.atomic
def update_profile(
    *,
    user: User,
    display_name: str,
    email: str,
    phone: str,
    curp: str,
    reminders_opt_out: bool,
) -> User:
    """Change what a person chose to tell Aula about themselves (all of it optional).

    Raises ``ValidationError`` keyed by argument name and leaves ``user`` as it was.
    """
    values = {
        "display_name": display_name,
        "email": email,
        "phone": phone,
        "curp": curp,
        "reminders_opt_out": reminders_opt_out,
    }
    validate_profile(user=user, **values)
    _set_profile(user, values)
    user.save(update_fields=list(PROFILE_FIELDS))
    return user


def set_reminders_opt_out(*, user: User, opt_out: bool = True) -> None:
    """Record whether a person wants reminder emails (the one-click link in each reminder
    and the profile page). Touches nothing else of their profile."""
    type(user).objects.filter(pk=user.pk).update(reminders_opt_out=opt_out)
    user.reminders_opt_out = opt_out


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
        if latest is None:
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
    clear_login_lockout(username=user.get_username())
    return user


def _check_reset_code(
    reset_code: ResetCode, typed: str, now, *, address: str
) -> ValidationError | None:
    """None if ``typed`` is ``reset_code`` and it is usable from ``address``; else the
    error to show. Counts (and saves) a wrong try from ``address`` against an open code."""

    def fail(message, code: str) -> ValidationError:
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


def client_address(request) -> str:
    """The client's IP address, read as django-axes reads it (behind a proxy, from the
    header ``AXES_IPWARE_META_PRECEDENCE_ORDER`` names); "" when unknown."""
    return (get_client_ip_address(request) or "")[:45]


# --- Who read whose data --------------------------------------------------------------------


def record_access(
    *, request, action: str, subject: User | None = None, detail: str = ""
) -> AccessRecord:
    """Append to the access log that ``request.user`` did ``action`` (an ``AccessAction``)
    on ``subject``'s data (None for an export of many), from the request's address."""
    actor = request.user
    return AccessRecord.objects.create(
        actor=actor,
        actor_username=actor.get_username(),
        subject=subject,
        action=action,
        detail=detail[:300],
        address=client_address(request),
        user_agent=request.headers.get("User-Agent", "")[:200],
    )


# --- Personal data ------------------------------------------------------------------------

EXPORT_FORMAT_VERSION = 1
_RESERVED_EXPORT_KEYS = frozenset({"formato", "generado", "cuenta"})
_PERSONAL_DATA: dict[str, Callable[[User], Any]] = {}


def register_personal_data(*, key: str, export: Callable[[User], Any]) -> None:
    """Let an app contribute its part of a person's data export ("download my data").

    Apps call this from ``AppConfig.ready``; ``export(user)`` returns JSON-serialisable
    data about that user only, and appears in the export under ``key``. Accounts cannot
    import the apps above it, so they come to it.
    """
    if key in _RESERVED_EXPORT_KEYS:
        raise ValueError(f"{key!r} is reserved for the accounts part of the export")
    _PERSONAL_DATA[key] = export


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def export_personal_data(*, user: User) -> dict[str, Any]:
    """Everything Aula keeps about ``user``, as JSON-ready data for them to download.

    ``cuenta`` holds the account (never the password or its hash, nor the hashes of reset
    codes), followed by one entry per app registered with ``register_personal_data``.
    """
    logins = AccessLog.objects.filter(username=user.get_username()).order_by("-attempt_time")
    data: dict[str, Any] = {
        "formato": EXPORT_FORMAT_VERSION,
        "generado": _iso(timezone.now()),
        "cuenta": {
            "usuario": user.get_username(),
            "nombre_para_constancias": user.display_name,
            "nombre": user.first_name,
            "apellidos": user.last_name,
            "correo_electronico": user.email,
            "telefono": user.phone,
            "curp": user.curp,
            "no_quiere_recordatorios": user.reminders_opt_out,
            "fecha_de_registro": _iso(user.date_joined),
            "ultima_entrada": _iso(user.last_login),
            "roles": sorted(user.groups.values_list("name", flat=True)),
            "codigos_de_recuperacion": [
                {
                    "creado": _iso(reset_code.created_at),
                    "vence": _iso(reset_code.expires_at),
                    "usado": _iso(reset_code.used_at),
                    "anulado": _iso(reset_code.revoked_at),
                }
                for reset_code in user.reset_codes.all()
            ],
            "entradas_recientes": [
                {
                    "fecha": _iso(entry.attempt_time),
                    "direccion_ip": entry.ip_address,
                    "navegador": entry.user_agent,
                }
                for entry in logins[:50]
            ],
        },
    }
    for key, export in sorted(_PERSONAL_DATA.items()):
        data[key] = export(user)
    return data


STAFF_CANNOT_DELETE = _(
    "Las cuentas del personal de Aula no se eliminan desde aquí. Pida a un administrador "
    "que la elimine."
)


def can_delete_own_account(user: User) -> bool:
    """Learners may delete their own account; staff and superusers may not."""
    return user.is_authenticated and not (user.is_staff or user.is_superuser)


@transaction.atomic
def delete_account(*, user: User) -> None:
    """Delete ``user`` and what Aula keeps about them, for good.

    Contract for the other apps: their rows that belong to the person refer to the user
    with ``on_delete=CASCADE`` and go with the account. The one exception is certificates
    already issued: they are kept as an anonymised snapshot (the name as printed, the
    course and the date, under their public folio) so that anyone holding a constancia can
    still verify it; the certificates app takes that snapshot and must not block this
    deletion. Login records (django-axes) for the username are deleted here too.

    Staff and superusers cannot delete themselves this way: raises ``PermissionDenied``.
    The caller logs the person out.
    """
    if not can_delete_own_account(user):
        raise PermissionDenied(STAFF_CANNOT_DELETE)
    username = user.get_username()
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()
    user.delete()
