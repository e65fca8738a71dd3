"""Learning gains: what learners knew before a course (its entry check, drawn from the
final's pool) against what they showed at the end (their first attempt at the final).

Who counts: a learner with both, whose first final attempt was made in a grupo of the
scope (``Attempt.grupo_id``: the grupo they were in when answering, as the item analysis
counts it). The first attempt, not the best: later attempts come after seeing the first
one's result, and would measure practice at the exam as much as the course.

The figure: Hake's normalised gain of the group's means, g = (post − pre) / (100 − pre),
the share of what there was left to learn that was learned. Its 95 % interval comes from
the delta method for a ratio of means of paired scores (the same learner's pre and
post), computed from six sums, so every figure is one GROUP BY whatever the number of
learners. A group under the minimum size (``figures.min_group``) shows no figure at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from statistics import NormalDist
from typing import Literal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from courses import read_models as courses_models
from lms.assessments.read_models import Attempt, EntryCheck
from lms.enrollment.read_models import Enrollment, Grupo, Sede
from lms.evaluation.figures import Gain, Period, min_group

_Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True)
class Sums:
    """The sums a group's gain is computed from: pairs (entry score, first final score)."""

    n: int = 0
    pre: float = 0.0
    post: float = 0.0
    pre2: float = 0.0
    post2: float = 0.0
    prepost: float = 0.0

    def __add__(self, other: Sums) -> Sums:
        return Sums(
            self.n + other.n,
            self.pre + other.pre,
            self.post + other.post,
            self.pre2 + other.pre2,
            self.post2 + other.post2,
            self.prepost + other.prepost,
        )


def hake_gain(sums: Sums) -> tuple[float, float, float | None, float | None, float | None]:
    """(pre mean, post mean, g, low, high) of a group of pairs: g = (post − pre) /
    (100 − pre) of the means, and its 95 % interval by the delta method (None when the
    entry mean is 100: nothing was left to learn; no interval for fewer than 2 pairs)."""
    n = sums.n
    pre, post = sums.pre / n, sums.post / n
    room = 100.0 - pre
    if room <= 0:
        return pre, post, None, None, None
    g = (post - pre) / room
    if n < 2:
        return pre, post, g, None, None
    var_pre = max((sums.pre2 - n * pre * pre) / (n - 1), 0.0)
    var_post = max((sums.post2 - n * post * post) / (n - 1), 0.0)
    cov = (sums.prepost - n * pre * post) / (n - 1)
    # d = post − pre and u = 100 − pre per learner: g = mean(d) / mean(u).
    var_d = var_post + var_pre - 2 * cov
    var_u = var_pre
    cov_du = var_pre - cov
    variance = (var_d - 2 * g * cov_du + g * g * var_u) / (n * room * room)
    half = _Z95 * math.sqrt(max(variance, 0.0))
    return pre, post, g, g - half, g + half


def gain_of(key: object, label: str, sums: Sums, *, minimum: int | None = None) -> Gain:
    """The ``Gain`` a group's sums give: no figure under the minimum size."""
    minimum = min_group() if minimum is None else minimum
    if sums.n < minimum:
        return Gain(key=key, label=label, n=sums.n, too_few=True)
    pre, post, g, low, high = hake_gain(sums)
    return Gain(
        key=key,
        label=label,
        n=sums.n,
        too_few=False,
        pre_mean=pre,
        post_mean=post,
        g=g,
        g_low=low,
        g_high=high,
    )


def _bounds(period: Period | None) -> tuple[datetime | None, datetime | None]:
    """The period's first day at 00:00 and the day after its last, in the site's zone."""
    if period is None:
        return None, None
    zone = timezone.get_current_timezone()
    start = datetime.combine(period.start, time.min, zone) if period.start else None
    end = datetime.combine(period.end + timedelta(days=1), time.min, zone) if period.end else None
    return start, end


Cell = tuple[int, int, int]  # (course id, sede id, grupo id)


