"""The public Python API of ``coordination``: the coordinator's figures, for other apps.

Other apps (the weekly digest in ``notifications``) read these instead of counting for
themselves, so an email and the dashboard always agree on who is at risk. Reads only:
coordination keeps no data of its own; its pages act through the other apps' APIs.

Every function takes the sedes to look at, already narrowed to someone's scope
(``enrollment_api.sedes_in_scope``), and counts only the learners of their grupos.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from lms.coordination import at_risk, figures
from lms.coordination.figures import Figures

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from lms.enrollment.read_models import Grupo, Sede

__all__ = [
    "Figures",
    "at_risk_count_by_sede",
    "at_risk_days",
    "at_risk_failed_attempts",
    "at_risk_learner_count",
    "figures_by_sede",
    "total_figures",
]


def at_risk_days() -> int:
    """Days without studying after which an unfinished enrollment is at risk
    (``AULA_AT_RISK_DAYS``); read on each call so tests and deployments can change it."""
    return at_risk.at_risk_days()


def at_risk_failed_attempts() -> int:
    """Failed attempts at an assessment never passed that put an enrollment at risk
    (``AULA_AT_RISK_FAILED_ATTEMPTS``)."""
    return at_risk.at_risk_failed_attempts()


def at_risk_count_by_sede(
    *, sedes: Sequence[Sede] | QuerySet[Sede], now: datetime | None = None
) -> dict[int, int]:
    """Learners at risk per sede id, each counted once however many of their courses are.
    One query."""
    return figures.at_risk_count_by_sede(sedes=sedes, now=now)


def at_risk_learner_count(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    now: datetime | None = None,
) -> int:
    """Learners at risk in scope (optionally one grupo), each counted once. One query."""
    return figures.at_risk_learner_count(sedes=sedes, grupo=grupo, now=now)


def figures_by_sede(
    *, sedes: Sequence[Sede] | QuerySet[Sede], now: datetime | None = None
) -> tuple[list[Figures], Figures]:
    """The dashboard's figures per sede and in total (a learner in two sedes counts once in
    the total). Two or three queries."""
    return figures.figures_by_sede(sedes=sedes, now=now)


def total_figures(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    course_id: int | None = None,
    label: str = "",
    now: datetime | None = None,
) -> Figures:
    """One row of figures for everything in scope, optionally one grupo and/or one course.
    One query."""
    return figures.total_figures(
        sedes=sedes, grupo=grupo, course_id=course_id, label=label, now=now
    )
