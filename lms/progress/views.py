from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses import api as courses_api
from lms.enrollment import api as enrollment_api
from lms.form_ids import posted_uuid
from lms.progress import api, selectors


@login_required
def my_courses(request):
    cards = selectors.my_courses(user=request.user)
    modules, credentials = selectors.credential_summary(user=request.user, cards=cards)
    return TemplateResponse(
        request,
        "progress/my_courses.html",
        {
            "cards": cards,
            "modules": modules,
            "credentials": credentials,
        },
    )


@require_POST
@login_required
def complete_lesson(request, page_id: int):
    """The "Marcar como terminada" button: works without JavaScript.

    The form carries the id of the event (``event_id``, new each time the page is shown),
    so the same form posted again (a double tap, a resent form) or sent by the offline
    queue is one event. A form without a valid one (from a page shown before it had it)
    gets a new id."""
    steps = courses_api.step_courses(page_ids=[page_id])
    if page_id not in steps or steps[page_id][1] != "lesson":
        raise Http404
    course_id = steps[page_id][0]
    if not enrollment_api.is_enrolled(user=request.user, course_id=course_id):
        raise Http404
    batch = api.record_server_event(
        user=request.user,
        verb=api.Verb.COMPLETED,
        page_id=page_id,
        event_id=posted_uuid(request, "event_id"),
    )
    if batch.completed_course_ids:
        messages.success(request, _("¡Felicidades! Concluyó el curso."))
        return redirect("progress:my_courses")
    steps_of_course = courses_api.course_steps(course_ids=[course_id]).get(course_id)
    title = next(
        (
            s.title
            for s in (steps_of_course.steps if steps_of_course else [])
            if s.page_id == page_id
        ),
        "",
    )
    next_url = request.POST.get("next", "")
    if next_url.startswith("/") and not next_url.startswith("//"):
        messages.success(
            request,
            _("Terminó la lección «%(title)s». Aquí sigue su próximo paso.") % {"title": title},
        )
        return redirect(next_url)
    messages.success(request, _("Terminó la lección «%(title)s».") % {"title": title})
    return redirect("progress:my_courses")
