"""The evaluation's figures, shared by its pages, the quarterly report and its CSV annex.

Every function takes the viewer's scope as ``sedes`` (from
``enrollment_api.sedes_in_scope``; the whole program is every sede) and optionally one
``grupo``; a learner counts in a sede through their membership of one of its grupos.
Groups with fewer learners than ``settings.AULA_EVALUATION_MIN_GROUP`` (default 10) carry
``too_few=True`` and no figures, so nobody can be singled out.

Module map:
- ``gains.py``: learning gains (entry check → first final attempt), Hake's g with a CI;
- ``retention.py``: cohort retention curves, time to completion, the credential funnel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings


def min_group() -> int:
    """The smallest group whose figures are shown (``AULA_EVALUATION_MIN_GROUP``)."""
    return int(getattr(settings, "AULA_EVALUATION_MIN_GROUP", 10))


@dataclass(frozen=True)
class Period:
    """Dates of enrollment (first day, last day) the figures are about; None: all."""

    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Gain:
    """Learning gain of one group (a course, a sede or a grupo): learners with both an
    entry check and a first final attempt. Scores are 0–100. ``g`` is Hake's normalised
    gain of the group's means, (post − pre) / (100 − pre), with a 95 % interval."""

    key: object  # the course, sede or grupo id; None for the whole scope
    label: str
    n: int
    too_few: bool
    pre_mean: float | None = None
    post_mean: float | None = None
    g: float | None = None
    g_low: float | None = None
    g_high: float | None = None


@dataclass(frozen=True)
class RetentionCurve:
    """One cohort (learners enrolled in the same month): ``points`` are (weeks since
    enrollment, percent still active) for the weeks enough members have reached (see
    ``retention.retention_curves``). ``n``: enrollments; ``learners``: their learners."""

    key: object
    label: str
    n: int
    too_few: bool
    points: list[tuple[int, float]] = field(default_factory=list)
    learners: int = 0


@dataclass(frozen=True)
class CompletionTime:
    """Days from enrollment to completing a course, over completed enrollments."""

    label: str
    n: int
    too_few: bool
    median_days: float | None = None
    q1_days: float | None = None
    q3_days: float | None = None
    learners: int = 0  # who completed them (``n`` counts the enrollments)


@dataclass(frozen=True)
class CredentialFunnel:
    """Learners in scope, those with at least one MEVyT module covered, those halfway to
    the primaria credential and those with every module covered (ready for INEA's exam)."""

    label: str
    learners: int
    too_few: bool
    one_module: int = 0
    halfway: int = 0
    all_modules: int = 0
