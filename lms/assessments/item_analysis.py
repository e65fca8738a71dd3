"""Item analysis of an assessment: per question, how many answered it, how hard it was,
how well it separates learners who did well from those who did not, and how often each
option was chosen, with flags an asesor can act on.

Everything comes from the running tallies (``lms.assessments.tallies``), kept when an
attempt is graded: counts by (grupo, question, option, first, answered, correct, score),
attempts by (grupo, score) and by (grupo, time to the nearest 10 s). Three queries
whatever the number of attempts, questions or options, each summing a few thousand counts:

1. the attempts in scope by score (a few dozen rows): how many, how many have a time,
   and the cut scores of the upper and lower 27 %;
2. the attempts by time: the median time, approximate to 10 s (times are counted rounded
   to the nearest 10 s);
3. the responses by question, option, right or not and score, from which the difficulty,
   the point-biserial correlation, the upper-lower index and the options' counts follow
   exactly.

The point-biserial correlation is the corrected one (item–rest): between getting the
question right and the score on the *other* questions (the attempt's score less what this
question gave it, 100 ÷ the questions an attempt has), so a question does not correlate
with itself; with ten or twelve questions the uncorrected figure flatters every item by
about 0.1 and hides weak ones.

Figures count every attempt (a learner's second attempt too), taken against any
revision, of the grupos in scope: an attempt counts for the grupo its learner was in when
answering (moving a learner later does not move their past answers), 0 for none (counted
only when every grupo is in scope). Questions are matched by their block id, and the
page's current published questions give the order, prompts and options.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from lms.assessments.models import ResponseTally, ScoreTally, TimeTally
from lms.assessments.tallies import TIME_STEP

if TYPE_CHECKING:
    from collections.abc import Iterable

    from django.db.models import QuerySet

    from courses.read_models import AssessmentPage

# Share of attempts in the upper and the lower group (Kelley's 27 %).
GROUP_SHARE = 0.27
# Below this many responses to a question its figures are shown but nothing is flagged.
MIN_SAMPLE = 30
TOO_EASY = 0.90  # more than this share right
TOO_HARD = 0.30  # less than this share right
WEAK_DISCRIMINATION = 0.20  # point-biserial (or D) below this separates learners poorly


@dataclass
class Flag:
    code: str  # too_easy, too_hard, weak, negative, distractor
    message: str


@dataclass
class OptionFigures:
    option_id: str
    text: str
    correct: bool
    chosen: int = 0
    share: float | None = None  # of the responses to the question
    upper: int = 0  # chosen by attempts of the upper group
    lower: int = 0  # chosen by attempts of the lower group

    @property
    def share_percent(self) -> float | None:
        return None if self.share is None else 100 * self.share


@dataclass
class ItemFigures:
    block_id: str
    number: int
    prompt: str
    kind: str
    responses: int = 0
    answered: int = 0
    right: int = 0
    difficulty: float | None = None  # share right (p)
    point_biserial: float | None = None
    discrimination: float | None = None  # D = p(upper) - p(lower)
    upper: int = 0  # responses from attempts of the upper group
    lower: int = 0
    options: list[OptionFigures] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)

    @property
    def difficulty_percent(self) -> float | None:
        return None if self.difficulty is None else 100 * self.difficulty

    @property
    def few_data(self) -> bool:
        return self.responses < MIN_SAMPLE

    @property
    def has_options(self) -> bool:
        return bool(self.options)


@dataclass
class Analysis:
    assessment_id: int
    attempts: int = 0
    timed: int = 0  # attempts with a recorded time
    median_seconds: float | None = None
    group_size: int = 0  # attempts in each of the upper and lower 27 %
    upper_cut: float | None = None  # the upper group scored at least this
    lower_cut: float | None = None  # the lower group scored at most this
    items: list[ItemFigures] = field(default_factory=list)
    min_sample: int = MIN_SAMPLE

    @property
    def median_minutes(self) -> int:
        return int(round(self.median_seconds or 0) // 60)

    @property
    def median_rest_seconds(self) -> int:
        return int(round(self.median_seconds or 0) % 60)

    @property
    def flagged(self) -> int:
        return sum(1 for item in self.items if item.flags)


def _option_labels(block: Any) -> list[tuple[str, str, bool]]:
    """(option id, text, is right) of a question whose answers are options (its type's
    ``answers_are_options``), in the file's order; none for typed answers."""
    question_type = block.block
    if not getattr(question_type, "answers_are_options", False):
        return []
    if question_type.fixed_options:  # true/false: the type names and grades them
        right = set(question_type.example_answer(block.value))
        return [
            (option, str(question_type.given_texts(block.value, [option])[0]), option in right)
            for option in question_type.fixed_options
        ]
    return [
        (o.id, str(o.value["text"]), bool(o.value["correct"]))
        for o in block.value["options"].bound_blocks
    ]


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _point_biserial(n: int, right: int, sx: float, sxx: float, scx: float) -> float | None:
    """Pearson's correlation between right (1/0) and the rest score, from sums."""
    spread_c = n * right - right * right
    spread_x = n * sxx - sx * sx
    if n < 2 or spread_c <= 0 or spread_x <= 1e-9:
        return None
    return (n * scx - right * sx) / math.sqrt(spread_c * spread_x)


