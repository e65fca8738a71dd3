"""Grading answers against question blocks. Pure functions: no database."""

from __future__ import annotations

from decimal import Decimal

from content.api import normalize_text


def _parse_number(text: str) -> float | None:
    text = text.strip().replace(" ", "").replace("$", "").replace("%", "")
    # Accept "1,234.5" (US) and "12,5" (a decimal comma) alike.
    if text.count(",") == 1 and "." not in text and len(text.split(",")[1]) != 3:
        text = text.replace(",", ".")
    text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
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
        number = _parse_number(given[0]) if given else None
        result["correct"] = (
            number is not None and abs(number - value["answer"]) <= (value["tolerance"] or 0) + 1e-9
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
