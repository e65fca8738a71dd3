"""The entry check of a course: a few questions from its final's pool, answered before the
first lesson, so the program can measure what learners learn (the learning gain: the
entry score against the first final attempt, ``lms.evaluation.gains``).

- It counts for nothing: no grade on the learner's record, no attempt at the final, and
  the learner only learns how many they answered right (never which: the questions
  belong to the final's pool, whose key must not travel).
- Its questions are never in that learner's final: every draw of the final leaves them
  out (``excluded_from_final``). So it is offered only when the pool has questions to
  spare: the check takes at most ``len(pool) - questions_per_attempt`` of them, drawn by
  outcome when the final is.
- It is open once, to an enrolled learner who has not finished a required lesson yet: an
  entry check after studying would not measure a start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import api as courses_api
from lms.assessments import tallies
from lms.assessments.draws import attempt_seed, draw_by_outcome
from lms.assessments.grading import grade
from lms.assessments.models import EntryCheck
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api

if TYPE_CHECKING:
    from courses.read_models import AssessmentPage, CoursePage
    from lms.accounts.read_models import User


class EntryCheckError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def entry_check_size(*, course: CoursePage, final: AssessmentPage | None) -> int:
    """How many questions the course's entry check has: what its author asked for
    (``entry_check_questions``), as far as the final's pool has questions to spare beyond
    one attempt's draw; 0 (no entry check) without a final or a pool. No query."""
    if final is None or not course.entry_check_questions:
        return 0
    pool = len(list(final.questions))
    per_attempt = int(final.questions_per_attempt or 0)
    if not per_attempt or per_attempt >= pool:
        return 0
    return min(int(course.entry_check_questions), pool - per_attempt)


def _seed(*, user_id: int, course_id: int, revision_id: int) -> int:
    return attempt_seed("entry_check", user_id, course_id, revision_id)


def entry_check_questions(
    *, user_id: int, course: CoursePage, final: AssessmentPage, revision_id: int
) -> list[Any]:
    """The questions (bound blocks) of ``user_id``'s entry check, drawn from ``final`` (the
    published revision ``revision_id``) like an attempt (by outcome when the final draws
    that way), in the file's order. The same learner and revision get the same draw. No
    query."""
    size = entry_check_size(course=course, final=final)
    blocks = list(final.questions)
    if not size:
        return []
    rng = random.Random(  # noqa: S311 - the seed is a keyed hash; this only repeats it
        _seed(user_id=user_id, course_id=course.pk, revision_id=revision_id)
    )
    if final.draw_by_outcome:
        chosen = draw_by_outcome(courses_api.outcome_groups(blocks), size, rng)
    else:
        chosen = set(rng.sample(range(len(blocks)), size))
    return [block for index, block in enumerate(blocks) if index in chosen]


_EXCLUDED_KEY = "aula:entry-check:{}:{}"
_NONE_TIMEOUT = 10 * 60
_TAKEN_TIMEOUT = 24 * 60 * 60


def excluded_from_final(*, user_id: int | None, assessment_id: int) -> list[str]:
    """The question ids a learner's draws of the final ``assessment_id`` leave out: those
    of their entry check from it. From the cache (the final's page and its submission
    both ask), else one query (none without a learner).

    The answer is cached for ten minutes when the learner has no entry check, a day when
    they have one (it never changes; the one made is put in the cache when it is saved,
    see ``submit_entry_check``). A stale "none" could only matter if the learner took the
    check within ten minutes of opening the final, and the check is closed once a lesson
    is finished, while the final opens after all of them."""
    if user_id is None:
        return []
    key = _EXCLUDED_KEY.format(user_id, assessment_id)
    cached = cache.get(key)
    if cached is not None:
        return list(cached)
    ids = (
        EntryCheck.objects.filter(user_id=user_id, assessment_id=assessment_id)
        .values_list("question_ids", flat=True)
        .first()
    )
    found = [str(i) for i in ids or []]
    cache.set(key, found, _TAKEN_TIMEOUT if found else _NONE_TIMEOUT)
    return found


def entry_check_score(*, user_id: int, assessment_id: int) -> Decimal | None:
    """The score of ``user_id``'s entry check from the final ``assessment_id``, or None.
    One query."""
    score: Decimal | None = (
        EntryCheck.objects.filter(user_id=user_id, assessment_id=assessment_id)
        .values_list("score", flat=True)
        .first()
    )
    return score


