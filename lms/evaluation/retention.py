"""Retention and time to a credential: cohort retention curves, days from enrolling to
completing a course, and how far learners are toward the primaria credential.

Each function is a fixed number of queries whatever the number of learners: the
database groups the enrollments into small histograms (cohort × weeks, days to
completion, distinct sets of covered modules) and Python only reads those. A learner
counts through their membership of a grupo of ``sedes`` (``memberships_in_scope``: plain
learners only). Figures about fewer than ``min_group()`` learners are withheld
(``too_few``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    Expression,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courses import api as courses_api
from courses.read_models import CoursePage, CredentialRule, Module
from lms.enrollment import api as enrollment_api
from lms.enrollment.read_models import Enrollment, Grupo, Sede
from lms.evaluation.figures import (
    CompletionTime,
    CredentialFunnel,
    Period,
    RetentionCurve,
    min_group,
)

__all__ = ["credential_funnel", "retention_curves", "time_to_completion"]

# The credential the funnel measures: its rule's key in the curriculum data.
PRIMARIA_RULE_KEY = "primaria"
# Only corresponding courses cover their module (``CoursePage.counts_for_credentials``).
CORRESPONDE = "corresponde"

SECONDS_PER_DAY = 86_400
SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY


class WholeUnitsBetween(Func):
    """Whole ``unit_seconds`` from ``start`` to ``end`` (two datetimes), rounded down for
    non-negative spans (the callers never ask about negative ones): SQLite has no
    interval arithmetic (julianday gives days as a real), PostgreSQL no julianday."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, end: Any, start: Any, *, unit_seconds: int) -> None:
        super().__init__(end, start)
        self.unit_seconds = int(unit_seconds)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        # julianday() differences are reals: 7 days may come out as 6.9999999; counted in
        # whole milliseconds first, the integer division is exact.
        milliseconds = self.unit_seconds * 1000
        template = (
            "(CAST(ROUND((julianday(%(end)s) - julianday(%(start)s)) * 86400000.0) AS INTEGER)"
            f" / {milliseconds})"
        )
        return self._two_sided(compiler, connection, template)

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        unit = self.unit_seconds
        # DATE_PART is a double precision, EXTRACT a numeric (slower on 100,000 rows).
        template = f"FLOOR(DATE_PART('epoch', %(end)s - %(start)s) / {unit})::integer"
        return self._two_sided(compiler, connection, template)

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        raise NotImplementedError(f"WholeUnitsBetween: no SQL for {connection.vendor}")

    def _two_sided(self, compiler: Any, connection: Any, template: str) -> tuple[str, list[Any]]:
        end, start = self.get_source_expressions()
        end_sql, end_params = compiler.compile(end)
        start_sql, start_params = compiler.compile(start)
        sql = template.replace("%(end)s", end_sql).replace("%(start)s", start_sql)
        return sql, [*end_params, *start_params]


def _members(*, sedes: Sequence[Sede] | QuerySet[Sede], grupo: Grupo | None) -> QuerySet[Any]:
    """The plain learners of ``sedes`` (optionally one grupo), as a subquery of user ids."""
    return (
        enrollment_api.memberships_in_scope(sedes=sedes, grupo=grupo).values("user_id").order_by()
    )


def _enrollments(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None,
    period: Period | None,
) -> QuerySet[Enrollment]:
    """Enrollments of the learners in scope (withdrawn ones too: leaving is part of what
    retention measures), narrowed to those made in ``period`` (local dates, inclusive)."""
    enrollments = Enrollment.objects.filter(user_id__in=_members(sedes=sedes, grupo=grupo))
    if period is not None:
        zone = timezone.get_current_timezone()
        if period.start is not None:
            start = datetime.combine(period.start, time.min, tzinfo=zone)
            enrollments = enrollments.filter(enrolled_at__gte=start)
        if period.end is not None:
            after = datetime.combine(period.end + timedelta(days=1), time.min, tzinfo=zone)
            enrollments = enrollments.filter(enrolled_at__lt=after)
    return enrollments.order_by()


# --- Retention curves ----------------------------------------------------------------------


