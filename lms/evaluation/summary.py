"""The figures every evaluation page shows (gains, retention, time to completion, the
credential funnel) for one scope, with the geometry of their charts, kept in the cache.

Computing them reads every enrollment in scope: on the benchmark data set (10,000
learners, 100,000 enrollments) the whole program takes about 0.4 s. So they are kept
``FIGURES_CACHE_SECONDS`` under the scope (not the viewer), and Celery beat refreshes the
whole program's (every sede: the administrators' scope) before they expire
(``warm_program_figures``), so nobody waits for them; the page says when they were
computed. Other scopes (a sede, a grupo, a coordinator's few sedes) take well under
0.3 s and are computed on their first view.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from lms.enrollment.read_models import Grupo, Sede
from lms.evaluation import gains, retention
from lms.evaluation.figures import CompletionTime, RetentionCurve, min_group

RETENTION_WEEKS = 12
# How long computed figures are reused (see ``_figures``).
FIGURES_CACHE_SECONDS = 20 * 60

# The retention chart: a 320 × 180 drawing, percent up, weeks across.
CHART_WIDTH = 320
PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT = 30, 10, 280, 140
# Cohorts are told apart by the line's dashes (not only by colour).
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"]
MAX_CHART_CURVES = len(DASHES)


def _retention_chart(curves: Sequence[RetentionCurve], weeks: int) -> dict[str, Any]:
    """Geometry of the retention chart: a polyline per cohort with figures (the most
    recent ones, at most ``MAX_CHART_CURVES``; the table has them all), axis ticks every
    25 % and every 4 weeks."""
    shown = [c for c in curves if not c.too_few and len(c.points) > 1][-MAX_CHART_CURVES:]

    def x(week: int) -> float:
        return round(PLOT_LEFT + PLOT_WIDTH * week / max(weeks, 1), 1)

    def y(percent: float) -> float:
        return round(PLOT_TOP + PLOT_HEIGHT * (100 - percent) / 100, 1)

    lines = []
    for index, curve in enumerate(shown):
        coordinates = [(x(week), y(percent)) for week, percent in curve.points]
        last_x, last_y = coordinates[-1]
        lines.append(
            {
                "label": curve.label,
                "points": " ".join(f"{px},{py}" for px, py in coordinates),
                "dash": DASHES[index],
                "end_x": last_x,
                "end_y": last_y,
            }
        )
    return {
        "lines": lines,
        "width": CHART_WIDTH,
        "height": PLOT_TOP + PLOT_HEIGHT + 30,
        "left": PLOT_LEFT,
        "right": PLOT_LEFT + PLOT_WIDTH,
        "base_y": PLOT_TOP + PLOT_HEIGHT,
        "y_ticks": [{"value": v, "y": y(v), "label_y": y(v) + 4} for v in (0, 25, 50, 75, 100)],
        "x_ticks": [{"value": w, "x": x(w)} for w in range(0, weeks + 1, 4 if weeks > 6 else 1)],
        "x_label_y": PLOT_TOP + PLOT_HEIGHT + 14,
        "axis_title_y": PLOT_TOP + PLOT_HEIGHT + 28,
    }


def _completion_chart(completion: CompletionTime) -> dict[str, Any] | None:
    """Geometry of the time-to-completion box: first to third quartile, the median
    marked, on a scale of days from 0 to a little past the third quartile."""
    if completion.too_few or completion.median_days is None:
        return None
    q1, median, q3 = completion.q1_days or 0, completion.median_days, completion.q3_days or 0
    top = max(q3 * 1.2, 1)

    def x(days: float) -> float:
        return round(CHART_WIDTH * days / top, 1)

    return {
        "width": CHART_WIDTH,
        "height": 60,
        "q1_x": x(q1),
        "box_width": max(x(q3) - x(q1), 1),
        "median_x": x(median),
    }


def _retention_table(curves: Sequence[RetentionCurve], weeks: int) -> list[dict[str, Any]]:
    """Rows of the retention table: one per week, a cell per cohort (None: not reached
    by enough of the cohort yet, or a cohort with too few learners)."""
    by_cohort = [dict(curve.points) for curve in curves]
    return [
        {"week": week, "cells": [points.get(week) for points in by_cohort]}
        for week in range(weeks + 1)
    ]


def figures(
    *,
    sedes: Sequence[Sede],
    grupo: Grupo | None,
    label: str,
    by: str | None,
    refresh: bool = False,
) -> dict[str, Any]:
    """What every evaluation page shows, for ``sedes`` (already in the viewer's scope) or
    one ``grupo`` of them; ``by``: the extra gains table ("sede", "grupo" or None).

    Kept ``FIGURES_CACHE_SECONDS`` in the cache under the scope (the sedes and grupo, not
    the viewer: two people with the same scope see the same figures), the language and the
    minimum group: they describe months and quarters, and computing them reads every
    enrollment in scope."""
    key = "evaluation:figures:" + ":".join(
        [
            get_language() or "",
            str(min_group()),
            ",".join(str(pk) for pk in sorted(s.pk for s in sedes)),
            str(grupo.pk if grupo else ""),
            label,
            by or "",
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()
    cached: dict[str, Any] | None = None if refresh else cache.get(f"evaluation:figures:{digest}")
    if cached is None:
        cached = _compute_figures(sedes=sedes, grupo=grupo, label=label, by=by)
        cached["computed_at"] = timezone.now()
        cache.set(f"evaluation:figures:{digest}", cached, FIGURES_CACHE_SECONDS)
    return dict(cached)


def _compute_figures(
    *, sedes: Sequence[Sede], grupo: Grupo | None, label: str, by: str | None
) -> dict[str, Any]:
    # One query for every breakdown of the gains.
    cells = gains.gain_cells(sedes=sedes, grupo=grupo)
    course_rows, total_gain = gains.learning_gains(
        sedes=sedes, by="course", grupo=grupo, cells=cells
    )
    curves = retention.retention_curves(sedes=sedes, grupo=grupo, weeks=RETENTION_WEEKS)
    completion = retention.time_to_completion(sedes=sedes, grupo=grupo, label=label)
    funnel = retention.credential_funnel(sedes=sedes, grupo=grupo, label=label)
    context: dict[str, Any] = {
        "min_group": min_group(),
        "gains_by_course": course_rows,
        "total_gain": total_gain,
        "curves": curves,
        "retention_chart": _retention_chart(curves, RETENTION_WEEKS),
        "retention_rows": _retention_table(curves, RETENTION_WEEKS),
        "completion": completion,
        "completion_chart": _completion_chart(completion),
        "funnel": funnel,
        "funnel_steps": retention.funnel_steps(funnel),
        "gains_by": by,
        "gains_by_group": [],
    }
    if by == "sede":
        context["gains_by_group"] = gains.learning_gains(sedes=sedes, by="sede", cells=cells)[0]
    elif by == "grupo":
        context["gains_by_group"] = gains.learning_gains(sedes=sedes, by="grupo", cells=cells)[0]
    return context


def program_label() -> str:
    """The program page's label (``figures``' ``label``, part of its cache key)."""
    return _("Todas sus sedes")


def warm_program_figures() -> int:
    """Compute the whole program's figures (every sede, as an administrator sees them) in
    each language and put them in the cache, replacing what is there. For Celery beat,
    more often than ``FIGURES_CACHE_SECONDS``. Returns how many were computed."""
    sedes = list(Sede.objects.order_by("name"))
    if not sedes:
        return 0
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            figures(sedes=sedes, grupo=None, label=program_label(), by="sede", refresh=True)
    return len(settings.LANGUAGES)
