"""The account forms. They check what only a form can (two passwords match, the current
password); the rules about accounts live in ``api`` and come back as its
``ValidationError``, which ``add_api_errors`` puts next to the right field."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from lms.accounts import api, tasks

PASSWORDS_DIFFER = _("Las dos contraseñas no son iguales. Escriba la misma en los dos campos.")
WRONG_PASSWORD = _("La contraseña no es correcta.")
USERNAME_TOO_LONG = _(
    "Un nombre de usuario tiene como máximo %(limit_value)d caracteres. Revise lo que escribió."
)

USERNAME_HELP = _(
    "Con él entrará a Aula; anótelo en un lugar seguro. Puede usar letras, números, punto, "
    "guion y guion bajo, o su número de teléfono."
)
NEW_PASSWORD_HELP = _(
    "Al menos 8 caracteres, y no solo números. Una frase corta que usted recuerde es una "
    "buena idea; por ejemplo: luna-verde-en-casa."
)


def _username_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": "username",
            "autocapitalize": "none",
            "autocorrect": "off",
            "spellcheck": "false",
        }
    )


def _password_field(label, autocomplete: str, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


def add_api_errors(form: forms.Form, error: ValidationError) -> None:
    """Show an ``api`` ``ValidationError`` on the form: next to the field of the same name,
    or at the top when the form has no such field. A field that already shows an error
    (for example "Este campo es obligatorio.") keeps only that one."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field in form.fields:
            if field not in form.errors:
                form.add_error(field, errors)
        else:
            form.add_error(None, errors)


