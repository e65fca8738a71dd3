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
        # The id of the attempt the form makes, new each time the page is shown: the form
        # sent twice makes one attempt.
        "attempt_id": uuid.uuid4(),
    }
