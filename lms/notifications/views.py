"""The one-click opt-out of reminder emails (``/recordatorios/baja/<token>/``).

The signed token in the link is the authorization: no login, and whoever is logged in
does not matter. GET only shows a page with one button, because mail scanners and link
previews open links on their own; POST turns reminders off. POST is exempt from CSRF: the
one-click POST of RFC 8058 comes from the mail provider, without cookies, and a forged
request could only do what the token already allows (turn one person's reminders off).
"""

from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from lms.notifications import reminders


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def opt_out(request, token: str):
    user = reminders.user_for_opt_out_token(token=token)
    if user is None:
        return _noindex(
            TemplateResponse(request, "notifications/reminder_invalid.html", status=404)
        )
    if request.method == "POST":
        reminders.opt_out(user=user)
        return _noindex(TemplateResponse(request, "notifications/reminder_done.html"))
    return _noindex(
        TemplateResponse(
            request,
            "notifications/reminder_confirm.html",
            {"already_out": user.reminders_opt_out},
        )
    )


def _noindex(response):
    # The address carries a token: keep it out of search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