def export_personal_data(user: User) -> list[dict[str, object]]:
    """The learner's entry checks, for their data download (``pruebas_de_entrada``)."""
    return [
        {
            "curso": entry.course_id,
            "fecha": entry.submitted_at.isoformat(),
            "calificacion": float(entry.score),
            "respuestas": entry.answers,
        }
        for entry in EntryCheck.objects.filter(user=user).order_by("submitted_at")
    ]


@dataclass(frozen=True)
class EntryCheckState:
    """What the entry-check page of a course shows a learner."""

    open: bool
    reason: str  # why not, when not open: a code for tests and a message for people
    message: str
    final: AssessmentPage | None
    questions: list[Any]
    taken: EntryCheck | None = None


def entry_check_state(*, user: User, course: CoursePage) -> EntryCheckState:
    """Whether ``user`` may take the entry check of ``course`` now, and its questions.
    Four or five queries."""
    final_page = course.final_assessment
    final = final_page.specific if final_page is not None else None
    taken = EntryCheck.objects.filter(user=user, course_id=course.pk).first()

    def closed(reason: str, message: str) -> EntryCheckState:
        return EntryCheckState(False, reason, message, final, [], taken)

    if taken is not None:
        return closed("taken", _("Ya contestó la prueba de entrada de este curso."))
    if final is None or not final.live or final.live_revision_id is None:
        return closed("none", _("Este curso no tiene prueba de entrada."))
    if not entry_check_size(course=course, final=final):
        return closed("none", _("Este curso no tiene prueba de entrada."))
    if not enrollment_api.is_enrolled(user=user, course_id=course.pk):
        return closed(
            "not_enrolled", _("Inscríbase en el curso para contestar la prueba de entrada.")
        )
    progress = progress_api.course_progress_for(user_id=user.pk, course_ids=[course.pk])
    if course.pk in progress and progress[course.pk].required_done:
        return closed(
            "started",
            _(
                "La prueba de entrada es para antes de empezar, y usted ya terminó una "
                "lección. Siga con el curso."
            ),
        )
    questions = entry_check_questions(
        user_id=user.pk, course=course, final=final, revision_id=final.live_revision_id
    )
    return EntryCheckState(True, "", "", final, questions)


def submit_entry_check(
    *, user: User, course: CoursePage, answers: dict[str, list[str]]
) -> EntryCheck:
    """Grade and keep ``user``'s entry check of ``course``: only the questions drawn for
    them (drawn again here, never taken from the form). Once per learner and course: sent
    again (a double tap), it returns the one already kept. Raises ``EntryCheckError``
    when it is not open (``entry_check_state``)."""
    state = entry_check_state(user=user, course=course)
    if state.taken is not None:
        return state.taken
    if not state.open or state.final is None:
        raise EntryCheckError(state.reason, state.message)
    score, results = grade(state.questions, answers)
    try:
        with transaction.atomic():
            entry = EntryCheck.objects.create(
                user=user,
                course_id=course.pk,
                assessment_id=state.final.pk,
                revision_id=state.final.live_revision_id,
                submitted_at=timezone.now(),
                question_ids=[block.id for block in state.questions],
                answers={k: v for k, v in answers.items() if k in results},
                results=results,
                score=score,
                grupo_id=tallies.grupo_at_attempt(user_id=user.pk),
            )
            key = _EXCLUDED_KEY.format(user.pk, entry.assessment_id)
            ids = list(entry.question_ids)
            transaction.on_commit(lambda: cache.set(key, ids, _TAKEN_TIMEOUT))
            return entry
    except IntegrityError:
        # The same form sent twice at once: the other one is kept.
        return EntryCheck.objects.get(user=user, course_id=course.pk)


def right_count(entry: EntryCheck) -> tuple[int, int]:
    """How many questions of ``entry`` were answered right, of how many."""
    results: dict[str, Any] = entry.results or {}
    right = sum(1 for r in results.values() if isinstance(r, dict) and r.get("correct"))
    return right, len(entry.question_ids)


__all__ = [
    "EntryCheckError",
    "EntryCheckState",
    "entry_check_questions",
    "entry_check_score",
    "entry_check_size",
    "entry_check_state",
    "excluded_from_final",
    "right_count",
    "submit_entry_check",
]
