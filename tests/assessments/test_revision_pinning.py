"""A practice quiz is graded against the published revision its page showed: answered
offline (or on a page left open) while the author republished, the learner's answers stay
pinned to what they read. Finals, and revisions that were never published, are graded
against the live revision."""

from courses.models import AssessmentPage
from lms.assessments.api import revision_token
from lms.assessments.models import Attempt
from tests.conftest import lesson
from tests.helpers import right_answers


def _practice():
    return AssessmentPage.objects.get(slug="practica-fracciones")


def _flip_first_question(quiz: AssessmentPage) -> None:
    """Publish a new revision whose first question has a different right option."""
    raw = list(quiz.questions.raw_data)
    first = next(i for i, b in enumerate(raw) if b["type"] == "single_choice")
    options = raw[first]["value"]["options"]
    right = next(i for i, o in enumerate(options) if o["value"]["correct"])
    for index, option in enumerate(options):
        option["value"]["correct"] = index == (right + 1) % len(options)
    quiz.questions = quiz.questions.stream_block.to_python(raw)
    quiz.save_revision().publish()


def _post(client, quiz, answers, revision):
    """The quiz form, with the signed revision a page showing ``revision`` carries."""
    data = {f"q-{k}": v for k, v in answers.items()}
    if revision is not None:
        data["revision"] = revision_token(assessment_id=quiz.pk, revision_id=revision)
    return client.post(f"/evaluaciones/{quiz.pk}/enviar/", data)


def test_the_form_carries_the_revision_it_shows(client, enrolled):
    quiz = _practice()
    client.force_login(enrolled)
    html = client.get(quiz.url).content.decode()
    token = revision_token(assessment_id=quiz.pk, revision_id=quiz.live_revision_id)
    assert f'<input type="hidden" name="revision" value="{token}">' in html


def test_answers_to_the_revision_shown_are_graded_against_it(client, enrolled):
    quiz = _practice()
    shown = quiz.live_revision_id
    answers = right_answers(quiz)  # right on the page the learner has
    _flip_first_question(quiz)
    client.force_login(enrolled)
    _post(client, quiz, answers, shown)
    attempt = Attempt.objects.get(user=enrolled, assessment_id=quiz.pk)
    assert attempt.revision_id == shown
    assert attempt.score == 100


def test_without_the_revision_the_live_one_grades(client, enrolled):
    quiz = _practice()
    answers = right_answers(quiz)
    _flip_first_question(quiz)
    quiz.refresh_from_db()
    client.force_login(enrolled)
    _post(client, quiz, answers, None)
    attempt = Attempt.objects.get(user=enrolled, assessment_id=quiz.pk)
    assert attempt.revision_id == quiz.live_revision_id
    assert attempt.score < 100


def test_a_forged_or_borrowed_revision_is_not_taken(client, enrolled):
    quiz = _practice()
    draft = quiz.save_revision()  # saved, never published
    other = lesson("que-es-una-fraccion")
    client.force_login(enrolled)
    forged = [
        f"{quiz.pk}:{draft.pk}",  # not signed
        f"{quiz.pk}:{draft.pk}:tampered",
        # Signed, but for another page: a lesson's revision is no quiz's.
        revision_token(assessment_id=other.pk, revision_id=other.live_revision_id),
    ]
    for token in forged:
        client.post(f"/evaluaciones/{quiz.pk}/enviar/", {"revision": token})
    revisions = set(
        Attempt.objects.filter(user=enrolled, assessment_id=quiz.pk).values_list(
            "revision_id", flat=True
        )
    )
    assert revisions == {quiz.live_revision_id}


def test_a_final_is_always_graded_against_the_live_revision(client, enrolled, course):
    from tests.helpers import complete_required_lessons

    final = course.final_assessment.specific
    earlier = final.live_revision_id
    final.save_revision().publish()
    final.refresh_from_db()
    complete_required_lessons(enrolled, course)
    client.force_login(enrolled)
    _post(client, final, {}, earlier)
    attempt = Attempt.objects.get(user=enrolled, assessment_id=final.pk)
    assert attempt.revision_id == final.live_revision_id != earlier


def test_a_submission_reads_no_revision_once_its_content_is_kept(client, enrolled):
    """What is graded comes kept per revision (``courses_api.assessment_at``): a quiz sent
    again with the same revision reads no revision row (their content is the whole quiz,
    questions and explanations), whether it names the revision or goes by the live one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    quiz = _practice()
    answers = right_answers(quiz)
    client.force_login(enrolled)
    _post(client, quiz, answers, quiz.live_revision_id)  # keeps the revision's content
    for revision in (quiz.live_revision_id, None):
        with CaptureQueriesContext(connection) as queries:
            response = _post(client, quiz, answers, revision)
        assert response.status_code == 302
        read = [q["sql"] for q in queries.captured_queries if "wagtailcore_revision" in q["sql"]]
        assert read == []
    assert Attempt.objects.filter(user=enrolled, assessment_id=quiz.pk).count() == 3
