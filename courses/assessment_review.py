"""Coverage and quality checks of an assessment, for its authors (admin and library import).

``review_assessment`` is a pure function of an assessment page (its questions, intro and
settings) and, when known, its course's learning outcomes: it reads no database and
returns warnings, never errors; an author may have good reasons to keep what it points
out. ``assessment_warnings`` and ``course_warnings`` find the course (and whether the
assessment is its final) and call it.

Questions name the outcome they assess by its number in the course's list (the block
field ``outcome``, 1 = the first); ``outcome_tag_errors`` and ``outcome_groups`` are the
rules the page's validation and the per-outcome draw share.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from content.api import normalize_text

if TYPE_CHECKING:
    from courses.models import AssessmentPage, CoursePage

UNTESTED_OUTCOME = "untested_outcome"
UNKNOWN_OUTCOME = "unknown_outcome"
KEY_POSITION = "key_position"
INTRO_COUNT = "intro_count"
TOP_KEYS = "top_keys"
OUTCOME_NOT_DRAWN = "outcome_not_drawn"

# More than this share of the right options in one position is a pattern to break.
KEY_POSITION_LIMIT = 0.6
KEY_POSITION_MIN_QUESTIONS = 4

# Number words an intro may use for its question count (accents stripped). "Una
# pregunta" is left out: "lea una pregunta a la vez" is no count.
_SPANISH_NUMBERS = {
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "trece": 13,
    "catorce": 14,
    "quince": 15,
    "dieciseis": 16,
    "diecisiete": 17,
    "dieciocho": 18,
    "diecinueve": 19,
    "veinte": 20,
    "veintiuno": 21,
    "veintiuna": 21,
    "veintidos": 22,
    "veintitres": 23,
    "veinticuatro": 24,
    "veinticinco": 25,
    "veintiseis": 26,
    "veintisiete": 27,
    "veintiocho": 28,
    "veintinueve": 29,
    "treinta": 30,
}
_ENGLISH_NUMBERS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
}
_ACCENTED = {"a": "[aá]", "e": "[eé]", "i": "[ií]", "o": "[oó]", "u": "[uú]"}
_COUNT_WORDS = "|".join(
    "".join(_ACCENTED.get(letter, letter) for letter in word)
    for word in sorted({*_SPANISH_NUMBERS, *_ENGLISH_NUMBERS}, key=len, reverse=True)
)
_STATED_COUNT = re.compile(
    rf"\b(\d+|{_COUNT_WORDS})\s+(preguntas?|questions?)\b", re.IGNORECASE | re.UNICODE
)


@dataclass(frozen=True)
class ReviewWarning:
    """One thing to look at: a stable ``code`` and a specific message in Spanish."""

    code: str
    message: str


def question_outcome(block: Any) -> int | None:
    """The outcome number a question block is tagged with, or None."""
    value = block.value.get("outcome")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def outcome_groups(questions: Iterable[Any]) -> dict[int | None, list[int]]:
    """Question positions (0-based, file order) by the outcome they assess; untagged
    questions under ``None``. Groups in outcome order, the untagged last."""
    groups: dict[int | None, list[int]] = {}
    for index, block in enumerate(questions):
        groups.setdefault(question_outcome(block), []).append(index)
    return dict(sorted(groups.items(), key=lambda item: (item[0] is None, item[0] or 0)))


def outcome_tag_errors(questions: Iterable[Any], outcome_count: int) -> dict[int, str]:
    """Messages for the questions (by 0-based position) tagged with an outcome number the
    course does not have (it has ``outcome_count``)."""
    errors: dict[int, str] = {}
    for index, block in enumerate(questions):
        number = question_outcome(block)
        if number is None or 1 <= number <= outcome_count:
            continue
        if outcome_count:
            errors[index] = _(
                "Pregunta %(question)d: el curso no tiene el aprendizaje esperado %(number)d "
                "(tiene %(count)d). Escriba un número del 1 al %(count)d o deje el campo vacío."
            ) % {"question": index + 1, "number": number, "count": outcome_count}
        else:
            errors[index] = _(
                "Pregunta %(question)d: el curso no tiene aprendizajes esperados. Deje vacío "
                "«Aprendizaje esperado que evalúa» o agregue los aprendizajes en el curso."
            ) % {"question": index + 1}
    return errors


def _prompt_start(block: Any) -> str:
    return Truncator(" ".join(str(block.value.get("prompt") or "").split())).chars(50)


def _stated_counts(intro: str) -> list[tuple[str, int]]:
    text = " ".join(strip_tags(intro or "").replace("&nbsp;", " ").split())
    found = []
    for match in _STATED_COUNT.finditer(text):
        word = normalize_text(match.group(1))
        number = (
            int(word) if word.isdigit() else _SPANISH_NUMBERS.get(word, _ENGLISH_NUMBERS.get(word))
        )
        if number is not None:
            found.append((match.group(0), number))
    return found


def _outcome_warnings(
    questions: Sequence[Any], outcomes: Sequence[str], *, is_final: bool, draw_by_outcome: bool
) -> list[ReviewWarning]:
    warnings = [
        ReviewWarning(UNKNOWN_OUTCOME, message)
        for message in outcome_tag_errors(questions, len(outcomes)).values()
    ]
    tested = {question_outcome(block) for block in questions}
    for number, text in enumerate(outcomes, start=1):
        if number in tested:
            continue
        if is_final:
            warnings.append(
                ReviewWarning(
                    UNTESTED_OUTCOME,
                    _(
                        "Ninguna pregunta del examen final evalúa el aprendizaje esperado "
                        "%(number)d, «%(text)s». Escriba %(number)d en «Aprendizaje esperado "
                        "que evalúa» de las preguntas que lo evalúan, o agregue una pregunta "
                        "que lo evalúe."
                    )
                    % {"number": number, "text": text},
                )
            )
        elif draw_by_outcome:
            warnings.append(
                ReviewWarning(
                    OUTCOME_NOT_DRAWN,
                    _(
                        "Las preguntas se reparten entre los aprendizajes, pero ninguna evalúa "
                        "el aprendizaje esperado %(number)d, «%(text)s»: ningún intento lo "
                        "incluirá. Marque las preguntas que lo evalúan o agregue una."
                    )
                    % {"number": number, "text": text},
                )
            )
    return warnings


def _key_position_warning(questions: Sequence[Any]) -> ReviewWarning | None:
    # The types whose options are in the question's value (the block type says so): a new
    # choice type is checked without being named here.
    choice = [block for block in questions if block.block.shuffles_options]
    if len(choice) < KEY_POSITION_MIN_QUESTIONS:
        return None
    positions: Counter[int] = Counter()
    for block in choice:
        for position, option in enumerate(block.value["options"], start=1):
            if option.get("correct"):
                positions[position] += 1
    total = sum(positions.values())
    if not total:
        return None
    position, count = positions.most_common(1)[0]
    share = count / total
    if share <= KEY_POSITION_LIMIT:
        return None
    return ReviewWarning(
        KEY_POSITION,
        _(
            "%(share)d %% de las respuestas correctas (%(count)d de %(total)d, en %(questions)d "
            "preguntas de opciones) están en la opción %(position)d del archivo. Cada educando "
            "ve las opciones en otro orden, pero las opciones fijas no se mueven y la vista "
            "previa muestra el orden del archivo: cambie de lugar algunas respuestas "
            "correctas."
        )
        % {
            "share": round(share * 100),
            "count": count,
            "total": total,
            "questions": len(choice),
            "position": position,
        },
    )


def _intro_count_warnings(
    assessment: AssessmentPage, questions: Sequence[Any]
) -> list[ReviewWarning]:
    real = assessment.questions_per_attempt or len(questions)
    return [
        ReviewWarning(
            INTRO_COUNT,
            _(
                "Las instrucciones dicen «%(stated)s», pero cada intento tiene %(real)d "
                "preguntas. Corrija el número en las instrucciones."
            )
            % {"stated": stated, "real": real},
        )
        for stated, number in _stated_counts(assessment.intro)
        if number != real
    ]


def _top_keys_warnings(questions: Sequence[Any]) -> list[ReviewWarning]:
    warnings = []
    for index, block in enumerate(questions):
        if block.block_type != "multiple_choice":
            continue
        right = [bool(option.get("correct")) for option in block.value["options"]]
        count = sum(right)
        if 0 < count < len(right) and all(right[:count]):
            warnings.append(
                ReviewWarning(
                    TOP_KEYS,
                    _(
                        "Pregunta %(question)d («%(prompt)s»): las respuestas correctas son "
                        "justo las primeras %(count)d opciones de %(total)d. Intercale las "
                        "correctas con las incorrectas en el archivo."
                    )
                    % {
                        "question": index + 1,
                        "prompt": _prompt_start(block),
                        "count": count,
                        "total": len(right),
                    },
                )
            )
    return warnings


def review_assessment(
    assessment: AssessmentPage,
    *,
    outcomes: Sequence[str] | None = None,
    is_final: bool = False,
) -> list[ReviewWarning]:
    """The warnings for ``assessment``: untested outcomes (for its course's final; the
    texts of the course's ``outcomes`` in order), question tags naming no outcome of the
    course, right options gathered in one position (finals), an intro stating another
    number of questions than an attempt has, multiple-choice questions whose right
    options are the top ones, and, with the per-outcome draw, outcomes no question
    assesses. Pure: no query."""
    questions = list(assessment.questions)
    warnings: list[ReviewWarning] = []
    if outcomes is not None:
        warnings += _outcome_warnings(
            questions,
            outcomes,
            is_final=is_final,
            draw_by_outcome=bool(assessment.draw_by_outcome and assessment.questions_per_attempt),
        )
    if is_final or assessment.kind == "final":
        key_position = _key_position_warning(questions)
        if key_position is not None:
            warnings.append(key_position)
    warnings += _intro_count_warnings(assessment, questions)
    warnings += _top_keys_warnings(questions)
    return warnings


def assessment_warnings(assessment: AssessmentPage) -> list[ReviewWarning]:
    """``review_assessment`` with the outcomes of the course ``assessment`` is in (one
    query), as a final when it is that course's final."""
    from courses.models import CoursePage

    course = CoursePage.objects.ancestor_of(assessment).first() if assessment.pk else None
    if course is None:
        return review_assessment(assessment)
    return review_assessment(
        assessment,
        outcomes=[str(block.value) for block in course.outcomes],
        is_final=course.final_assessment_id == assessment.pk,
    )


def course_warnings(course: CoursePage) -> list[ReviewWarning]:
    """The outcomes of ``course`` its final does not assess (and tags naming none)."""
    if not course.final_assessment_id:
        return []
    from courses.models import AssessmentPage

    final = AssessmentPage.objects.filter(pk=course.final_assessment_id).first()
    if final is None:
        return []
    warnings = review_assessment(
        final, outcomes=[str(block.value) for block in course.outcomes], is_final=True
    )
    return [w for w in warnings if w.code in (UNTESTED_OUTCOME, UNKNOWN_OUTCOME)]
