import json
import uuid

from django import template

from courses import api as courses_api
from courses import read_models as courses_models
from lms.assessments import api

register = template.Library()


@register.simple_tag(takes_context=True)
def assessment_state(context, page):
    """The learner's attempts at this assessment and whether they may submit again."""
    request = context["request"]
    user = request.user
    # Who the form is drawn and ordered for: nobody in an editor's preview or for an
    # anonymous visitor (every question, options in the file's order).
    learner = user.is_authenticated and not getattr(request, "is_preview", False)
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
        "learner_id": user.pk if learner else None,
        # The id of the attempt the form makes, new each time the page is shown: the form
        # sent twice makes one attempt.
        "attempt_id": uuid.uuid4(),
        # When the form was shown, signed for this learner: the attempt records the time.
        "shown_at": api.shown_at_token(user_id=user.pk) if learner else "",
        # The published revision the form shows, signed: a practice quiz answered on this
        # page (offline too) is graded against it.
        "revision": api.revision_token(assessment_id=page.pk, revision_id=page.live_revision_id),
    }


@register.simple_tag
def shown_options(page, block, state):
    """A choice question's options in this learner's order for the attempt about to be
    made (``state`` from ``assessment_state``); the file's order in a preview or for an
    anonymous visitor. No query."""
    return api.shown_options(
        user_id=state["learner_id"], assessment=page, attempt_number=state["number"], block=block
    )


@register.simple_tag
def shown_questions(page, state):
    """The questions of the attempt about to be made (``state`` from ``assessment_state``):
    drawn from the pool for this learner, or all of them (no pool, a preview, an anonymous
    visitor), in the file's order; other questions than the learner's last attempt had,
    as far as the pool allows. No query."""
    attempts = state["attempts"]
    return api.drawn_questions(
        user_id=state["learner_id"],
        assessment=page,
        attempt_number=state["number"],
        previous_ids=attempts[-1].question_ids if attempts else [],
        excluded_ids=api.final_exclusions(user_id=state["learner_id"], assessment=page),
    )


@register.simple_tag(takes_context=True)
def final_gate(context, page):
    """The required lessons the signed-in learner has still to finish before this final
    assessment opens (``api.pending_lessons``), each as ``{"title", "url"}`` in study
    order; empty when it is open, for an anonymous visitor and in an editor's preview."""
    request = context["request"]
    user = request.user
    if not user.is_authenticated or getattr(request, "is_preview", False):
        return []
    # The page Wagtail routed to: its course is already known from the access check.
    course = courses_api.course_of_page(page=page, remember=True)
    if course is None:
        return []
    pending = api.pending_lessons(user_id=user.pk, assessment=page, course=course)
    if not pending:
        return []
    # Their addresses from the course's cached outline (no query); a lesson it leaves out
    # (a private one) is looked up.
    outline = {
        step.pk: step for step in courses_api.flat_steps(courses_api.course_outline(course=course))
    }
    urls = courses_api.page_urls(
        page_ids=[s.page_id for s in pending if s.page_id not in outline], request=request
    )
    return [
        {
            "title": s.title,
            "url": outline[s.page_id].get_url(request)
            if s.page_id in outline
            else urls.get(s.page_id),
        }
        for s in pending
    ]


@register.simple_tag
def phone_key(page, block) -> str:
    """For a practice quiz, the JSON a phone grades this question with when the answers are
    sent offline (``BaseQuestionBlock.phone_key``); empty for anything else: a final, or a
    diagnostic, never carries its key."""
    if page.kind != "practice":
        return ""
    return json.dumps(block.block.phone_key(block.value), ensure_ascii=False)


@register.simple_tag(takes_context=True)
def entry_check_offer(context, course, resume) -> int:
    """How many questions the entry check offered on ``course``'s page has: for a learner
    enrolled (``resume`` from ``course_resume``) who has not started and has not taken it;
    0 for anyone else. Two queries for that learner, none otherwise."""
    user = context["request"].user
    if (
        resume is None
        or resume.started
        or not course.entry_check_questions
        or not course.final_assessment_id
    ):
        return 0
    if api.excluded_from_final(user_id=user.pk, assessment_id=course.final_assessment_id):
        return 0
    final = (
        courses_models.AssessmentPage.objects.live().filter(pk=course.final_assessment_id).first()
    )
    return api.entry_check_size(course=course, final=final)
