"""Wagtail's forms to create and edit people in the admin, with Aula's profile fields.

Wagtail's own forms know only username, email and names, and make email and names
required. In Aula all of those are optional (a learner needs a username and a password),
and a person's profile also has the name for their certificates, a phone, a CURP and
whether they want reminder emails. The rules for these fields are the model's
(validators, ``User.clean``, the CURP unique constraint and its message), so a CURP typed
here is checked and stored exactly as on the learner's own profile page. A new or changed
username follows sign-up's rules against names that could pass for another: digits 0-9
only, one alphabet, and not a look-alike of an existing account.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.users.forms import UserCreationForm, UserEditForm

from lms.accounts import api, people
from lms.accounts.validators import (
    normalise_curp,
    normalise_username,
    validate_curp,
    validate_unambiguous_username,
)

PROFILE_FIELDS = {"display_name", "phone", "curp", "reminders_opt_out"}


class ProfileFieldsForm(forms.Form):
    """The fields both forms share; mixed in before Wagtail's form."""

    email = forms.EmailField(
        label=_("Correo electrónico"),
        required=False,
        help_text=_("Opcional. Sirve para recuperar la contraseña y recibir avisos."),
    )
    first_name = forms.CharField(label=_("Nombre(s)"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Apellidos"), required=False, max_length=150)
    # Longer than the stored 18 so that a CURP copied with spaces or hyphens fits; it is
    # stored compact and in capitals.
    curp = forms.CharField(
        label=_("CURP"),
        required=False,
        max_length=30,
        help_text=_("Opcional. Se guarda en mayúsculas."),
    )

    def clean_username(self) -> str:
        """Stored as sign-up stores it: no surrounding spaces, and a phone-number handle
        keeps only its digits, so "(213) 555-0101" and "2135550101" are one account.

        A username that is new or changed must not be confusable (see
        ``validate_unambiguous_username`` and ``api.username_looks_taken``); one left as it
        was is not checked again, so editing an older account never forces a rename. The
        same name in another letter case is the unique constraint's error, not this one.
        """
        typed = self.cleaned_data.get("username") or ""
        username = normalise_username(typed)
        if username != self.instance.username:
            validate_unambiguous_username(typed)
            if api.username_looks_taken(username=username, exclude_pk=self.instance.pk):
                raise ValidationError(people.USERNAME_LOOKALIKE, code="username_lookalike")
        return username

    def clean_curp(self) -> str:
        curp = normalise_curp(self.cleaned_data.get("curp"))
        try:
            validate_curp(curp)
        except ValidationError as error:
            # Only this message: the model's max_length would add a second, technical one.
            raise ValidationError(error.messages[0], code=error.code) from error
        return curp

    def _post_clean(self) -> None:
        super()._post_clean()  # copies the cleaned username onto the instance
        self.instance.refresh_username_skeleton()


class AulaUserCreationForm(ProfileFieldsForm, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        fields = UserCreationForm.Meta.fields | PROFILE_FIELDS


class AulaUserEditForm(ProfileFieldsForm, UserEditForm):
    class Meta(UserEditForm.Meta):
        fields = UserEditForm.Meta.fields | PROFILE_FIELDS