def _flags(item: ItemFigures, groups_apart: bool) -> list[Flag]:
    if item.few_data or item.difficulty is None:
        return []
    flags: list[Flag] = []
    if item.difficulty > TOO_EASY:
        flags.append(
            Flag(
                "too_easy",
                _(
                    "Muy fácil: casi todos la contestan bien, así que no muestra quién "
                    "aprendió el tema. Pruebe con opciones incorrectas más convincentes."
                ),
            )
        )
    elif item.difficulty < TOO_HARD:
        flags.append(
            Flag(
                "too_hard",
                _(
                    "Muy difícil: pocos la contestan bien. Revise que la respuesta marcada "
                    "como correcta lo sea, que la pregunta se entienda y que el tema se "
                    "explique en las lecciones."
                ),
            )
        )
    measure = item.point_biserial if item.point_biserial is not None else item.discrimination
    if measure is not None and measure < 0:
        flags.append(
            Flag(
                "negative",
                _(
                    "Quienes sacan mejor calificación la fallan más que quienes sacan peor. "
                    "Puede estar mal la respuesta correcta o la pregunta puede confundir."
                ),
            )
        )
    elif measure is not None and measure < WEAK_DISCRIMINATION:
        flags.append(
            Flag(
                "weak",
                _(
                    "Distingue poco: la contestan bien casi por igual quienes dominan el tema "
                    "y quienes no. Revise la redacción y las opciones."
                ),
            )
        )
    keys = [o for o in item.options if o.correct]
    if groups_apart and keys:
        key_upper = min(o.upper for o in keys)
        for option in item.options:
            if not option.correct and option.upper > key_upper:
                flags.append(
                    Flag(
                        "distractor",
                        _(
                            "La opción incorrecta «%(option)s» atrae a más educandos del "
                            "grupo alto que la respuesta correcta. Revise si también podría "
                            "ser correcta o si la pregunta se presta a confusión."
                        )
                        % {"option": option.text},
                    )
                )
    return flags


def _cut(counts: list[tuple[float, int]], k: int) -> float:
    """The score of the ``k``-th attempt in this order of (score, how many)."""
    seen = 0
    for score, n in counts:
        seen += n
        if seen >= k:
            return score
    return counts[-1][0]


def _median_of_counts(counts: list[tuple[int, int]], total: int) -> float:
    """The median of ``total`` values given as sorted (value, how many): the middle one,
    or the mean of the middle two."""
    middle = (total - 1) // 2
    wanted = [middle, middle + 1] if total % 2 == 0 else [middle]
    found: list[int] = []
    seen = 0
    for value, n in counts:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return sum(found) / len(found)


