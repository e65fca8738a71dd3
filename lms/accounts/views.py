"""Account pages. Thin: they read the form, call ``api`` and choose where to go next.

Log in, log out and the two password flows are Django's own views with Aula's templates;
django-axes (settings) throttles log-in attempts per username and address.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from lms.accounts import api, forms

# Sign-up and reset codes log the person in themselves, past django-axes (which guards
# only password guessing at the log-in form).
MODEL_BACKEND = "lms.accounts.backends.AccountBackend"


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` address if it is on this site, else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


# --- Sign-up, log in, log out -------------------------------------------------------------


def _signup_rate(group, request) -> str:
    return settings.AULA_SIGNUP_RATE


def _code_rate(group, request) -> str:
    return settings.AULA_RESET_CODE_RATE


@sensitive_post_parameters("password", "password_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_signup_rate, method="POST", block=True)
def signup(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = forms.SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = api.register_learner(**form.api_arguments())
        except ValidationError as error:
            forms.add_api_errors(form, error)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("Le damos la bienvenida a Aula. Su cuenta está lista."))
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = forms.LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """People with a workplace (coordinators: their dashboard) land there; everyone
        else on "Mis cursos"."""
        places = api.workplaces_for(self.request.user)
        if places:
            return places[0].url
        return super().get_default_redirect_url()


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link or a prefetch never logs anyone out."""


# --- Passwords ----------------------------------------------------------------------------


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


class PasswordResetView(auth_views.PasswordResetView):
    """Sends a link only if an active account has that email, and always shows the same
    page afterwards, so it never tells whether an account or an email exists."""

    form_class = forms.PasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = True
    post_reset_login_backend = MODEL_BACKEND

    def form_valid(self, form):
        response = super().form_valid(form)
        api.clear_login_lockout(username=form.user.get_username())
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@sensitive_post_parameters("code", "new_password", "new_password_confirm")
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=_code_rate, method="POST", block=True)
def redeem_code(request: HttpRequest) -> HttpResponse:
    """A learner without email sets a new password with a code from their coordinator."""
    form = forms.RedeemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = api.redeem_reset_code(
                username=form.cleaned_data["username"],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password"],
                address=api.client_address(request),
            )
        except ValidationError as error:
            forms.add_api_errors(form, error)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(request, _("Listo: guardamos su contraseña nueva y ya entró a Aula."))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/redeem_code.html", {"form": form})


# --- Mi cuenta ----------------------------------------------------------------------------


def _second_factor_status(user) -> dict:
    if not api.requires_second_factor(user):
        return {"required": False}
    return {
        "required": True,
        "active": api.has_second_factor(user),
        "codes_left": api.recovery_codes_left(user=user),
    }


def _render_profile(request: HttpRequest, *, form=None, token_form=None) -> HttpResponse:
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form or forms.ProfileForm(user=request.user),
            "workplaces": api.workplaces_for(request.user),
            "second_factor": _second_factor_status(request.user),
            "api_tokens": api.api_tokens_for(user=request.user),
            "api_token_limit": api.MAX_ACTIVE_TOKENS,
            "token_form": token_form or forms.ApiTokenForm(),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = forms.ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            api.update_profile(user=request.user, **form.api_arguments())
        except ValidationError as error:
            forms.add_api_errors(form, error)
        else:
            messages.success(request, _("Guardamos sus cambios."))
            return redirect("accounts:profile")
    return _render_profile(request, form=form)


@login_required
@never_cache
@require_POST
def create_api_token(request: HttpRequest) -> HttpResponse:
    """A new personal API token, shown on the page this POST answers and never again (it is
    not stored, and it never travels in an address)."""
    form = forms.ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            created = api.create_api_token(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            forms.add_api_errors(form, error)
        else:
            return render(request, "accounts/api_token_created.html", {"created": created})
    return _render_profile(request, token_form=form)


@login_required
@never_cache
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the person's own tokens; anyone else's is a 404."""
    revoked = api.revoke_api_token(user=request.user, token_id=token_id)
    if revoked is None:
        raise Http404
    messages.success(
        request,
        _("Revocamos el token «%(name)s». Desde ahora ninguna aplicación puede usarlo.")
        % {"name": revoked.name},
    )
    return redirect(reverse("accounts:profile") + "#aplicaciones")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    """GET: what Aula keeps, in plain words. POST: all of it as a JSON file."""
    if request.method == "POST":
        data = api.export_personal_data(user=request.user)
        response = JsonResponse(
            data,
            encoder=DjangoJSONEncoder,
            json_dumps_params={"ensure_ascii": False, "indent": 2},
        )
        filename = f"aula-mis-datos-{timezone.localdate():%Y-%m-%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(request, "accounts/my_data.html")


@sensitive_post_parameters("password")
@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    allowed = api.can_delete_own_account(request.user)
    form = forms.DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and allowed and form.is_valid():
        api.delete_account(user=request.user)
        logout(request)
        messages.success(
            request, _("Eliminamos su cuenta y sus datos. Gracias por haber estudiado con Aula.")
        )
        return redirect("/")
    status = 403 if request.method == "POST" and not allowed else 200
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, "allowed": allowed},
        status=status,
    )
