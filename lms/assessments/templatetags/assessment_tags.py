import uuid

from django import template

from lms.assessments import api

register = template.Library()


@register.simple_tag(takes_context=True)
def assessment_state(context, page):
    """The learner's attempts at this assessment and whether they may submit again."""
    user = context["request"].user
    attempts = api.attempts_for(user=user, assessment_id=page.pk)
    remaining = (page.max_attempts - len(attempts)) if page.max_attempts else None
    return {
        "attempts": attempts,
        "remaining": remaining,
        "best": max((a.score for a in attempts), default=None),
        "passed": any(a.passed for a in attempts),
        "can_submit": user.is_authenticated and (remaining is None or remaining > 0),
        # The attempt the form makes: the order of the options is this attempt's.
        "number": len(attempts) + 1,
        # The id of the attempt the form makes, new each time the page is shown: the form
        # sent twice makes one attempt.
        "attempt_id": uuid.uuid4(),
    }


@register.simple_tag(takes_context=True)
def shown_options(context, page, block, state):
    """A choice question's options in this learner's order for the attempt about to be
    made (``state`` from ``assessment_state``); the file's order in a preview or for an
    anonymous visitor. No query."""
    request = context["request"]
    user = request.user
    preview = getattr(request, "is_preview", False)
    return api.shown_options(
        user_id=user.pk if user.is_authenticated and not preview else None,
        assessment=page,
        attempt_number=None if preview else state["number"],
        block=block,
    )


@register.simple_tag(takes_context=True)
def shown_questions(context, page, state):
    """The questions of the attempt about to be made (``state`` from ``assessment_state``):
    drawn from the pool for this learner, or all of them (no pool, a preview, an anonymous
    visitor), in the file's order. No query."""
    request = context["request"]
    user = request.user
    preview = getattr(request, "is_preview", False)
    return api.drawn_questions(
        user_id=user.pk if user.is_authenticated and not preview else None,
        assessment=page,
        attempt_number=None if preview else state["number"],
    )