def item_analysis(
    *,
    assessment: AssessmentPage,
    grupo_ids: QuerySet[Any, Any] | Iterable[int] | None = None,
) -> Analysis:
    """The item analysis of ``assessment`` (a page, with its published questions), for
    every attempt (``grupo_ids`` None) or only those of the grupos ``grupo_ids`` gives (a
    queryset of ids, compiled into each query as a subquery, or a list). Three queries
    (one when nobody in scope attempted it, two when no attempt has a time)."""
    scores = ScoreTally.objects.filter(assessment_id=assessment.pk)
    times = TimeTally.objects.filter(assessment_id=assessment.pk)
    responses = ResponseTally.objects.filter(assessment_id=assessment.pk)
    if grupo_ids is not None:
        scores = scores.filter(grupo_id__in=grupo_ids)
        times = times.filter(grupo_id__in=grupo_ids)
        responses = responses.filter(grupo_id__in=grupo_ids)
    analysis = Analysis(assessment_id=assessment.pk)
    blocks = list(assessment.questions)
    analysis.items = [
        ItemFigures(
            block.id,
            number,
            str(block.value.get("prompt") or ""),
            block.block_type,
            options=[OptionFigures(*label) for label in _option_labels(block)],
        )
        for number, block in enumerate(blocks, 1)
    ]
    # 1. The attempts by score (a few dozen distinct scores): how many, how many timed,
    # and the cut scores of the lower and upper 27 %.
    by_score = [
        (float(row["score"]), int(row["n"]), int(row["timed"]))
        for row in scores.values("score").annotate(n=Sum("n"), timed=Sum("timed")).order_by("score")
    ]
    analysis.attempts = sum(n for _score, n, _timed in by_score)
    analysis.timed = sum(timed for _score, _n, timed in by_score)
    if not analysis.attempts:
        return analysis
    k = max(1, math.floor(analysis.attempts * GROUP_SHARE + 0.5))
    analysis.group_size = k
    analysis.lower_cut = _cut([(score, n) for score, n, _timed in by_score], k)
    analysis.upper_cut = _cut([(score, n) for score, n, _timed in reversed(by_score)], k)
    # 2. The median time (to the nearest 10 s): the middle one or two, in order.
    if analysis.timed:
        by_time = [
            (int(tens) * TIME_STEP, int(n))
            for tens, n in times.values("tens")
            .annotate(n=Sum("n"))
            .order_by("tens")
            .values_list("tens", "n")
        ]
        analysis.median_seconds = _median_of_counts(by_time, sum(n for _t, n in by_time))
    # 3. The responses counted by question, option, right or not and score (a few
    # thousand groups at most): every figure follows from these counts.
    upper_cut, lower_cut = analysis.upper_cut, analysis.lower_cut
    # What one right answer adds to an attempt's score (attempts of older revisions with
    # another number of questions are corrected with today's).
    weight = 100 / (assessment.questions_per_attempt or len(blocks) or 1)
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    chosen: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    columns = ("block_id", "option_id", "first", "answered", "correct", "score")
    for block_id, option_id, first, answered, right, exact_score, total_count in (
        responses.values_list(*columns).annotate(n=Sum("n")).order_by(*columns)
    ):
        score, count = float(exact_score), int(total_count)
        in_upper, in_lower = score >= upper_cut, score <= lower_cut
        counts = chosen[block_id, option_id]
        counts[0] += count
        counts[1] += count if in_upper else 0
        counts[2] += count if in_lower else 0
        if not first:
            continue
        total = sums[block_id]
        rest = score - weight if right else score  # the score on the other questions
        total["n"] += count
        total["sx"] += count * rest
        total["sxx"] += count * rest * rest
        if answered:
            total["answered"] += count
        if right:
            total["right"] += count
            total["scx"] += count * rest
        if in_upper:
            total["n_upper"] += count
            total["right_upper"] += count if right else 0
        if in_lower:
            total["n_lower"] += count
            total["right_lower"] += count if right else 0
    groups_apart = analysis.upper_cut > analysis.lower_cut
    for item in analysis.items:
        if item.block_id not in sums:
            continue
        total = sums[item.block_id]
        item.responses = int(total["n"])
        item.answered = int(total["answered"])
        item.right = int(total["right"])
        item.upper = int(total["n_upper"])
        item.lower = int(total["n_lower"])
        item.difficulty = _ratio(item.right, item.responses)
        item.point_biserial = _point_biserial(
            item.responses, item.right, total["sx"], total["sxx"], total["scx"]
        )
        p_upper = _ratio(total["right_upper"], total["n_upper"])
        p_lower = _ratio(total["right_lower"], total["n_lower"])
        if groups_apart and p_upper is not None and p_lower is not None:
            item.discrimination = p_upper - p_lower
        for option in item.options:
            option.chosen, option.upper, option.lower = chosen.get(
                (item.block_id, option.option_id), (0, 0, 0)
            )
            option.share = _ratio(option.chosen, item.responses)
        item.flags = _flags(item, groups_apart)
    return analysis
