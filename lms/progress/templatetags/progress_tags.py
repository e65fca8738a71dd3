import uuid

from django import template

from lms.progress import api, selectors

register = template.Library()


@register.inclusion_tag("progress/lesson_panel.html", takes_context=True)
def lesson_progress_panel(context, page, next_step=None):
    """Status and "Marcar como terminada" for an enrolled learner on a lesson page, plus
    what the small offline-first script needs to send study time."""
    request = context["request"]
    user = request.user
    status = None
    if user.is_authenticated:
        status = api.lesson_status_for(user_id=user.pk, page_ids=[page.pk]).get(page.pk)
    shell = context.get("aula_shell")  # rendering a shell: marks, filled in per request
    return {
        "request": request,
        "page": page,
        "status": status,
        "next_step": next_step,
        "csrf_token": context.get("csrf_token"),
        "heartbeat_seconds": api.HEARTBEAT_MAX_SECONDS // 2,
        # The id of the "completed" event the form sends, new each time the page is shown:
        # the form posted twice, or also sent by the offline queue, is one event.
        "event_id": shell.event if shell else uuid.uuid4(),
        "aula_shell": shell,
    }


@register.simple_tag(takes_context=True)
def course_resume(context, course):
    """For a learner enrolled in ``course``: where «Empezar» (or «Continuar») goes
    (``lms.progress.selectors.ResumePoint``); None for anyone else."""
    user = context["request"].user
    if not user.is_authenticated:
        return None
    return selectors.resume_in_course(user=user, course_id=course.pk)


@register.simple_tag(takes_context=True)
def learner_queue_key(context) -> str:
    """The signed-in learner's offline queue key (what a batch says in ``learner``); its
    mark in a lesson page's shell (``lms.progress.lesson_shell``)."""
    shell = context.get("aula_shell")
    if shell is not None:
        return str(shell.learner)
    return api.queue_key(user_id=context["request"].user.pk)
