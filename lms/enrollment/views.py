from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import api as courses_api
from lms.enrollment import api


def _live_course(course_id: int):
    return get_object_or_404(courses_api.CoursePage.objects.live(), pk=course_id)


@require_POST
@login_required
def enroll(request, course_id: int):
    course = _live_course(course_id)
    try:
        api.enroll(user=request.user, course=course)
    except api.EnrollmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Ya está inscrito en «%(course)s». ¡Bienvenido!") % {"course": course.title}
        )
    return redirect(course.url)


@require_POST
@login_required
def withdraw(request, course_id: int):
    course = _live_course(course_id)
    if api.withdraw(user=request.user, course=course):
        messages.success(
            request,
            _("Se dio de baja de «%(course)s». Su avance se guarda por si regresa.")
            % {"course": course.title},
        )
    return redirect("progress:my_courses")
