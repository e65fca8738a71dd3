"""Coordinator dashboard figures, aggregated in the database: a fixed number of queries
whatever the number of sedes, grupos, learners, enrollments or events.

Every function takes the sedes to look at (already narrowed to the viewer's scope by
``enrollment_api.sedes_in_scope``) and counts only learners in grupos of those sedes. The
same statement counts the learners at risk (``at_risk_count_by_sede``,
``at_risk_learner_count``); the rules it applies are in ``at_risk``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.read_models import CoursePage
from lms.assessments.read_models import Attempt
from lms.certificates.read_models import Certificate
from lms.coordination.at_risk import at_risk_days, at_risk_failed_attempts
from lms.enrollment import api as enrollment_api
from lms.enrollment.read_models import Enrollment
from lms.progress.read_models import CourseProgress

if TYPE_CHECKING:
    from lms.enrollment.read_models import Grupo, Sede


@dataclass
class Figures:
    label: str
    enrolled: int = 0
    active_7: int = 0
    active_30: int = 0
    started: int = 0
    halfway: int = 0
    completed: int = 0
    certified: int = 0
    average_final: Decimal | None = None
    at_risk: int = 0  # learners (not enrollments) at risk, see ``at_risk``
    key: object = None  # the sede, grupo or course the row is about

    @property
    def completion_rate(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0

    def funnel(self) -> list[tuple[str, int]]:
        """The steps from enrolling to a certificate, for the funnel chart."""
        return [
            (_("Inscritos"), self.enrolled),
            (_("Empezaron"), self.started),
            (_("A la mitad"), self.halfway),
            (_("Concluyeron"), self.completed),
            (_("Con constancia"), self.certified),
        ]


# The figures are one SQL statement: enrollments joined once to course progress, the valid
# certificate and the best final-exam score (each at most one row per enrollment), and to
# the *distinct* (learner, sede|grupo) pairs in scope, so plain counts are exact even for a
# learner in two grupos. The ORM would need a correlated subquery per column, which on
# 100,000 enrollments is ten times slower. Portable SQL: it runs on SQLite and PostgreSQL.
# It counts per learner first, then per key: "at risk" counts learners, not enrollments,
# and summing each learner's 0 or 1 needs no COUNT(DISTINCT …), whose sort of every
# enrollment in scope spilled to disk for an administrator (PostgreSQL's default
# work_mem); two hash aggregates do it in memory. The learners in scope (``s``) also
# bound the attempts read: a sede's figures read that sede's attempts, not the program's.
# That condition (``_IN_SCOPE``) ends in "OR user_id IS NULL", which never holds (the column
# is NOT NULL): it keeps PostgreSQL from turning the IN into a join, which it plans as
# one index lookup per learner (10,000 for an administrator, slower than reading every
# attempt); as a filter it probes a hash of the learners in scope.
# Who counts as a learner in scope is decided by the ORM
# (``enrollment_api.memberships_in_scope``), compiled into the statement as a subquery.
_FIGURES_SQL = """
WITH s AS (
  SELECT DISTINCT m.user_id{member_key} FROM ({members}) m
)
SELECT k,
  SUM(enrolled) AS enrolled,
  SUM(active_7) AS active_7,
  SUM(active_30) AS active_30,
  SUM(started) AS started,
  SUM(halfway) AS halfway,
  SUM(completed) AS completed,
  SUM(certified) AS certified,
  SUM(final_sum) AS final_sum,
  SUM(final_count) AS final_count,
  SUM(at_risk) AS at_risk,
  (SELECT COUNT(*) FROM s) - (SELECT COUNT(DISTINCT user_id) FROM s) AS shared