def retention_curves(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    period: Period | None = None,
    weeks: int = 12,
    now: datetime | None = None,
) -> list[RetentionCurve]:
    """One curve per cohort (enrollments made in the same calendar month, local time),
    oldest first: for each week ``w`` from 0 to ``weeks``, the percent of the cohort's
    enrollments still active ``w`` weeks after enrolling.

    An enrollment is still active at week ``w`` if its course is completed, or its last
    study activity (``CourseProgress.last_activity_at``) is at least ``w`` weeks after it
    was enrolled; week 0 is therefore the share who started at all. Only enrollments at
    least ``w`` weeks old count for week ``w`` (censoring), and a week is shown only when
    ``min_group()`` enrollments or more have reached it. A cohort of fewer learners than
    ``min_group()`` is ``too_few``, without points. ``n`` is the cohort's enrollments,
    ``learners`` its learners. One query.
    """
    weeks = max(int(weeks), 0)
    now = now or timezone.now()
    cohort = TruncMonth("enrolled_at", tzinfo=timezone.get_current_timezone())
    # The enrollment's own course progress: one LEFT JOIN on (user, course).
    enrollments = _enrollments(sedes=sedes, grupo=grupo, period=period).annotate(
        cp=FilteredRelation(
            "user__course_progress",
            condition=Q(user__course_progress__course_id=F("course_id")),
        )
    )
    age = WholeUnitsBetween(
        Value(now, output_field=DateTimeField()), F("enrolled_at"), unit_seconds=SECONDS_PER_WEEK
    )
    active: Expression = Case(
        When(completed_at__isnull=False, then=Value(weeks)),
        When(cp__last_activity_at__isnull=True, then=Value(-1)),
        When(cp__last_activity_at__lt=F("enrolled_at"), then=Value(-1)),
        default=WholeUnitsBetween(
            F("cp__last_activity_at"), F("enrolled_at"), unit_seconds=SECONDS_PER_WEEK
        ),
        output_field=IntegerField(),
    )
    cells = _histogram(
        enrollments.annotate(cohort=cohort, age=age, active=active),
        keys=["cohort", "age", "active"],
        per_learner=[cohort],
    )
    # cohort → (age in weeks, active weeks), both capped at ``weeks`` → enrollments
    table: dict[date, Counter[tuple[int, int]]] = defaultdict(Counter)
    learners: Counter[date] = Counter()
    for (month, age_weeks, active_weeks), n, people in cells:
        key = _as_date(month)
        table[key][(min(age_weeks, weeks), min(active_weeks, weeks))] += n
        learners[key] += people
    smallest = min_group()
    curves = []
    for month in sorted(table):
        counts = table[month]
        n = sum(counts.values())
        label = _month_label(month)
        people = learners[month]
        if people < smallest:
            curves.append(
                RetentionCurve(key=month, label=label, n=n, too_few=True, learners=people)
            )
            continue
        points = []
        for week in range(weeks + 1):
            reached = sum(c for (age_w, _a), c in counts.items() if age_w >= week)
            if reached < smallest:
                break
            still = sum(c for (age_w, act_w), c in counts.items() if min(age_w, act_w) >= week)
            points.append((week, round(100 * still / reached, 1)))
        curves.append(
            RetentionCurve(
                key=month, label=label, n=n, too_few=False, points=points, learners=people
            )
        )
    return curves


def _histogram(
    rows: QuerySet[Enrollment], *, keys: list[str], per_learner: list[Any]
) -> list[tuple[tuple[Any, ...], int, int]]:
    """``rows`` grouped by ``keys`` (annotations): each group's values, its rows and its
    learners, in one statement. A learner is counted in the group of their first row
    among those with the same ``per_learner`` values (a window numbers them), so the
    learners of groups sharing those values add up without counting anyone twice."""
    numbered = rows.annotate(
        first_of_learner=Window(
            RowNumber(), partition_by=[F("user_id"), *per_learner], order_by=F("pk").asc()
        )
    ).values(*keys, "first_of_learner")
    try:
        inner, params = numbered.query.sql_with_params()
    except EmptyResultSet:
        return []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(key) for key in keys)
    sql = (
        f"SELECT {columns}, COUNT(*), "  # noqa: S608 - quoted names; the ORM's SQL and params
        f"SUM(CASE WHEN {quote('first_of_learner')} = 1 THEN 1 ELSE 0 END) "
        f"FROM ({inner}) numbered GROUP BY {columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (tuple(row[: len(keys)]), int(row[-2]), int(row[-1] or 0)) for row in cursor.fetchall()
        ]


