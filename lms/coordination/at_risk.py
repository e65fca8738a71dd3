"""Learners at risk: the rules (``AULA_AT_RISK_DAYS``, ``AULA_AT_RISK_FAILED_ATTEMPTS``)
and the list of at-risk enrollments the coordinator works through.

The counts of learners at risk come from the figures statement (``figures``), which
applies the same rules in SQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
from django.core.paginator import Page as DjangoPage
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.utils import timezone
from wagtail.models import Page

from lms.assessments.read_models import Attempt
from lms.coordination.learners import _members
from lms.enrollment.read_models import Enrollment, Membership

if TYPE_CHECKING:
    from django.core.paginator import Page
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations

    from lms.enrollment.read_models import Grupo, Sede

# --- The rules ----------------------------------------------------------------------------


def at_risk_days() -> int:
    return int(getattr(settings, "AULA_AT_RISK_DAYS", 14))


def at_risk_failed_attempts() -> int:
    return int(getattr(settings, "AULA_AT_RISK_FAILED_ATTEMPTS", 2))


# --- The list -----------------------------------------------------------------------------


def _repeatedly_failed() -> Exists:
    """Per enrollment: some assessment of the course failed at least N times and never
    passed. Reads only the covering index of attempts."""
    return Exists(
        Attempt.objects.filter(user_id=OuterRef("user_id"), course_id=OuterRef("course_id"))
        .values("assessment_id")
        .annotate(
            fails=Count("pk", filter=Q(passed=False)),
            passes=Count("pk", filter=Q(passed=True)),
        )
        .filter(fails__gte=at_risk_failed_attempts(), passes=0)
    )


class AtRiskAnnotations(TypedDict):
    """What ``at_risk`` adds to each enrollment."""

    last: datetime | None
    last_page_id: int | None
    inactive: bool
    failing: bool


class AtRiskRowAnnotations(AtRiskAnnotations):
    """What ``at_risk_rows`` adds to each enrollment."""

    grupo_name: str | None


def _with_risk(
    enrollments: QuerySet[Enrollment], *, cutoff: datetime
) -> QuerySet[WithAnnotations[Enrollment, AtRiskAnnotations]]:
    """``enrollments`` annotated with ``last``, ``last_page_id``, ``failing`` and
    ``inactive`` (see ``at_risk``)."""
    return (
        enrollments.annotate(
            # The learner's progress in this course: one LEFT JOIN on (user, course).
            cp=FilteredRelation(
                "user__course_progress",
                condition=Q(user__course_progress__course_id=F("course_id")),
            ),
        )
        .annotate(
            last=F("cp__last_activity_at"),
            last_page_id=F("cp__last_page_id"),
            failing=_repeatedly_failed(),
        )
        .annotate(
            inactive=ExpressionWrapper(
                Q(last__lt=cutoff) | Q(last__isnull=True, enrolled_at__lt=cutoff),
                output_field=BooleanField(),
            ),
        )
    )


_ORDER = (F("last").asc(nulls_first=True), "enrolled_at", "pk")


def at_risk(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    days: int | None = None,
    now: datetime | None = None,
) -> QuerySet[WithAnnotations[Enrollment, AtRiskAnnotations]]:
    """Active, unfinished enrollments of learners in scope who have not studied the course
    for ``days`` days (counting from enrolling if they never started; default
    ``AULA_AT_RISK_DAYS``) or who failed one of its assessments repeatedly
    (``AULA_AT_RISK_FAILED_ATTEMPTS``) without passing it. Longest inactive first.

    Each row is annotated with ``last`` (last activity), ``last_page_id``, ``inactive``
    (True when the inactivity rule holds) and ``failing`` (the attempts rule)."""
    now = now or timezone.now()
    days = at_risk_days() if days is None else days
    cutoff = now - timedelta(days=days)
    return (
        _with_risk(
            Enrollment.objects.filter(
                withdrawn_at__isnull=True,
                completed_at__isnull=True,
                user_id__in=_members(sedes, grupo),
                user__is_active=True,
            ),
            cutoff=cutoff,
        )
        .filter(Q(inactive=True) | Q(failing=True))
        .order_by(*_ORDER)
    )


def _with_row_details(
    enrollments: QuerySet[WithAnnotations[Enrollment, AtRiskAnnotations]],
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
) -> QuerySet[WithAnnotations[Enrollment, AtRiskRowAnnotations]]:
    return enrollments.select_related("user", "course").annotate(
        grupo_name=Subquery(
            Membership.objects.filter(user_id=OuterRef("user_id"), grupo__sede__in=sedes)
            .order_by("-joined_at")
            .values("grupo__name")[:1]
        )
    )


def at_risk_rows(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    days: int | None = None,
) -> QuerySet[WithAnnotations[Enrollment, AtRiskRowAnnotations]]:
    """``at_risk`` with what the list shows: the learner, the course and the learner's
    latest grupo in scope."""
    return _with_row_details(at_risk(sedes=sedes, grupo=grupo, days=days), sedes=sedes)


def at_risk_page(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    days: int | None = None,
    number: object = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> Page[WithAnnotations[Enrollment, AtRiskRowAnnotations]]:
    """One page of ``at_risk_rows`` (``number`` as ``Paginator.get_page`` takes it: an
    invalid one is the first page, one past the end the last), with the same rows, order
    and count. Two queries: the ids of the page with the total (``COUNT(*) OVER ()``),
    computed on the narrow rows of ``at_risk`` only, then those rows with the learner,
    the course and the grupo. The wide rows (learner and course columns) are never
    joined, sorted or counted for every enrollment at risk, which on 10,000 learners
    took as long as the list itself. A page past the end costs one count more."""
    now = now or timezone.now()
    days = at_risk_days() if days is None else days
    narrow = at_risk(sedes=sedes, grupo=grupo, days=days, now=now)
    try:
        wanted = max(int(str(number)), 1)
    except ValueError:
        wanted = 1

    def ids_and_total(page_number: int) -> tuple[list[int], int | None]:
        start = (page_number - 1) * per_page
        found = list(
            narrow.annotate(total=Window(Count("*"))).values_list("pk", "total")[
                start : start + per_page
            ]
        )
        return [pk for pk, _total in found], (found[0][1] if found else None)

    ids, total = ids_and_total(wanted)
    if total is None and wanted > 1:
        # Past the end (or the list shrank): the last page, as ``get_page`` does.
        total = narrow.count()
        wanted = max(math.ceil(total / per_page), 1)
        ids, total = ids_and_total(wanted) if total else ([], 0)
    paginator: Paginator[WithAnnotations[Enrollment, AtRiskRowAnnotations]] = Paginator(
        [], per_page
    )
    paginator.count = total or 0  # a cached_property: known here, not counted again
    rows = (
        list(
            _with_row_details(
                _with_risk(
                    Enrollment.objects.filter(pk__in=ids), cutoff=now - timedelta(days=days)
                ),
                sedes=sedes,
            ).order_by(*_ORDER)
        )
        if ids
        else []
    )
    return DjangoPage(rows, min(wanted, paginator.num_pages), paginator)


def describe_at_risk(
    rows: Iterable[WithAnnotations[Enrollment, AtRiskRowAnnotations]],
    *,
    now: datetime | None = None,
) -> None:
    """Add ``last_title`` (the page they were last on) and ``days_inactive`` to a page of
    ``at_risk_rows``. One query for the titles."""
    now = now or timezone.now()
    rows = list(rows)
    titles = page_titles(page_ids={r.last_page_id for r in rows if r.last_page_id})
    for row in rows:
        last_title = titles.get(row.last_page_id) if row.last_page_id is not None else None
        # Attributes for the template, not annotations of the query.
        row.last_title = last_title  # type: ignore[attr-defined]
        row.days_inactive = (now - (row.last or row.enrolled_at)).days  # type: ignore[attr-defined]


def page_titles(*, page_ids: Iterable[int]) -> dict[int, str]:
    """Titles of pages (lessons, assessments), in one query."""
    return dict(Page.objects.filter(pk__in=list(page_ids)).values_list("pk", "title"))
