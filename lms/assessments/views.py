from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from courses import api as courses_api
from courses import read_models as courses_models
from lms.assessments import api
from lms.assessments.models import Attempt
from lms.form_ids import posted_uuid

MAX_ANSWER_LENGTH = 200


def _posted_answers(request) -> dict[str, list[str]]:
    """The answers a quiz form sent, by question block id (fields ``q-<block id>``),
    each value and the number of values cut to a sane size."""
    return {
        key[2:]: [value[:MAX_ANSWER_LENGTH] for value in request.POST.getlist(key)][:20]
        for key in request.POST
        if key.startswith("q-")
    }


@require_POST
@login_required
def submit(request, page_id: int):
    """The quiz form. It carries ``attempt_id`` (new each time the page is shown): sent
    again, it leads to the attempt it already made. A form without a valid one (from a
    page shown before it had it) makes a new attempt. An assessment with a question pool
    also carries the ids of the questions it showed (``shown``), only to notice a form
    that is out of date. ``shown_at`` (signed) is when the page was shown: the attempt
    records how long it took."""
    assessment = get_object_or_404(courses_models.AssessmentPage.objects.live(), pk=page_id)
    answers = _posted_answers(request)
    try:
        attempt = api.submit_attempt(
            user=request.user,
            assessment=assessment,
            answers=answers,
            attempt_id=posted_uuid(request, "attempt_id"),
            shown=request.POST.getlist("shown")[:200] or None,
            shown_at=request.POST.get("shown_at", "")[:200] or None,
            shown_revision=request.POST.get("revision", "")[:200] or None,
        )
    except api.AttemptError as error:
        messages.error(request, error.message)
        return redirect(assessment.url)
    return redirect("assessments:attempt", attempt_uuid=attempt.uuid)


@login_required
def attempt_detail(request, attempt_uuid):
    """An attempt's result. A final assessment keeps its key until the learner has passed
    it or has no attempts left: until then each question says only right or wrong (no
    right answer, no explanation, not even the learner's own answer, which together would
    give the key away). Practice quizzes and diagnostics show everything at once."""
    attempt = get_object_or_404(Attempt, uuid=attempt_uuid)
    if attempt.user_id != request.user.pk:
        raise Http404  # never reveal that someone else's attempt exists
    assessment = api.pinned_assessment(attempt)
    live = courses_models.AssessmentPage.objects.filter(pk=attempt.assessment_id).first()
    attempts = api.attempts_for(user=request.user, assessment_id=attempt.assessment_id)
    remaining = (assessment.max_attempts - len(attempts)) if assessment.max_attempts else None
    reveal = api.reveals_answers(assessment=assessment, attempts=attempts)
    questions = []
    for block in api.attempt_questions(attempt, assessment):
        result = attempt.results.get(block.id, {})
        given = attempt.answers.get(block.id, [])
        question = {"block": block, "result": result}
        if reveal:
            question |= {
                "given": api.given_texts(block, given),
                "right": api.right_texts(block, result),
                "feedback": result.get("feedback", []),
            }
        questions.append(question)
    context = {
        "attempt": attempt,
        "assessment": assessment,
        "live": live,
        "questions": questions,
        "remaining": remaining,
        "reveal": reveal,
        "right": sum(1 for q in questions if q["result"].get("correct")),
    }
    if assessment.kind == courses_api.AssessmentKind.DIAGNOSTIC:
        context["placement"] = api.placement(attempt=attempt)
    if assessment.kind == courses_api.AssessmentKind.FINAL:
        # What the entry check promised: how far the learner came since.
        context["entry_score"] = api.entry_check_score(
            user_id=request.user.pk, assessment_id=attempt.assessment_id
        )
    return TemplateResponse(request, "assessments/attempt.html", context)


@login_required
def entry_check(request, course_id: int):
    """A course's entry check (``api.entry_check_state``): its questions, once, before the
    first lesson. Answered, or not open to this learner (taken already, not enrolled, a
    lesson already finished, no check in this course), it leads back to the course with
    a message. The result says only how many answers were right: the questions come from
    the final's pool, so which ones were right is never shown."""
    course = get_object_or_404(
        courses_models.CoursePage.objects.live().select_related("final_assessment"),
        pk=course_id,
    )
    if request.method == "POST":
        answers = _posted_answers(request)
        try:
            entry = api.submit_entry_check(user=request.user, course=course, answers=answers)
        except api.EntryCheckError as error:
            messages.error(request, error.message)
            return redirect(course.url)
        right, total = api.right_count(entry)
        messages.success(
            request,
            ngettext(
                "Gracias. Contestó bien %(right)d de %(total)d pregunta. Es normal no saberlo "
                "todo todavía: el curso se lo enseña. Cuando presente el examen final verá "
                "cuánto avanzó. Ahora empiece la primera lección.",
                "Gracias. Contestó bien %(right)d de %(total)d preguntas. Es normal no saberlo "
                "todo todavía: el curso se lo enseña. Cuando presente el examen final verá "
                "cuánto avanzó. Ahora empiece la primera lección.",
                total,
            )
            % {"right": right, "total": total},
        )
        return redirect(course.url)
    state = api.entry_check_state(user=request.user, course=course)
    if not state.open:
        messages.info(request, state.message)
        return redirect(course.url)
    return TemplateResponse(
        request,
        "assessments/entry_check.html",
        {"course": course, "questions": state.questions},
    )