def _as_date(value: Any) -> date:
    """A truncated month as the database driver returns it outside the ORM: a datetime
    (PostgreSQL) or its text (SQLite)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def _month_label(month: date) -> str:
    """ "marzo de 2026" in the active language (Django's YEAR_MONTH_FORMAT)."""
    return str(formats.date_format(month, "YEAR_MONTH_FORMAT"))


# --- Time to completion --------------------------------------------------------------------


def time_to_completion(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    period: Period | None = None,
    label: str = "",
) -> CompletionTime:
    """Whole days from enrolling to completing a course, over the completed enrollments
    in scope: the median and the quartiles (linear interpolation between the nearest
    ranks, as ``statistics.quantiles(method="inclusive")``). ``n`` is the completed
    enrollments, ``learners`` who completed them; fewer learners than ``min_group()``:
    ``too_few``. One query: a histogram by day, with the learners."""
    completed = _enrollments(sedes=sedes, grupo=grupo, period=period).filter(
        completed_at__isnull=False
    )
    days = Case(
        When(completed_at__lt=F("enrolled_at"), then=Value(0)),
        default=WholeUnitsBetween(
            F("completed_at"), F("enrolled_at"), unit_seconds=SECONDS_PER_DAY
        ),
        output_field=IntegerField(),
    )
    cells = _histogram(completed.annotate(days=days), keys=["days"], per_learner=[])
    histogram = sorted((days, n) for (days,), n, _people in cells)
    learners = sum(people for _key, _n, people in cells)
    n = sum(count for _days, count in histogram)
    label = label or _("Total")
    if learners < min_group():
        return CompletionTime(label=label, n=n, too_few=True, learners=learners)
    return CompletionTime(
        label=label,
        n=n,
        too_few=False,
        median_days=quantile(histogram, 0.5),
        q1_days=quantile(histogram, 0.25),
        q3_days=quantile(histogram, 0.75),
        learners=learners,
    )


def quantile(histogram: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """The ``fraction`` quantile of the values a histogram describes ((value, count)
    pairs), interpolating between the two nearest ranks (rank ``fraction × (n − 1)``
    counted from 0), without expanding the histogram. None when it is empty."""
    pairs = sorted((value, count) for value, count in histogram if count > 0)
    n = sum(count for _value, count in pairs)
    if n == 0:
        return None

    def value_at(rank: int) -> int:
        seen = 0
        for value, count in pairs:
            seen += count
            if rank < seen:
                return value
        return pairs[-1][0]

    position = fraction * (n - 1)
    below = int(position)
    low, high = value_at(below), value_at(min(below + 1, n - 1))
    return float(low + (high - low) * (position - below))


# --- The credential funnel -----------------------------------------------------------------


def credential_funnel(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    label: str = "",
) -> CredentialFunnel:
    """Learners in scope, and among them those whose completed courses cover at least one
    curriculum module, half of the primaria credential's modules or more, and all of
    them (the rule keyed ``primaria``, as ``credentials_progress`` fills it: each module
    counts once, toward one credential, the lower first). Only a course that corresponds
    to its module covers it. Fewer learners than ``min_group()``: ``too_few``.

    A fixed number of queries: the learners, the covering courses with their modules,
    the distinct sets of modules covered with how many learners have each
    (``_module_sets``), the modules and the rules with their requirements; the rules are
    filled once per kind of set (learners share them: they follow the same courses)."""
    label = label or _("Total")
    members = _members(sedes=sedes, grupo=grupo)
    learners = (
        enrollment_api.memberships_in_scope(sedes=sedes, grupo=grupo).aggregate(
            n=Count("user_id", distinct=True)
        )["n"]
        or 0
    )
    if learners < min_group():
        return CredentialFunnel(label=label, learners=learners, too_few=True)
    module_of = dict(
        CoursePage.objects.filter(module__isnull=False, alignment=CORRESPONDE).values_list(
            "pk", "module_id"
        )
    )
    sets = _module_sets(members=members, module_of=module_of)
    one_module = sum(sets.values())
    halfway = complete = 0
    if sets:
        modules = {m.pk: m for m in Module.objects.filter(pk__in=set().union(*sets))}
        frameworks = {m.framework_id for m in modules.values()}
        rules = list(
            CredentialRule.objects.filter(framework_id__in=frameworks).prefetch_related(
                "requirements__levels"
            )
        )
        # Filling a rule depends only on how many modules of each kind and level there
        # are: sets with the same counts are filled once.
        by_shape: dict[frozenset[tuple[tuple[str, int | None], int]], list[Any]] = {}
        for module_ids, count in sets.items():
            covered_modules = [modules[pk] for pk in module_ids if pk in modules]
            shape = frozenset(Counter((m.kind, m.level_id) for m in covered_modules).items())
            if shape not in by_shape:
                by_shape[shape] = [covered_modules, 0]
            by_shape[shape][1] += count
        for covered_modules, count in by_shape.values():
            progress = courses_api.credentials_progress(rules=rules, modules=covered_modules)
            primaria = [p for p in progress if p.rule.key == PRIMARIA_RULE_KEY]
            if any(2 * p.done >= p.total for p in primaria):
                halfway += count
            if any(p.complete for p in primaria):
                complete += count
    return CredentialFunnel(
        label=label,
        learners=learners,
        too_few=False,
        one_module=one_module,
        halfway=halfway,
        all_modules=complete,
    )


# Sets of modules are bit masks in SQL while every covered module fits in a BIGINT.
MAX_MASK_BITS = 62


def _module_sets(*, members: QuerySet[Any], module_of: dict[int, int]) -> Counter[frozenset[int]]:
    """The distinct sets of modules that learners' completed courses cover, each with how
    many learners cover exactly that set (learners with none are left out). One query: in
    SQL each learner's modules become a bit mask (the sum of their distinct bits) and the
    masks are counted, so a few hundred rows come back, not a row per completion."""
    if not module_of:
        return Counter()
    completed = Enrollment.objects.filter(
        user_id__in=members, completed_at__isnull=False, course_id__in=list(module_of)
    ).order_by()
    module_ids = sorted(set(module_of.values()))
    if len(module_ids) > MAX_MASK_BITS:
        covered: dict[int, set[int]] = defaultdict(set)
        for user_id, course_id in completed.values_list("user_id", "course_id").distinct():
            covered[user_id].add(module_of[course_id])
        return Counter(frozenset(modules) for modules in covered.values())
    bit_of = {module_id: 1 << index for index, module_id in enumerate(module_ids)}
    bit = Case(
        *[
            When(course_id=course, then=Value(bit_of[module]))
            for course, module in module_of.items()
        ],
        output_field=BigIntegerField(),
    )
    try:
        inner, params = (
            completed.annotate(bit=bit).values("user_id", "bit").distinct().query.sql_with_params()
        )
    except EmptyResultSet:
        return Counter()
    quote = connection.ops.quote_name
    sql = (
        f"SELECT mask, COUNT(*) FROM (SELECT {quote('user_id')}, SUM({quote('bit')}) AS mask "  # noqa: S608 - quoted names; the ORM's SQL and params
        f"FROM ({inner}) bits GROUP BY {quote('user_id')}) masks GROUP BY mask"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    sets: Counter[frozenset[int]] = Counter()
    for mask, count in rows:
        mask = int(mask)
        sets[frozenset(m for m in module_ids if mask & bit_of[m])] += int(count)
    return sets


def funnel_steps(funnel: CredentialFunnel) -> list[tuple[str, int]]:
    """The funnel's steps with their labels, for its chart and table."""
    return [
        (_("Educandos"), funnel.learners),
        (_("Con al menos un módulo cubierto"), funnel.one_module),
        (_("A la mitad de la primaria"), funnel.halfway),
        (_("Todos los módulos de la primaria"), funnel.all_modules),
    ]