FROM (
SELECT {key} AS k, e.user_id AS learner,
  COUNT(*) AS enrolled,
  SUM(CASE WHEN cp.last_activity_at >= %s THEN 1 ELSE 0 END) AS active_7,
  SUM(CASE WHEN cp.last_activity_at >= %s THEN 1 ELSE 0 END) AS active_30,
  SUM(CASE WHEN cp.last_activity_at IS NOT NULL THEN 1 ELSE 0 END) AS started,
  SUM(CASE WHEN cp.percent >= 50 THEN 1 ELSE 0 END) AS halfway,
  SUM(CASE WHEN e.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS completed,
  SUM(CASE WHEN c.id IS NOT NULL THEN 1 ELSE 0 END) AS certified,
  SUM(best.score) AS final_sum,
  COUNT(best.score) AS final_count,
  MAX(CASE WHEN e.completed_at IS NULL AND u.is_active AND (
      cp.last_activity_at < %s
      OR (cp.last_activity_at IS NULL AND e.enrolled_at < %s)
      OR failing.user_id IS NOT NULL
  ) THEN 1 ELSE 0 END) AS at_risk
FROM {enrollment} e
JOIN s ON s.user_id = e.user_id
JOIN {user} u ON u.id = e.user_id
JOIN {course} course ON course.page_ptr_id = e.course_id
LEFT JOIN {progress} cp ON cp.user_id = e.user_id AND cp.course_id = e.course_id
LEFT JOIN {certificate} c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
LEFT JOIN (
  SELECT user_id, assessment_id, MAX(score) AS score FROM {attempt}
  WHERE {in_scope}
  GROUP BY user_id, assessment_id
) best ON best.user_id = e.user_id AND best.assessment_id = course.final_assessment_id
LEFT JOIN (
  SELECT DISTINCT user_id, course_id FROM (
    SELECT user_id, course_id FROM {attempt}
    WHERE course_id IS NOT NULL AND {in_scope}
    GROUP BY user_id, course_id, assessment_id
    HAVING SUM(CASE WHEN passed THEN 0 ELSE 1 END) >= %s
       AND SUM(CASE WHEN passed THEN 1 ELSE 0 END) = 0
  ) repeated
) failing ON failing.user_id = e.user_id AND failing.course_id = e.course_id
WHERE e.withdrawn_at IS NULL{course_filter}
GROUP BY {key}, e.user_id
) per_learner
GROUP BY k
"""

_IN_SCOPE = "(user_id IN (SELECT user_id FROM s) OR user_id IS NULL)"

FIELDS = (
    "enrolled",
    "active_7",
    "active_30",
    "started",
    "halfway",
    "completed",
    "certified",
    "at_risk",
)

# One row of ``_FIGURES_SQL`` by column name, as the database driver returns it: ``k`` and
# the counts are ints, ``final_sum`` an int, float or Decimal (or None) depending on the
# database.
_Row: TypeAlias = dict[str, Any]


@overload
def _figure_rows(
    *,
    by: None,
    sede_ids: Iterable[int],
    grupo_ids: Sequence[int] | None = None,
    course_id: int | None = None,
    now: datetime,
) -> dict[None, _Row]: ...
@overload
def _figure_rows(
    *,
    by: Literal["sede", "grupo", "course"],
    sede_ids: Iterable[int],
    grupo_ids: Sequence[int] | None = None,
    course_id: int | None = None,
    now: datetime,
) -> dict[int, _Row]: ...
def _figure_rows(
    *,
    by: Literal["sede", "grupo", "course"] | None,
    sede_ids: Iterable[int],
    grupo_ids: Sequence[int] | None = None,
    course_id: int | None = None,
    now: datetime,
) -> dict[None, _Row] | dict[int, _Row]:
    """Aggregate rows keyed by sede id, grupo id or course id (``by`` = "sede", "grupo",
    "course"), or a single row keyed None (``by`` = None). One query."""
    sede_ids = [int(pk) for pk in sede_ids]
    if not sede_ids:
        return {}
    member_keys: dict[str | None, str] = {"sede": ", m.sede_id AS k", "grupo": ", m.grupo_id AS k"}
    member_key = member_keys.get(by, "")
    keys: dict[str | None, str] = {"sede": "s.k", "grupo": "s.k", "course": "e.course_id"}
    key = keys.get(by, "1")
    adapt = connection.ops.adapt_datetimefield_value
    risk_cutoff = adapt(now - timedelta(days=at_risk_days()))
    members = enrollment_api.memberships_in_scope(sedes=sede_ids)
    if grupo_ids is not None:
        if not grupo_ids:
            return {}
        members = members.filter(grupo_id__in=[int(pk) for pk in grupo_ids])
    members_sql, members_params = (
        members.values("user_id", "grupo_id", sede_id=F("grupo__sede_id"))
        .order_by()
        .query.sql_with_params()
    )
    params: list[str | datetime | int | None] = [
        *members_params,
        adapt(now - timedelta(days=7)),
        adapt(now - timedelta(days=30)),
        risk_cutoff,
        risk_cutoff,
        at_risk_failed_attempts(),
    ]
    course_filter = ""
    if course_id is not None:
        course_filter = " AND e.course_id = %s"
        params.append(int(course_id))
    sql = _FIGURES_SQL.format(
        key=key,
        member_key=member_key,
        members=members_sql,
        course_filter=course_filter,
        enrollment=Enrollment._meta.db_table,
        user=get_user_model()._meta.db_table,
        course=CoursePage._meta.db_table,
        progress=CourseProgress._meta.db_table,
        certificate=Certificate._meta.db_table,
        attempt=Attempt._meta.db_table,
        in_scope=_IN_SCOPE,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
    return {(row["k"] if by else None): row for row in rows}


def _figures(label: str, row: _Row, key: object = None) -> Figures:
    count = row.get("final_count") or 0
    average = Decimal(str(row["final_sum"])) / count if count else None
    return Figures(
        label,
        **{k: int(row.get(k) or 0) for k in FIELDS},
        average_final=average,
        key=key,
    )


def _sede_ids(sedes: Sequence[Sede] | QuerySet[Sede]) -> list[int]:
    return (
        list(sedes.values_list("pk", flat=True))
        if isinstance(sedes, QuerySet)
        else [s.pk for s in sedes]
    )


def total_figures(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    course_id: int | None = None,
    label: str = "",
    now: datetime | None = None,
) -> Figures:
    """One row for everything in scope (optionally one grupo and/or one course). A learner
    in two grupos counts once. One query."""
    now = now or timezone.now()
    rows = _figure_rows(
        by=None,
        sede_ids=_sede_ids(sedes),
        grupo_ids=[grupo.pk] if grupo is not None else None,
        course_id=course_id,
        now=now,
    )
    return _figures(label or _("Total"), rows.get(None, {}))


def figures_by_sede(
    *, sedes: Sequence[Sede] | QuerySet[Sede], now: datetime | None = None
) -> tuple[list[Figures], Figures]:
    """Per sede and in total, for the enrollments of the learners of ``sedes``. One
    query, the aggregate grouped by sede, which also says whether some learner is in two
    of them (``shared``: memberships in scope beyond one per learner); only then a
    second, the total counted again (so that learner counts once)."""
    now = now or timezone.now()
    sedes = list(sedes)
    ids = [s.pk for s in sedes]
    rows = _figure_rows(by="sede", sede_ids=ids, now=now)
    result = [_figures(sede.name, rows.get(sede.pk, {}), sede) for sede in sedes]
    label = _("Todas las sedes")
    if any(row["shared"] for row in rows.values()):
        return result, total_figures(sedes=sedes, label=label, now=now)
    summed = {k: sum(row.get(k) or 0 for row in rows.values()) for k in (*FIELDS, "final_count")}
    summed["final_sum"] = sum((row.get("final_sum") or 0) for row in rows.values())
    return result, _figures(label, summed)


def figures_by_grupo(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupos: Iterable[Grupo],
    now: datetime | None = None,
) -> list[Figures]:
    """Per grupo (of ``grupos``, already in scope). One query."""
    now = now or timezone.now()
    grupos = list(grupos)
    rows = _figure_rows(
        by="grupo",
        sede_ids=_sede_ids(sedes),
        grupo_ids=[g.pk for g in grupos],
        now=now,
    )
    return [_figures(grupo.name, rows.get(grupo.pk, {}), grupo) for grupo in grupos]


def figures_by_course(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    now: datetime | None = None,
) -> list[Figures]:
    """Per course that learners in scope are enrolled in, most enrolled first. Two
    queries: the aggregate grouped by course and the course titles."""
    now = now or timezone.now()
    rows = _figure_rows(
        by="course",
        sede_ids=_sede_ids(sedes),
        grupo_ids=[grupo.pk] if grupo is not None else None,
        now=now,
    )
    titles = dict(CoursePage.objects.filter(pk__in=list(rows)).values_list("pk", "title"))
    ordered = sorted(rows.values(), key=lambda row: (-row["enrolled"], row["k"]))
    return [_figures(titles.get(row["k"], "—"), row, row["k"]) for row in ordered]


# --- Learners at risk, counted by the figures statement ----------------------------------


def at_risk_count_by_sede(
    *, sedes: Sequence[Sede] | QuerySet[Sede], now: datetime | None = None
) -> dict[int, int]:
    """Learners at risk (counted once however many of their courses are) per sede id,
    from the figures statement (one query); the weekly digest uses it."""
    rows = _figure_rows(by="sede", sede_ids=_sede_ids(sedes), now=now or timezone.now())
    return {sede_id: int(row["at_risk"] or 0) for sede_id, row in rows.items()}


def at_risk_learner_count(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    now: datetime | None = None,
) -> int:
    """Learners at risk in scope, each counted once. One query."""
    return total_figures(sedes=sedes, grupo=grupo, now=now).at_risk
