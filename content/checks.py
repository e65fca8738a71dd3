"""System checks of ``content``: every question type is whole (``BaseQuestionBlock``).

Run by ``manage.py check`` (and before ``runserver``, ``migrate`` and the tests): a type
of ``QuestionStreamBlock`` without a template, a preview value, an answer time, or its own
grading, texts for the results page and example answer is refused before an assessment
could use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core import checks
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from wagtail import blocks

from content.blocks import BaseQuestionBlock, QuestionStreamBlock


def _problems(name: str, block: blocks.Block) -> list[checks.CheckMessage]:
    where = f"{QuestionStreamBlock.__name__}.{name}"
    if not isinstance(block, BaseQuestionBlock):
        return [
            checks.Error(
                f"The question type {where} is not a BaseQuestionBlock.",
                hint="Subclass content.blocks.BaseQuestionBlock.",
                obj=block,
                id="content.E001",
            )
        ]
    problems: list[checks.CheckMessage] = []
    template = getattr(block.meta, "template", None)
    try:
        if not template:
            raise TemplateDoesNotExist("")
        get_template(template)
    except TemplateDoesNotExist:
        problems.append(
            checks.Error(
                f"The question type {where} has no template that exists ({template!r}).",
                hint="Set Meta.template to its answer field, under templates/content/questions/.",
                obj=block,
                id="content.E002",
            )
        )
    if getattr(block.meta, "preview_value", None) is None:
        problems.append(
            checks.Error(
                f"The question type {where} has no preview value.",
                hint="Set Meta.preview_value to a valid question (not as a constructor "
                "argument: that would change the migrations).",
                obj=block,
                id="content.E003",
            )
        )
    missing = [
        method
        for method in BaseQuestionBlock.PROTOCOL
        if getattr(type(block), method) is getattr(BaseQuestionBlock, method)
    ]
    if missing:
        problems.append(
            checks.Error(
                f"The question type {where} does not override {', '.join(missing)}.",
                hint="Every question type grades itself: see BaseQuestionBlock.",
                obj=block,
                id="content.E004",
            )
        )
    minutes = type(block).answer_minutes
    if minutes is None or minutes <= 0:
        problems.append(
            checks.Error(
                f"The question type {where} has no answer time ({minutes!r}).",
                hint="Set answer_minutes (a Fraction of minutes): a course's study time "
                "adds them up.",
                obj=block,
                id="content.E006",
            )
        )
    if block.kind != name:
        problems.append(
            checks.Error(
                f"The question type {where} says its kind is {block.kind!r}.",
                hint=f'Set kind = "{name}": results store it and templates read it.',
                obj=block,
                id="content.E005",
            )
        )
    return problems


def check_question_types(
    app_configs: Sequence[Any] | None = None,
    *,
    question_types: Iterable[tuple[str, blocks.Block]] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """Every type of ``QuestionStreamBlock`` (or ``question_types``, pairs of name and
    block) against the protocol of ``BaseQuestionBlock``."""
    if question_types is None:
        question_types = QuestionStreamBlock().child_blocks.items()
    return [problem for name, block in question_types for problem in _problems(name, block)]