def gain_cells(
    *,
    sedes: Sequence[Sede],
    grupo: Grupo | None = None,
    period: Period | None = None,
) -> dict[Cell, Sums]:
    """The sums of the pairs in scope by (course, sede, grupo): every breakdown of the
    gains is a roll-up of these (``learning_gains``). One query, which PostgreSQL answers
    from two indexes (``entrycheck_final``, ``attempt_first``) without reading the rows."""
    sede_ids = [sede.pk for sede in sedes]
    if not sede_ids:
        return {}
    entry, attempt = EntryCheck._meta.db_table, Attempt._meta.db_table
    grupos, enrollments = Grupo._meta.db_table, Enrollment._meta.db_table
    joins = ""
    where = [f"g.sede_id IN ({', '.join(['%s'] * len(sede_ids))})"]
    params: list[int | str | datetime | None] = [*sede_ids]
    if grupo is not None:
        where.append("g.id = %s")
        params.append(grupo.pk)
    start, end = _bounds(period)
    if start is not None or end is not None:
        joins = f" JOIN {enrollments} en ON en.user_id = ec.user_id AND en.course_id = ec.course_id"
        # Written-out SQL gets no field to prepare its values: SQLite keeps datetimes as
        # UTC text, so an aware bound must be adapted as the ORM would, or it is compared
        # as local-time text (off by the zone's offset in the evening).
        adapt = connection.ops.adapt_datetimefield_value
        if start is not None:
            where.append("en.enrolled_at >= %s")
            params.append(adapt(start))
        if end is not None:
            where.append("en.enrolled_at < %s")
            params.append(adapt(end))
    pre = "CAST(ec.score AS DOUBLE PRECISION)"
    post = "CAST(a.score AS DOUBLE PRECISION)"
    sql = f"""
        SELECT ec.course_id, g.sede_id, g.id, COUNT(*), SUM({pre}), SUM({post}),
               SUM({pre} * {pre}), SUM({post} * {post}), SUM({pre} * {post})
        FROM {entry} ec
        JOIN {attempt} a
          ON a.user_id = ec.user_id AND a.assessment_id = ec.assessment_id AND a.number = 1
        JOIN {grupos} g ON g.id = a.grupo_id{joins}
        WHERE {" AND ".join(where)}
        GROUP BY ec.course_id, g.sede_id, g.id
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        (int(course), int(sede), int(grupo_id)): Sums(int(n), *(float(v or 0) for v in rest))
        for course, sede, grupo_id, n, *rest in rows
    }


def roll_up(cells: dict[Cell, Sums], by: Literal["course", "sede", "grupo"]) -> dict[int, Sums]:
    """The cells' sums added up by course, sede or grupo id."""
    position = {"course": 0, "sede": 1, "grupo": 2}[by]
    sums: dict[int, Sums] = {}
    for cell, value in cells.items():
        key = cell[position]
        sums[key] = sums.get(key, Sums()) + value
    return sums


def _labels(
    by: Literal["course", "sede", "grupo"], ids: list[int], sedes: Sequence[Sede]
) -> dict[int, str]:
    if by == "sede":
        return {sede.pk: sede.name for sede in sedes}
    if not ids:
        return {}
    if by == "course":
        rows = courses_models.CoursePage.objects.filter(pk__in=ids).values_list("pk", "title")
    else:
        rows = Grupo.objects.filter(pk__in=ids).values_list("pk", "name")
    return dict(rows)


def learning_gains(
    *,
    sedes: Sequence[Sede],
    by: Literal["course", "sede", "grupo"],
    grupo: Grupo | None = None,
    period: Period | None = None,
    cells: dict[Cell, Sums] | None = None,
) -> tuple[list[Gain], Gain]:
    """Rows (one per course, sede or grupo with at least one pair, by name) and the total
    of the scope, each a ``Gain`` (``too_few`` under the minimum size). ``period``: the
    enrollments made in it. ``cells`` from ``gain_cells`` (for the same scope) save its
    query: a page with several breakdowns reads them once. Two queries (one for
    ``by="sede"``), one less with ``cells``."""
    if cells is None:
        cells = gain_cells(sedes=sedes, grupo=grupo, period=period)
    sums = roll_up(cells, by)
    labels = _labels(by, list(sums), sedes)
    rows = sorted(
        (gain_of(key, labels.get(key, str(key)), value) for key, value in sums.items()),
        key=lambda gain: gain.label.casefold(),
    )
    total = sum(sums.values(), Sums())
    return rows, gain_of(None, _("Total"), total)
