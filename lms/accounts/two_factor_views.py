"""The second sign-in step: confirm it, set up an authenticator app, new recovery codes.

Thin views over ``two_factor``; ``middleware.SecondFactorMiddleware`` sends people here.
"""

from __future__ import annotations

import base64

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_ratelimit.decorators import ratelimit

from lms.accounts import two_factor
from lms.accounts.forms import add_api_errors
from lms.accounts.views import _safe_next

ISSUER = "Aula"


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Código"),
        max_length=20,
        help_text=gettext_lazy(
            "Los 6 números que muestra ahora su aplicación de autenticación, o uno de sus "
            "códigos de recuperación."
        ),
        error_messages={"required": gettext_lazy("Escriba el código.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}
        ),
    )


class SetupCodeForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("Los 6 números que muestra ahora la aplicación.")
        self.fields["code"].widget.attrs["inputmode"] = "numeric"


def _verify_rate(group, request) -> str:
    return getattr(settings, "AULA_2FA_RATE", "30/h")


def _next(request) -> str:
    return _safe_next(request) or settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=_verify_rate, method="POST", block=True)
def verify(request: HttpRequest) -> HttpResponse:
    """Confirm this sign-in with a code from the authenticator app or a recovery code."""
    user = request.user
    if not two_factor.requires_second_factor(user) or user.is_verified():
        return redirect(_next(request))
    if not two_factor.has_second_factor(user):
        return redirect(f"{_setup_url()}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.verify(user=user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error("code", two_factor.WRONG_CODE)
        else:
            otp_login(request, device)
            left = two_factor.recovery_codes_left(user=user)
            if device.name == two_factor.RECOVERY_NAME:
                messages.warning(
                    request,
                    _(
                        "Usó un código de recuperación; le quedan %(left)s. Si perdió su "
                        "teléfono, configure la aplicación en el nuevo desde «Mi cuenta»."
                    )
                    % {"left": left},
                )
            return redirect(_next(request))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)}
    )


def _setup_url() -> str:
    return reverse("accounts:two_factor_setup")


def _qr_data_uri(device) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _grouped_secret(device) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@sensitive_post_parameters("code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=_verify_rate, method="POST", block=True)
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code, type one code, keep the recovery
    codes. Replacing one that works (a new phone) needs a verified session first, so a
    stolen password alone cannot swap in the thief's phone."""
    user = request.user
    if two_factor.has_second_factor(user) and not user.is_verified():
        return redirect(f"{_verify_url()}?{request.GET.urlencode()}")
    device = two_factor.pending_setup(user=user)
    if device is None or request.method == "GET":
        device = two_factor.start_setup(user=user)
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_setup(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            add_api_errors(form, error)
        else:
            otp_login(request, device)
            return _show_codes(request, codes, first_time=True)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "next": _safe_next(request),
            "qr": _qr_data_uri(device),
            "secret": _grouped_secret(device),
            "replacing": two_factor.has_second_factor(user),
        },
    )


def _verify_url() -> str:
    return reverse("accounts:two_factor")


def _show_codes(request, codes, *, first_time: bool) -> HttpResponse:
    return render(
        request,
        "accounts/two_factor_codes.html",
        {"codes": codes, "first_time": first_time, "next": _next(request)},
    )


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Ten new recovery codes (the old ones stop working). Needs a verified session."""
    user = request.user
    if not (two_factor.has_second_factor(user) and user.is_verified()):
        return redirect("accounts:two_factor")
    return _show_codes(request, two_factor.new_recovery_codes(user=user), first_time=False)
