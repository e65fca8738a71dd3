"""People's accounts: finding an account by what a person types, learner sign-up and the
profile a person keeps, and whether they want reminder emails."""

from __future__ import annotations

from typing import TypedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from lms.accounts import roles
from lms.accounts.models import User
from lms.accounts.validators import (
    normalise_curp,
    normalise_username,
    username_skeleton,
    validate_learner_username,
    validate_unambiguous_username,
)

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
        user: User | None = model.objects.filter(username__iexact=candidate).order_by("id").first()
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


class _Profile(TypedDict):
    """What a person may tell Aula about themselves (``PROFILE_FIELDS``)."""

    display_name: str
    email: str
    phone: str
    curp: str
    reminders_opt_out: bool


class _Learner(_Profile):
    """What a learner account is made from."""

    username: str
    password: str | None


def _validation_errors(error: ValidationError) -> dict[str, list[ValidationError]]:
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
    errors: dict[str, list[ValidationError]] = {}
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
    arguments: _Learner = {
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


def _set_profile(user: User, values: _Profile) -> None:
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
    values: _Profile = {
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
