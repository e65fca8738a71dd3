"""The public Python API of ``assessments``: submit and read attempts; placement."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from courses import api as courses_api
from lms.assessments.grading import given_texts, grade, right_texts
from lms.assessments.models import Attempt
from lms.assessments.signals import attempt_graded
from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from courses.read_models import AssessmentPage, CoursePage, Module
    from lms.accounts.read_models import User

__all__ = [
    "AttemptError",
    "Placement",
    "attempt_graded",
    "attempt_questions",
    "attempts_for",
    "drawn_questions",
    "export_personal_data",
    "given_texts",
    "option_order_seed",
    "pinned_assessment",
    "placement",
    "question_draw_seed",
    "reveals_answers",
    "right_texts",
    "shown_options",
    "shuffle_around_pinned",
    "submit_attempt",
]

T = TypeVar("T")


@dataclass
class AttemptError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def pinned_assessment(attempt: Attempt) -> AssessmentPage:
    """The assessment as it was when this attempt was taken."""
    from wagtail.models import Revision

    assessment: AssessmentPage = Revision.objects.get(pk=attempt.revision_id).as_object()
    return assessment


def _attempt_seed(salt: str, *parts: object) -> int:
    """A keyed hash (the site's secret key) of ``parts``: who, which assessment, which
    attempt (the one about to be made), which published revision… Nothing is stored: the
    same page shown again gives the same seed until an attempt is recorded, and the next
    attempt another. Without the secret key nobody can work it out in advance."""
    message = ":".join(str(part) for part in parts)
    digest = salted_hmac(f"aula.assessments.{salt}", message, algorithm="sha256").digest()
    return int.from_bytes(digest, "big")


def option_order_seed(
    *, user_id: int, assessment_id: int, attempt_number: int, revision_id: int, block_id: str
) -> int:
    """The seed of a question's option order for one learner's attempt (``_attempt_seed``
    of who, assessment, attempt, revision and question)."""
    return _attempt_seed(
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
    (``_attempt_seed`` of who, assessment, attempt and revision, with its own salt): a new
    attempt, or a new revision, draws again."""
    return _attempt_seed("question_draw", user_id, assessment_id, attempt_number, revision_id)


def drawn_questions(
    *,
    user_id: int | None,
    assessment: AssessmentPage,
    attempt_number: int | None,
    revision_id: int | None = None,
) -> list[Any]:
    """The questions (bound blocks) of the attempt ``attempt_number`` (the one about to be
    made): ``questions_per_attempt`` of them drawn from the pool, kept in the file's order
    (the author's progression; the options are already in the learner's own order). Each
    attempt draws on its own, so two attempts differ as far as the pool allows. Without a
    pool, a learner, an attempt number (an anonymous visitor, an editor's preview) or a
    published revision (``revision_id``, by default the live one): every question, in the
    file's order. No query."""
    blocks = list(assessment.questions)
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
    chosen = set(random.Random(seed).sample(range(len(blocks)), drawn))  # noqa: S311
    return [block for index, block in enumerate(blocks) if index in chosen]


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


def submit_attempt(
    *,
    user: User,
    assessment: AssessmentPage,
    answers: dict[str, list[str]],
    attempt_id: uuid.UUID | None = None,
    shown: Sequence[str] | None = None,
) -> Attempt:
    """Grade ``answers`` (by question block id) against the published assessment: only
    the questions drawn for this learner's attempt (``drawn_questions``, recomputed here
    and recorded on the attempt); answers to any other question are ignored.

    Course assessments need an active enrollment; diagnostics in the catalog only a
    logged-in user. The attempt limit is enforced under a lock on the learner, so two
    submissions at once cannot exceed it. Passing records a "passed" learning event, which
    completes the step and, for the final assessment, may complete the course. Announces
    ``attempt_graded`` once the transaction commits.

    ``attempt_id`` is the id the quiz form was given when it was shown. The same form sent
    again (a double tap, a resent form, also several at once) returns the attempt it
    already made: no new attempt, nothing counted against the limit. An id that is
    already someone else's (or of another assessment) is never revealed: the attempt gets
    a new one. Without ``attempt_id`` every submission is a new attempt.
    """
    revision = assessment.live_revision
    if revision is None or not assessment.live:
        raise AttemptError("not_live", _("Esta evaluación no está publicada."))
    course = courses_api.course_of_page(page=assessment)
    if course is not None and not enrollment_api.is_enrolled(user=user, course_id=course.pk):
        raise AttemptError(
            "not_enrolled", _("Inscríbase en el curso para presentar esta evaluación.")
        )
    content = revision.as_object()
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
        taken = Attempt.objects.filter(user=user, assessment_id=assessment.pk).count()
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
            revision_id=revision.pk,
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
            revision_id=revision.pk,
            number=taken + 1,
            submitted_at=now,
            question_ids=drawn_ids,
            answers={k: v for k, v in answers.items() if k in results},
            results=results,
            score=score,
            passed=passed,
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
    modules scored at or above the pass mark are known; the others are to study, with the
    live courses aligned to them; the level is that of the first module still to study."""
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
            for course in topic.module.courses.all():
                if course.live and course.pk not in seen:
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
            "respuestas": a.answers,
        }
        for a in Attempt.objects.filter(user=user)
    ]
