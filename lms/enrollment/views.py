from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from courses import read_models as courses_models
from lms.enrollment import api
from lms.enrollment.models import Membership


def _live_course(course_id: int):
    return get_object_or_404(courses_models.CoursePage.objects.live(), pk=course_id)


def _success_once(request, text: str) -> None:
    """``messages.success``, unless the same message is already waiting to be shown: a
    double tap (or a form the browser sent again) answers the same, and says it once."""
    storage = messages.get_messages(request)
    waiting = [str(message) for message in storage]
    storage.used = False  # only looked at: they are still to be shown
    if text not in waiting:
        messages.success(request, text)


@require_POST
@login_required
def enroll(request, course_id: int):
    course = _live_course(course_id)
    try:
        api.enroll(user=request.user, course=course)
    except api.EnrollmentError as error:
        messages.error(request, error.message)
    else:
        # Also when they already were (a repeated post): the same answer as the first time.
        _success_once(
            request,
            _("Ya tiene inscripción en «%(course)s». Le damos la bienvenida.")
            % {"course": course.title},
        )
    return redirect(course.url)


@require_POST
@login_required
def withdraw(request, course_id: int):
    course = _live_course(course_id)
    # Withdrawn now, or already (a repeated post): the same answer as the first time.
    if api.withdraw(user=request.user, course=course) or api.has_withdrawn(
        user=request.user, course_id=course.pk
    ):
        _success_once(
            request,
            _("Se dio de baja de «%(course)s». Su avance se guarda por si regresa.")
            % {"course": course.title},
        )
    return redirect("progress:my_courses")


class JoinGrupoForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Código del grupo"),
        max_length=20,
        help_text=gettext_lazy("Las 8 letras y números que le dio la coordinación de su sede."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": gettext_lazy("Escriba el código del grupo.")},
    )


def _join_rate(group, request) -> str:
    return getattr(settings, "AULA_JOIN_GRUPO_RATE", "20/h")


@login_required
@require_http_methods(["GET", "POST"])
@ratelimit(key="user", rate=_join_rate, method="POST", block=True)
def join_grupo(request):
    """A learner who signed up on their own joins their sede's study group with the code
    the coordinator gave them, choosing to share their progress with that sede."""
    form = JoinGrupoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grupo = api.join_grupo(user=request.user, code=form.cleaned_data["code"])
        except api.EnrollmentError as error:
            form.add_error("code", error.message)
        else:
            # Also when they already were (a repeated post): the same answer, said once.
            _success_once(
                request,
                _("Ya es parte del grupo «%(grupo)s» de %(sede)s.")
                % {"grupo": grupo.name, "sede": grupo.sede.name},
            )
            return redirect("enrollment:join_grupo")
    memberships = Membership.objects.filter(user=request.user).select_related("grupo__sede")
    return TemplateResponse(
        request, "enrollment/join_grupo.html", {"form": form, "memberships": memberships}
    )
