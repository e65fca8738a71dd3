"""Learners at risk: the rules (``AULA_AT_RISK_DAYS``, ``AULA_AT_RISK_FAILED_ATTEMPTS``)
and the list of at-risk enrollments the coordinator works through.

The counts of learners at risk come from the figures statement (``figures``), which
applies the same rules in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

from django.conf import settings
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
)
from django.utils import timezone
from wagtail.models import Page

from lms.assessments.read_models import Attempt
from lms.coordination.learners import _members
from lms.enrollment.read_models import Enrollment, Membership

if TYPE_CHECKING:
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
        Enrollment.objects.filter(
            withdrawn_at__isnull=True,
            completed_at__isnull=True,
            user_id__in=_members(sedes, grupo),
            user__is_active=True,
        )
        .annotate(
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
        .filter(Q(inactive=True) | Q(failing=True))
        .order_by(F("last").asc(nulls_first=True), "enrolled_at", "pk")
    )


def at_risk_rows(
    *,
    sedes: Sequence[Sede] | QuerySet[Sede],
    grupo: Grupo | None = None,
    days: int | None = None,
) -> QuerySet[WithAnnotations[Enrollment, AtRiskRowAnnotations]]:
    """``at_risk`` with what the list shows: the learner, the course and the learner's
    latest grupo in scope."""
    return (
        at_risk(sedes=sedes, grupo=grupo, days=days)
        .select_related("user", "course")
        .annotate(
            grupo_name=Subquery(
                Membership.objects.filter(user_id=OuterRef("user_id"), grupo__sede__in=sedes)
                .order_by("-joined_at")
                .values("grupo__name")[:1]
            )
        )
    )


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
