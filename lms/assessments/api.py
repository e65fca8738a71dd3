"""The public Python API of ``assessments``: submit and read attempts; placement."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.core.signing import BadSignature, Signer
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses import api as courses_api
from lms.assessments import entry_check, tallies
from lms.assessments.draws import attempt_seed, draw_by_outcome, sample_unseen_first
from lms.assessments.grading import given_texts, grade, question_type, right_texts
from lms.assessments.item_analysis import Analysis, item_analysis
from lms.assessments.models import Attempt, ItemResponse
from lms.assessments.signals import attempt_graded
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api
from lms.progress.read_models import ProgressStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from courses.read_models import AssessmentPage, CoursePage, Module
    from lms.accounts.read_models import User

__all__ = [
    "MAX_PLAUSIBLE_SECONDS",
    "Analysis",
    "AttemptError",
    "EntryCheckError",
    "EntryCheckState",
    "Placement",
    "attempt_graded",
    "attempt_questions",
    "attempts_for",
    "drawn_questions",
    "entry_check_questions",
    "entry_check_score",
    "entry_check_size",
    "entry_check_state",
    "excluded_from_final",
    "export_personal_data",
    "final_exclusions",
    "given_texts",
    "item_analysis",
    "option_order_seed",
    "pending_lessons",
    "pinned_assessment",
    "placement",
    "question_draw_seed",
    "rebuild_tallies",
    "response_rows",
    "reveals_answers",
    "revision_token",
    "right_count",
    "right_texts",
    "shown_at_token",
    "shown_options",
    "shuffle_around_pinned",
    "submit_attempt",
    "submit_entry_check",
]

T = TypeVar("T")
EntryCheckError = entry_check.EntryCheckError
EntryCheckState = entry_check.EntryCheckState
entry_check_questions = entry_check.entry_check_questions
entry_check_score = entry_check.entry_check_score
entry_check_size = entry_check.entry_check_size
entry_check_state = entry_check.entry_check_state
excluded_from_final = entry_check.excluded_from_final
right_count = entry_check.right_count
submit_entry_check = entry_check.submit_entry_check
rebuild_tallies = tallies.rebuild_tallies


@dataclass
class AttemptError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def pinned_assessment(attempt: Attempt) -> AssessmentPage:
    """The assessment as it was when this attempt was taken."""
    assessment, _course = courses_api.assessment_at(revision_id=attempt.revision_id)
    return assessment


def option_order_seed(
    *, user_id: int, assessment_id: int, attempt_number: int, revision_id: int, block_id: str
) -> int:
    """The seed of a question's option order for one learner's attempt (``attempt_seed``
    of who, assessment, attempt, revision and question)."""
    return attempt_seed(
        "option_order", user_id, assessment_id, attempt_number, revision_id, block_id
    )


def shuffle_around_pinned(items: Sequence[T], pinned: Sequence[bool], seed: int) -> list[T]:
    """``items`` shuffled with ``seed``, those marked ``pinned`` left in their place."""
    free = [item for item, fixed in zip(items, pinned, strict=True) if not fixed]
    # Not for secrecy: the seed is already a keyed hash; this only has to be repeatable.
    random.Random(seed).shuffle(free)  # noqa: S311
    moved = iter(free)
    return [item if fixed else next(moved) for item, fixed in zip(items, pinned, strict=True)]


def shown_options(
    *, user_id: int | None, assessment: AssessmentPage, attempt_number: int | None, block: Any
) -> list[Any]:
    """The options of a choice question (bound blocks) in the order this learner sees them
    for the attempt ``attempt_number`` (the one about to be made). Grading goes by option
    id, so the order never changes what an answer means. Without a learner or an attempt
    number (an anonymous visitor, an editor's preview) or a published revision: the
    order of the file."""
    options = list(block.value["options"].bound_blocks)
    revision_id = assessment.live_revision_id
    if user_id is None or attempt_number is None or revision_id is None:
        return options
    seed = option_order_seed(
        user_id=user_id,
        assessment_id=assessment.pk,
        attempt_number=attempt_number,
        revision_id=revision_id,
        block_id=block.id,
    )
    return shuffle_around_pinned(options, [bool(o.value.get("pinned")) for o in options], seed)


def question_draw_seed(
    *, user_id: int, assessment_id: int, attempt_number: int, revision_id: int
) -> int:
    """The seed of the questions drawn from an assessment's pool for one learner's attempt
    (``attempt_seed`` of who, assessment, attempt and revision, with its own salt): a new
    attempt, or a new revision, draws again."""
    return attempt_seed("question_draw", user_id, assessment_id, attempt_number, revision_id)


def drawn_questions(
    *,
    user_id: int | None,
    assessment: AssessmentPage,
    attempt_number: int | None,
    previous_ids: Sequence[str],
    revision_id: int | None = None,
    excluded_ids: Sequence[str] = (),
) -> list[Any]:
    """The questions (bound blocks) of the attempt ``attempt_number`` (the one about to be
    made): ``questions_per_attempt`` of them drawn from the pool, kept in the file's order
    (the author's progression; the options are already in the learner's own order).
    ``previous_ids`` are the questions of the learner's attempt before this one (its
    ``question_ids``; empty for the first attempt): the draw takes the others first, so
    with a pool of at least twice ``questions_per_attempt`` two attempts in a row share no
    question, and with a smaller pool as few as it allows. Without a pool, a learner, an
    attempt number (an anonymous visitor, an editor's preview) or a published revision
    (``revision_id``, by default the live one): every question, in the file's order. With
    ``draw_by_outcome`` the draw is shared among the outcomes the questions assess
    (``draw_by_outcome``), so every attempt assesses each of them. The same arguments
    give the same draw (the page shown again, the form sent again). ``excluded_ids`` are
    never drawn: the questions of the learner's entry check, for a final
    (``final_exclusions``; the check takes them only from a pool with questions to
    spare). No query: the caller has the learner's attempts."""
    excluded = set(excluded_ids)
    blocks = [block for block in assessment.questions if block.id not in excluded]
    drawn = assessment.questions_per_attempt
    if revision_id is None:
        revision_id = assessment.live_revision_id
    if (
        not drawn
        or drawn >= len(blocks)
        or user_id is None
        or attempt_number is None
        or revision_id is None
    ):
        return blocks
    seed = question_draw_seed(
        user_id=user_id,
        assessment_id=assessment.pk,
        attempt_number=attempt_number,
        revision_id=revision_id,
    )
    # Not for secrecy: the seed is already a keyed hash; this only has to be repeatable.
    rng = random.Random(seed)  # noqa: S311
    seen = set(previous_ids)
    previous = {index for index, block in enumerate(blocks) if block.id in seen}
    if assessment.draw_by_outcome:
        groups = courses_api.outcome_groups(blocks)
        chosen = draw_by_outcome(groups, drawn, rng, previous=previous)
    else:
        chosen = sample_unseen_first(range(len(blocks)), drawn, rng, previous)
    return [block for index, block in enumerate(blocks) if index in chosen]


def final_exclusions(*, user_id: int | None, assessment: AssessmentPage) -> list[str]:
    """The questions a learner's draw of ``assessment`` leaves out: for a final with a
    pool, those of the learner's entry check (one query); nothing otherwise (no query)."""
    if (
        user_id is None
        or assessment.kind != courses_api.AssessmentKind.FINAL
        or not assessment.questions_per_attempt
    ):
        return []
    return entry_check.excluded_from_final(user_id=user_id, assessment_id=assessment.pk)


def reveals_answers(*, assessment: AssessmentPage, attempts: Sequence[Attempt]) -> bool:
    """Whether the results of ``attempts`` (all the learner's at ``assessment``) may show
    the right answers, the learner's own and the explanations. A final keeps its key until
    the learner has passed it or has no attempts left (the learner's own answer beside
    right/wrong would give it away); practice quizzes and diagnostics show it at once."""
    if assessment.kind != courses_api.AssessmentKind.FINAL:
        return True
    out_of_attempts = bool(assessment.max_attempts) and len(attempts) >= assessment.max_attempts
    return any(a.passed for a in attempts) or out_of_attempts


def attempt_questions(attempt: Attempt, assessment: AssessmentPage) -> list[Any]:
    """The questions (bound blocks) of ``attempt``, in the order it showed them, from
    ``assessment`` as pinned to the attempt: those it recorded as drawn, or every question
    for an attempt that recorded none (no pool, or taken before pools)."""
    blocks = list(assessment.questions)
    if not attempt.question_ids:
        return blocks
    by_id = {block.id: block for block in blocks}
    return [by_id[block_id] for block_id in attempt.question_ids if block_id in by_id]


def pending_lessons(
    *, user_id: int | None, assessment: AssessmentPage, course: CoursePage | None = None
) -> list[courses_api.Step]:
    """The lessons standing between a learner and a final: when ``assessment`` is the
    final of its course and the course opens it only after the lessons
    (``final_requires_lessons``), the course's required live lessons that ``user_id`` has
    not completed, in study order (all of them without a learner). Empty for any other
    assessment, or when the author turned the rule off. ``course`` saves looking it up.
    Three or four queries."""
    if course is None:
        course = courses_api.course_of_page(page=assessment)
    if (
        course is None
        or course.final_assessment_id != assessment.pk
        or not course.final_requires_lessons
    ):
        return []
    steps = courses_api.course_steps(course_ids=[course.pk]).get(course.pk)
    if steps is None:
        return []
    lessons = [s for s in steps.steps if s.kind == "lesson" and s.required]
    if user_id is None or not lessons:
        return lessons
    statuses = progress_api.lesson_status_for(
        user_id=user_id, page_ids=[s.page_id for s in lessons]
    )
    return [
        s
        for s in lessons
        if s.page_id not in statuses or statuses[s.page_id].status != ProgressStatus.COMPLETED
    ]


def submit_attempt(
    *,
    user: User,
    assessment: AssessmentPage,
    answers: dict[str, list[str]],
    attempt_id: uuid.UUID | None = None,
    shown: Sequence[str] | None = None,
    shown_at: str | None = None,
    shown_revision: str | None = None,
) -> Attempt:
    """Grade ``answers`` (by question block id) against the published assessment: only
    the questions drawn for this learner's attempt (``drawn_questions``, recomputed here
    and recorded on the attempt); answers to any other question are ignored.

    Course assessments need an active enrollment; diagnostics in the catalog only a
    logged-in user. A course's final is refused (``lessons_pending``) while the learner
    has required lessons to finish, unless its author turned that rule off
    (``pending_lessons``). The attempt limit is enforced under a lock on the learner, so two
    submissions at once cannot exceed it. Passing records a "passed" learning event, which
    completes the step and, for the final assessment, may complete the course. Announces
    ``attempt_graded`` once the transaction commits.

    ``attempt_id`` is the id the quiz form was given when it was shown. The same form sent
    again (a double tap, a resent form, also several at once) returns the attempt it
    already made: no new attempt, nothing counted against the limit. An id that is
    already someone else's (or of another assessment) is never revealed: the attempt gets
    a new one. Without ``attempt_id`` every submission is a new attempt.

    ``shown_at`` is the signed time the quiz page was shown (``shown_at_token``): the
    attempt records the seconds since then, or None when it is missing, forged or
    implausible (never an error). Each answer is also recorded as item responses for the
    item analysis and counted in its tallies for the grupo the learner is in
    (``tallies``), in the same transaction.

    ``shown_revision`` is the signed revision the quiz page showed (``revision_token``: the live
    one when the page was rendered). A practice quiz is graded against it: the learner's
    answers stay pinned to what they read, also when it was answered offline and the
    author republished meanwhile. A missing or forged token, and finals and diagnostics,
    are graded against the live revision.
    """
    # The live revision's id only: its content comes kept per revision (``assessment_at``).
    live_id = assessment.live_revision_id
    if live_id is None or not assessment.live:
        raise AttemptError("not_live", _("Esta evaluación no está publicada."))
    shown_id = _revision_shown(shown_revision, assessment_id=assessment.pk)
    revision_id = live_id
    if (
        shown_id is not None
        and shown_id != live_id
        and assessment.kind == courses_api.AssessmentKind.PRACTICE
    ):
        pinned = courses_api.page_revision(page_id=assessment.pk, revision_id=shown_id)
        revision_id = pinned.pk if pinned is not None else live_id
    # What is graded (``content``) and the course, kept per revision (no query once kept).
    content, course = courses_api.assessment_at(revision_id=revision_id)
    if course is not None and not enrollment_api.is_enrolled(user=user, course_id=course.pk):
        raise AttemptError(
            "not_enrolled", _("Inscríbase en el curso para presentar esta evaluación.")
        )
    if course is not None:
        pending = pending_lessons(user_id=user.pk, assessment=assessment, course=course)
        if pending:
            raise AttemptError(
                "lessons_pending",
                ngettext(
                    "El examen final se abre cuando termine las lecciones del curso. "
                    "Le falta %(n)d lección.",
                    "El examen final se abre cuando termine las lecciones del curso. "
                    "Le faltan %(n)d lecciones.",
                    len(pending),
                )
                % {"n": len(pending)},
            )
    now = timezone.now()
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        if attempt_id is not None:
            # Under the learner's lock: a repeat sent at the same time waits for the first
            # and finds its attempt here.
            earlier = Attempt.objects.filter(
                uuid=attempt_id, user=user, assessment_id=assessment.pk
            ).first()
            if earlier is not None:
                return earlier
        # The learner's last attempt, in the query that used to count them: attempts are
        # numbered 1, 2, 3… under this lock and only deleted with their learner, so its
        # number is how many there are; its questions are those the new draw avoids.
        taken, previous_ids = (
            Attempt.objects.filter(user=user, assessment_id=assessment.pk)
            .order_by("-number")
            .values_list("number", "question_ids")
            .first()
        ) or (0, [])
        if content.max_attempts and taken >= content.max_attempts:
            raise AttemptError(
                "no_attempts_left",
                _("Ya usó sus %(n)d intentos. Hable con su asesor o asesora.")
                % {"n": content.max_attempts},
            )
        # The questions are drawn again here, never taken from the form: only they count.
        questions = drawn_questions(
            user_id=user.pk,
            assessment=content,
            attempt_number=taken + 1,
            previous_ids=previous_ids,
            revision_id=revision_id,
            excluded_ids=final_exclusions(user_id=user.pk, assessment=content),
        )
        drawn_ids = [block.id for block in questions]
        if content.questions_per_attempt and shown is not None and list(shown) != drawn_ids:
            # A practice quiz answered on an older page (offline, or before another attempt
            # was recorded) is graded on the questions it showed, if they are a fair draw
            # of this revision's pool: nothing hangs on it, and the learner's answers are
            # not lost. A final is graded only on the server's own draw.
            pool = {block.id: block for block in content.questions}
            fair = (
                content.kind != courses_api.AssessmentKind.FINAL
                and len(set(shown)) == len(drawn_ids) == len(list(shown))
                and all(question_id in pool for question_id in shown)
            )
            if not fair:
                raise AttemptError(
                    "stale_form",
                    _(
                        "Sus preguntas cambiaron desde que abrió esta evaluación. Ábrala de "
                        "nuevo y conteste las preguntas que se le muestran."
                    ),
                )
            questions = [block for block in content.questions if block.id in set(shown)]
            drawn_ids = [block.id for block in questions]
        score, results = grade(questions, answers)
        passed = score >= content.pass_mark
        attempt = _create_attempt(
            attempt_id,
            user=user,
            assessment_id=assessment.pk,
            course_id=course.pk if course else None,
            revision_id=revision_id,
            number=taken + 1,
            submitted_at=now,
            question_ids=drawn_ids,
            answers={k: v for k, v in answers.items() if k in results},
            results=results,
            score=score,
            passed=passed,
            seconds=_seconds_since(shown_at, user_id=user.pk, now=now),
            grupo_id=tallies.grupo_at_attempt(user_id=user.pk),
        )
        transaction.on_commit(
            partial(
                attempt_graded.send_robust,
                sender=Attempt,
                attempt_id=attempt.pk,
                attempt_uuid=str(attempt.uuid),
                user_id=user.pk,
                assessment_id=assessment.pk,
                course_id=attempt.course_id,
                score=score,
                passed=passed,
                number=attempt.number,
            )
        )
        if course is not None:
            progress_api.record_server_event(
                user=user,
                verb=progress_api.Verb.PASSED if passed else progress_api.Verb.FAILED,
                page_id=assessment.pk,
                result={"score": float(score), "attempt": str(attempt.uuid)},
                when=now,
                source="server",
            )
        # Last: the tallies' rows, shared with other submissions, stay locked until commit.
        _record_responses(attempt)
    return attempt


def _create_attempt(attempt_id: uuid.UUID | None, **fields: object) -> Attempt:
    """Create the attempt with the id its form carried; if another learner's attempt (or
    one of another assessment) already has that id, with a new one instead."""
    if attempt_id is not None:
        try:
            with transaction.atomic():  # a savepoint: the failed insert leaves the rest
                return Attempt.objects.create(uuid=attempt_id, **fields)
        except IntegrityError:
            if not Attempt.objects.filter(uuid=attempt_id).exists():
                raise  # pragma: no cover - not the id (the learner's lock keeps numbers apart)
    return Attempt.objects.create(uuid=uuid.uuid4(), **fields)


# --- Item responses and time taken, for the item analysis --------------------------------

_MAX_OPTIONS = 10  # a multiple-choice question has at most 10 options
_SHOWN_AT_SALT = "aula.assessments.shown_at"
# Longer than this from showing the page to the submission is not the time taken (a tab
# left open overnight, a practice quiz sent later from the offline queue): not recorded.
MAX_PLAUSIBLE_SECONDS = 4 * 60 * 60


def response_rows(*, answers: dict[str, Any], results: dict[str, Any]) -> list[dict[str, Any]]:
    """The item-response rows of one attempt (without the attempt's own fields), from its
    stored answers and results: per graded question, one row per chosen option, or one row
    without an option; the first row of each question has ``first`` set. The backfill
    migration (0005) applies the same rule to older attempts."""
    rows: list[dict[str, Any]] = []
    for block_id, result in results.items():
        if not isinstance(result, dict):
            continue
        given = [str(g) for g in answers.get(block_id) or [] if g is not None and str(g).strip()]
        # Options for types whose answers are options (``answers_are_options`` of the
        # question block); typed answers (numeric, short answer) one row without one.
        kind = question_type(str(result.get("kind")))
        if kind is None or not kind.answers_are_options:
            options = []
        elif kind.fixed_options:
            options = [g for g in given[:1] if g in kind.fixed_options]
        else:
            options = list(dict.fromkeys(g for g in given if len(g) <= 64))[:_MAX_OPTIONS]
        base = {
            "block_id": str(block_id)[:64],
            "answered": bool(result.get("answered", bool(given))),
            "correct": bool(result.get("correct")),
        }
        for index, option in enumerate(options or [""]):
            rows.append({**base, "option_id": option, "first": index == 0})
    return rows


def _record_responses(attempt: Attempt) -> None:
    """Write the item responses of a new attempt (``response_rows``) and add them, and the
    attempt, to the item analysis's tallies (``tallies.count_attempt``). Three or four
    queries."""
    rows = response_rows(answers=attempt.answers, results=attempt.results)
    ItemResponse.objects.bulk_create(
        ItemResponse(
            attempt=attempt,
            user_id=attempt.user_id,
            assessment_id=attempt.assessment_id,
            score=float(attempt.score),
            **row,
        )
        for row in rows
    )
    tallies.count_attempt(attempt, rows)


_REVISION_SALT = "aula.assessments.revision"


def revision_token(*, assessment_id: int, revision_id: int | None) -> str:
    """What the quiz form carries as ``revision``: the published revision it shows,
    signed, so a learner cannot pick another (a draft) to be graded against."""
    if revision_id is None:
        return ""
    return Signer(salt=_REVISION_SALT).sign(f"{assessment_id}:{revision_id}")


def _revision_shown(token: str | None, *, assessment_id: int) -> int | None:
    if not token:
        return None
    try:
        page, revision = Signer(salt=_REVISION_SALT).unsign(token).split(":")
        if int(page) != assessment_id:
            return None
        return int(revision)
    except (BadSignature, ValueError):
        return None


def shown_at_token(*, user_id: int | None, now: datetime | None = None) -> str:
    """What the quiz form carries as ``shown_at``: the time the page is shown, signed for
    this learner (so it cannot be moved back, nor taken from another learner's form)."""
    moment = now or timezone.now()
    return Signer(salt=_SHOWN_AT_SALT).sign(f"{user_id or 0}:{int(moment.timestamp())}")


def _seconds_since(token: str | None, *, user_id: int, now: datetime) -> int | None:
    """Seconds from the signed ``shown_at`` to ``now``; None for a missing, forged or
    another learner's token, or an implausible time (negative, or over
    ``MAX_PLAUSIBLE_SECONDS``)."""
    if not token:
        return None
    try:
        owner, stamp = Signer(salt=_SHOWN_AT_SALT).unsign(token).split(":")
        seconds = int(now.timestamp()) - int(stamp)
    except (BadSignature, ValueError):
        return None
    if owner != str(user_id) or not 0 <= seconds <= MAX_PLAUSIBLE_SECONDS:
        return None
    return seconds


def attempts_for(*, user: User | AnonymousUser, assessment_id: int) -> list[Attempt]:
    if not user.is_authenticated:
        return []
    return list(Attempt.objects.filter(user=user, assessment_id=assessment_id).order_by("number"))


@dataclass
class TopicResult:
    key: str
    right: int = 0
    total: int = 0
    module: Module | None = None
    # For a module still to study: the live courses that cover it (aligned as
    # "corresponde"); empty when Aula has none yet.
    courses: list[CoursePage] = field(default_factory=list)

    @property
    def percent(self) -> Decimal:
        return Decimal(100) * self.right / self.total if self.total else Decimal(0)


@dataclass
class Placement:
    """What a diagnostic recommends: modules already known, courses to take, a level."""

    known: list[TopicResult] = field(default_factory=list)
    to_study: list[TopicResult] = field(default_factory=list)
    level: object = None
    courses: list[CoursePage] = field(default_factory=list)


def placement(*, attempt: Attempt) -> Placement:
    """Score a diagnostic attempt by topic (module key) and recommend courses and a level:
    modules scored at or above the pass mark are known; the others are to study, each with
    the live courses that cover it (aligned as "corresponde": one that covers part of a
    module, or is only related to it, is not where to start); the level is that of the
    first module still to study."""
    assessment = pinned_assessment(attempt)
    topics: dict[str, TopicResult] = defaultdict(lambda: TopicResult(""))
    for result in attempt.results.values():
        key = result.get("topic") or ""
        if not key:
            continue
        topic = topics[key]
        topic.key = key
        topic.total += 1
        topic.right += 1 if result["correct"] else 0
    modules = courses_api.modules_by_key(keys=topics.keys())
    outcome = Placement()
    for key, topic in topics.items():
        topic.module = modules.get(key)
        (outcome.known if topic.percent >= assessment.pass_mark else outcome.to_study).append(topic)

    def order(topic: TopicResult) -> tuple[int, str]:
        module = topic.module
        return (module.level.sort_order if module and module.level else 99, key_name(topic))

    def key_name(topic: TopicResult) -> str:
        return topic.module.name if topic.module else topic.key

    outcome.known.sort(key=order)
    outcome.to_study.sort(key=order)
    if outcome.to_study and outcome.to_study[0].module:
        outcome.level = outcome.to_study[0].module.level
    seen: set[int] = set()
    for topic in outcome.to_study:
        if topic.module:
            topic.courses = [
                course
                for course in topic.module.courses.all()
                if course.live and course.counts_for_credentials
            ]
            for course in topic.courses:
                if course.pk not in seen:
                    seen.add(course.pk)
                    outcome.courses.append(course)
    return outcome


def export_personal_data(user: User) -> list[dict[str, object]]:
    return [
        {
            "evaluacion": a.assessment_id,
            "intento": a.number,
            "fecha": a.submitted_at.isoformat(),
            "calificacion": float(a.score),
            "aprobado": a.passed,
            "segundos": a.seconds,
            "respuestas": a.answers,
        }
        for a in Attempt.objects.filter(user=user)
    ]
