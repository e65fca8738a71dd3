"""Grading an assessment's answers, and showing them on the results page. Pure functions:
no database. Each question type grades itself (``content.blocks.BaseQuestionBlock``: a
method of its block, a pure function of the block value and the answer); this module only
adds up the score and hands each question to its block."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from content.api import QuestionStreamBlock

# The question types by kind, for grading a value without its bound block.
_TYPES = QuestionStreamBlock().child_blocks


def question_type(kind: str) -> Any:
    """The block of the question type ``kind`` (a ``BaseQuestionBlock``), None for a kind
    this version does not know (an attempt stored by an older one)."""
    return _TYPES.get(kind)


def grade_question(kind: str, value: Any, given: list[str]) -> dict[str, Any]:
    """Grade one question of type ``kind``. ``value`` is the block's StructValue; ``given``
    the submitted values for it (option ids, "true"/"false", or typed text)."""
    return _TYPES[kind].grade(value, given)


def grade(questions, answers: dict[str, list[str]]) -> tuple[Decimal, dict]:
    """Grade every question of a StreamValue. Returns (score 0–100, results by block id)."""
    results = {}
    for block in questions:
        results[block.id] = block.block.grade(block.value, answers.get(block.id, []))
        results[block.id]["topic"] = block.value.get("topic") or ""
    total = len(results)
    right = sum(1 for r in results.values() if r["correct"])
    score = (Decimal(100) * right / total).quantize(Decimal("0.01")) if total else Decimal(0)
    return score, results


def given_texts(block: Any, given: list[str]) -> list[str]:
    """What the learner answered, as they saw it (for the results page)."""
    return block.block.given_texts(block.value, given)


def right_texts(block: Any, result: dict[str, Any]) -> list[str]:
    """The right answer of the question, as it was when the attempt was taken."""
    return block.block.right_texts(block.value, result)