class OptionalDataForm(forms.Form):
    """The optional fields a learner may fill in (sign-up and "Mi cuenta")."""

    display_name = forms.CharField(
        label=_("Nombre para sus constancias"),
        required=False,
        max_length=150,
        help_text=_("Cómo quiere que aparezca su nombre en sus constancias."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Correo electrónico"),
        required=False,
        help_text=_("Solo lo usamos para ayudarle si olvida su contraseña."),
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "inputmode": "email", "autocapitalize": "none"}
        ),
    )
    phone = forms.CharField(
        label=_("Teléfono"),
        required=False,
        max_length=30,
        help_text=_("Solo para que su asesor o su coordinador puedan comunicarse con usted."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    curp = forms.CharField(
        label=_("CURP"),
        required=False,
        max_length=30,
        help_text=_(
            "Ayuda a su coordinador con sus trámites ante el INEA. Puede agregarla después."
        ),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )


class SignupForm(OptionalDataForm):
    """Sign-up: a username and a password; everything else optional. It asks nothing about
    immigration status, address or place of birth."""

    username = forms.CharField(
        label=_("Nombre de usuario"),
        max_length=150,
        help_text=USERNAME_HELP,
        widget=_username_widget(),
    )
    password = _password_field(_("Contraseña"), "new-password", NEW_PASSWORD_HELP)
    password_confirm = _password_field(_("Escriba la contraseña otra vez"), "new-password")

    field_order = [
        "username",
        "password",
        "password_confirm",
        "display_name",
        "email",
        "phone",
        "curp",
    ]

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password and cleaned.get("password_confirm") != password:
            self.add_error("password_confirm", PASSWORDS_DIFFER)
        # Every problem at once, not one per try: the account rules come from the api.
        try:
            api.validate_registration(**self.api_arguments())
        except ValidationError as error:
            add_api_errors(self, error)
        return self.cleaned_data

    def api_arguments(self) -> dict:
        """What ``api.register_learner`` takes, from what was typed."""
        names = ("username", "password", "display_name", "email", "phone", "curp")
        return {name: self.cleaned_data.get(name) or "" for name in names}


class ProfileForm(OptionalDataForm):
    reminders_opt_out = forms.BooleanField(
        label=_("No quiero recibir recordatorios"),
        required=False,
        help_text=_(
            "Aula puede recordarle que siga estudiando. Marque esta casilla si prefiere no "
            "recibir recordatorios."
        ),
    )

    def __init__(self, data=None, *, user, **kwargs):
        kwargs.setdefault("initial", {name: getattr(user, name) for name in api.PROFILE_FIELDS})
        super().__init__(data, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        try:
            api.validate_profile(user=self.user, **self.api_arguments())
        except ValidationError as error:
            add_api_errors(self, error)
        return cleaned

    def api_arguments(self) -> dict:
        """What ``api.update_profile`` takes besides the user."""
        arguments = {name: self.cleaned_data.get(name) or "" for name in api.PROFILE_FIELDS}
        arguments["reminders_opt_out"] = bool(self.cleaned_data.get("reminders_opt_out"))
        return arguments


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, with plain messages and usernames found in any letter case.

    The username is turned into the stored one before ``authenticate``, so django-axes
    counts "Maria" and "maria" as the same account.
    """

    error_messages = {
        "invalid_login": _(
            "El nombre de usuario o la contraseña no son correctos. Revise que estén bien "
            "escritos y vuelva a intentarlo."
        ),
        "inactive": _("Esta cuenta está desactivada. Pida ayuda a su asesor o a su coordinador."),
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # Django sets max_length here without its validator: a longer name would reach
        # authenticate() and django-axes, whose username column takes 255 characters.
        self.fields["username"].validators.append(
            MaxLengthValidator(self.fields["username"].max_length, message=USERNAME_TOO_LONG)
        )
        self.fields["username"].label = _("Nombre de usuario")
        self.fields["username"].widget.attrs.update(_username_widget().attrs)
        self.fields["password"].label = _("Contraseña")

    def clean_username(self) -> str:
        typed = self.cleaned_data["username"]
        user = api.get_user_by_username(username=typed)
        return user.get_username() if user is not None else typed


class PasswordResetForm(auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Su correo electrónico")
        self.fields["email"].help_text = _("El mismo que escribió en su cuenta de Aula.")
        self.fields["email"].widget.attrs.update({"inputmode": "email", "autocapitalize": "none"})

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        """Render the email here (in the person's language, with the link) and hand it to
        Celery to send after the request commits."""
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        html = (
            render_to_string(html_email_template_name, context)
            if html_email_template_name
            else None
        )
        transaction.on_commit(partial(tasks.send_email_task.delay, subject, body, [to_email], html))


class RedeemCodeForm(forms.Form):
    username = forms.CharField(label=_("Nombre de usuario"), widget=_username_widget())
    code = forms.CharField(
        label=_("Código"),
        max_length=30,
        help_text=_("Las 8 letras y números que le dio su asesor o su coordinador."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "autocorrect": "off",
                "spellcheck": "false",
            }
        ),
    )
    new_password = _password_field(_("Contraseña nueva"), "new-password", NEW_PASSWORD_HELP)
    new_password_confirm = _password_field(
        _("Escriba la contraseña nueva otra vez"), "new-password"
    )

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password")
        if password and cleaned.get("new_password_confirm") != password:
            self.add_error("new_password_confirm", PASSWORDS_DIFFER)
        return cleaned


class ApiTokenForm(forms.Form):
    """A new personal API token: only its name, so the person can tell their tokens apart."""

    name = forms.CharField(
        label=_("Nombre del token"),
        max_length=api.API_TOKEN_NAME_MAX_LENGTH,
        help_text=_("Para reconocerlo después; por ejemplo: Aplicación del teléfono."),
        error_messages={
            "required": _(
                "Escriba un nombre que le ayude a reconocerlo; por ejemplo: Aplicación del "
                "teléfono."
            ),
            "max_length": _("El nombre tiene como máximo %(limit_value)d caracteres."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, data=None, **kwargs):
        # Its own ids: it shares "Mi cuenta" with the profile form.
        kwargs.setdefault("auto_id", "token_%s")
        super().__init__(data, **kwargs)


class DeleteAccountForm(forms.Form):
    password = _password_field(
        _("Su contraseña"),
        "current-password",
        _("Para confirmar que es usted quien quiere eliminar la cuenta."),
    )

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(WRONG_PASSWORD, code="wrong_password")
        return password
