"""Grading answers against question blocks, and showing them on the results page. Pure
functions: no database."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from content.api import normalize_text, parse_number

_SLACK = Fraction(1, 10**9)


def _as_fraction(number: object) -> Fraction | None:
    """An author's float (answer or tolerance) as the decimal they typed: 0.1 is 1/10."""
    if number is None or isinstance(number, bool):
        return None
    try:
        return Fraction(str(number))
    except (ValueError, ZeroDivisionError):  # nan, inf
        return None


def grade_question(kind: str, value, given: list[str]) -> dict:
    """Grade one question. ``value`` is the block's StructValue; ``given`` the submitted
    values for it (option ids, "true"/"false", or typed text)."""
    given = [g for g in given if g is not None and str(g).strip() != ""]
    result: dict = {"kind": kind, "answered": bool(given), "correct": False}
    if kind in ("single_choice", "multiple_choice"):
        options = list(value["options"].bound_blocks)
        right = {o.id for o in options if o.value["correct"]}
        chosen = set(given) & {o.id for o in options}
        result["correct"] = bool(chosen) and chosen == right
        result["feedback"] = [
            o.value["feedback"] for o in options if o.id in chosen and o.value["feedback"]
        ]
        result["right_options"] = [o.value["text"] for o in options if o.id in right]
    elif kind == "true_false":
        expected = "true" if value["answer"] else "false"
        result["correct"] = given[:1] == [expected]
    elif kind == "numeric":
        # Exact arithmetic on the answer and tolerance as the author wrote them, so the
        # boundary counts ("3.15" for 3.14 ± 0.01); _SLACK absorbs float noise in a stored
        # answer (0.30000000000000004), so it never fails a learner.
        number = parse_number(given[0]) if given else None
        answer = _as_fraction(value["answer"])
        tolerance = abs(_as_fraction(value["tolerance"] or 0) or Fraction(0))
        result["correct"] = (
            number is not None and answer is not None and abs(number - answer) <= tolerance + _SLACK
        )
    elif kind == "short_answer":
        accepted = {normalize_text(a) for a in value["accepted_answers"]}
        result["correct"] = bool(given) and normalize_text(given[0]) in accepted
    if kind != "single_choice" and kind != "multiple_choice":
        result["feedback"] = [value["explanation"]] if value.get("explanation") else []
    return result


def grade(questions, answers: dict[str, list[str]]) -> tuple[Decimal, dict]:
    """Grade every question of a StreamValue. Returns (score 0–100, results by block id)."""
    results = {}
    for block in questions:
        results[block.id] = grade_question(block.block_type, block.value, answers.get(block.id, []))
        results[block.id]["topic"] = block.value.get("topic") or ""
    total = len(results)
    right = sum(1 for r in results.values() if r["correct"])
    score = (Decimal(100) * right / total).quantize(Decimal("0.01")) if total else Decimal(0)
    return score, results


def _true_false(value: bool) -> str:
    return _("Verdadero") if value else _("Falso")


def given_texts(block, given: list[str]) -> list[str]:
    """What the learner answered, as they saw it (for the results page)."""
    given = [g for g in given if g and g.strip()]
    if block.block_type in ("single_choice", "multiple_choice"):
        texts = {o.id: o.value["text"] for o in block.value["options"].bound_blocks}
        return [texts[g] for g in given if g in texts]
    if block.block_type == "true_false":
        return [_true_false(g == "true") for g in given[:1] if g in ("true", "false")]
    return given[:1]


def right_texts(block, result: dict) -> list[str]:
    """The right answer of the question, as it was when the attempt was taken."""
    value = block.value
    if block.block_type in ("single_choice", "multiple_choice"):
        return list(result.get("right_options", []))
    if block.block_type == "true_false":
        return [_true_false(bool(value["answer"]))]
    if block.block_type == "numeric":
        number = format(Decimal(str(value["answer"])).normalize(), "f")
        return [f"{number} {value['unit']}".strip() if value.get("unit") else number]
    if block.block_type == "short_answer":
        return list(value["accepted_answers"])[:1]
    return []
