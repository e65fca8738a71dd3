"""Coordinator dashboard figures, aggregated in the database: a fixed number of queries
whatever the number of sedes, learners or enrollments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.assessments.api import Attempt
from lms.certificates.api import Certificate
from lms.enrollment.api import Enrollment
from lms.progress.api import CourseProgress


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

    @property
    def completion_rate(self) -> int:
        return round(100 * self.completed / self.enrolled) if self.enrolled else 0


FIELDS = ("enrolled", "active_7", "active_30", "started", "halfway", "completed", "certified")


def _annotated(enrollments, now):
    progress = CourseProgress.objects.filter(
        user_id=OuterRef("user_id"), course_id=OuterRef("course_id")
    )
    best_final = (
        Attempt.objects.filter(
            user_id=OuterRef("user_id"),
            course_id=OuterRef("course_id"),
            assessment_id=OuterRef("course__final_assessment_id"),
        )
        .order_by("-score")
        .values("score")[:1]
    )
    return enrollments.filter(withdrawn_at__isnull=True).annotate(
        last=Subquery(progress.values("last_activity_at")[:1]),
        percent=Subquery(progress.values("percent")[:1]),
        is_certified=Exists(
            Certificate.objects.filter(enrollment_id=OuterRef("pk"), revoked_at__isnull=True)
        ),
        final=Subquery(best_final),
    )


def _aggregates(now):
    return {
        "enrolled": Count("pk", distinct=True),
        "active_7": Count("pk", filter=Q(last__gte=now - timedelta(days=7)), distinct=True),
        "active_30": Count("pk", filter=Q(last__gte=now - timedelta(days=30)), distinct=True),
        "started": Count("pk", filter=Q(last__isnull=False), distinct=True),
        "halfway": Count("pk", filter=Q(percent__gte=50), distinct=True),
        "completed": Count("pk", filter=Q(completed_at__isnull=False), distinct=True),
        "certified": Count("pk", filter=Q(is_certified=True), distinct=True),
        "average_final": Avg("final"),
    }


def figures_by_sede(*, sedes, now=None) -> tuple[list[Figures], Figures]:
    """Per sede and in total, for the enrollments of the learners of ``sedes``. Two
    queries: the sedes, one aggregate grouped by sede and one for the total."""
    now = now or timezone.now()
    sedes = list(sedes)
    enrollments = _annotated(
        Enrollment.objects.filter(user__memberships__grupo__sede__in=sedes), now
    )
    rows = {
        row["sede"]: row
        for row in enrollments.annotate(sede=F("user__memberships__grupo__sede_id"))
        .values("sede")
        .annotate(**_aggregates(now))
    }
    result = []
    for sede in sedes:
        row = rows.get(sede.pk, {})
        result.append(
            Figures(
                sede.name,
                **{k: row.get(k) or 0 for k in FIELDS},
                average_final=row.get("average_final"),
            )
        )
    # The total is counted again, not summed: a learner in two sedes counts once.
    overall = enrollments.aggregate(**_aggregates(now))
    total = Figures(
        _("Todas las sedes"),
        **{k: overall.get(k) or 0 for k in FIELDS},
        average_final=overall.get("average_final"),
    )
    return result, total
