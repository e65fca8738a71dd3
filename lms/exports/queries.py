"""The rows of each export, straight from the database, always limited to the
requesting person's scope.

Rows come from one query (``values_list(...).iterator()``) whose joins and subqueries
bring every column (course and page titles included), so the number of queries never
depends on the number of rows and memory stays bounded however large the export. The same
rows feed the file writers (``files``), the export jobs (``jobs``) and the JSON API.

Scope is decided here, from ``user`` (``enrollment_api.sedes_in_scope``), every time:
filters can only narrow it. A sede or grupo outside the scope simply matches nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from lms.assessments.read_models import Attempt
from lms.certificates import api as certificates_api
from lms.certificates import read_models as certificates_models
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models
from lms.exports.columns import (
    CERTIFICATE_COLUMNS,
    ENROLLMENT_COLUMNS,
    PROGRESS_COLUMNS,
    STATUS_LABELS,
    Column,
)
from lms.exports.filters import ExportFilters
from lms.exports.models import ExportKind
from lms.progress.read_models import LessonProgress

CHUNK_SIZE = 2000  # rows fetched from the database per round trip
SCORE_PLACES = Decimal("0.01")


def _local_range(filters: ExportFilters) -> tuple[datetime | None, datetime | None]:
    """Inclusive local dates → [start, end) aware datetimes in ``settings.TIME_ZONE``."""
    tz = timezone.get_default_timezone()
    start = end = None
    if filters.desde:
        start = timezone.make_aware(datetime.combine(filters.desde, time.min), tz)
    if filters.hasta:
        end = timezone.make_aware(datetime.combine(filters.hasta + timedelta(days=1), time.min), tz)
    return start, end


def _scoped(queryset: QuerySet, *, user, filters: ExportFilters, to_user: str, when: str):
    """Keep the rows of plain learners in grupos of ``user``'s sedes, one row per such
    membership. Every condition on the membership goes in ONE ``filter()`` call, so they
    apply to the same joined membership (separate calls would join again)."""
    membership = f"{to_user}memberships__grupo"
    conditions: dict[str, Any] = {
        f"{membership}__sede__in": enrollment_api.sedes_in_scope(user=user),
        f"{to_user}pk__in": enrollment_api.plain_learners().values("pk"),
    }
    if filters.sede_id is not None:
        conditions[f"{membership}__sede_id"] = filters.sede_id
    if filters.grupo_id is not None:
        conditions[f"{membership}_id"] = filters.grupo_id
    start, end = _local_range(filters)
    if start:
        conditions[f"{when}__gte"] = start
    if end:
        conditions[f"{when}__lt"] = end
    return queryset.filter(**conditions)


def _membership_fields(to_user: str) -> tuple[list[str], list[str]]:
    """Values and ordering for sede, grupo and username."""
    grupo = f"{to_user}memberships__grupo"
    values = [f"{grupo}__sede__name", f"{grupo}__name", f"{to_user}username"]
    ordering = [
        f"{grupo}__sede__name",
        f"{grupo}__sede_id",
        f"{grupo}__name",
        f"{grupo}_id",
        f"{to_user}username",
    ]
    return values, ordering


def _local(moment: datetime | None) -> datetime | None:
    return timezone.localtime(moment, timezone.get_default_timezone()) if moment else None


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else round(seconds / 60)


def _enrollments(user, filters: ExportFilters) -> tuple[QuerySet, QuerySet, Callable]:
    base = _scoped(
        enrollment_models.Enrollment.objects.all(),
        user=user,
        filters=filters,
        to_user="user__",
        when="enrolled_at",
    )
    if filters.curso_id is not None:
        base = base.filter(course_id=filters.curso_id)
    best_final = (
        Attempt.objects.filter(
            user_id=OuterRef("user_id"),
            course_id=OuterRef("course_id"),
            assessment_id=OuterRef("course__final_assessment_id"),
        )
        .order_by("-score")
        .values("score")[:1]
    )
    valid_folio = certificates_models.Certificate.objects.filter(
        enrollment_id=OuterRef("pk"), revoked_at__isnull=True
    ).values("folio")[:1]
    values, ordering = _membership_fields("user__")
    rows = (
        base.annotate(
            # The learner's CourseProgress for this course: one LEFT JOIN on
            # (user, course) instead of a subquery per column.
            cp=FilteredRelation(
                "user__course_progress",
                condition=Q(user__course_progress__course_id=F("course_id")),
            ),
            best_final=Subquery(best_final),
            valid_folio=Subquery(valid_folio),
        )
        .order_by(*ordering, "enrolled_at", "pk")
        .values_list(
            *values,
            "user__display_name",
            "user__first_name",
            "user__last_name",
            "user__email",
            "user__phone",
            "course__title",
            "course__module__key",
            "enrolled_at",
            "withdrawn_at",
            "completed_at",
            "cp__percent",
            "cp__required_done",
            "cp__required_total",
            "cp__time_spent_seconds",
            "cp__last_activity_at",
            "best_final",
            "valid_folio",
        )
    )

    def convert(row):
        (
            sede,
            grupo,
            username,
            display_name,
            first_name,
            last_name,
            email,
            phone,
            course,
            module,
            enrolled_at,
            withdrawn_at,
            completed_at,
            percent,
            done,
            required,
            seconds,
            last_activity,
            best,
            folio,
        ) = row
        # User.public_name, without loading users.
        name = display_name or f"{first_name} {last_name}".strip() or username
        if withdrawn_at:
            status = "dada_de_baja"
        elif completed_at:
            status = "concluida"
        else:
            status = "activa"
        return (
            sede,
            grupo,
            username,
            name,
            email or None,
            phone or None,
            course,
            module,
            _local(enrolled_at),
            _local(withdrawn_at),
            status,
            percent,
            done,
            required,
            _minutes(seconds),
            _local(last_activity),
            _local(completed_at),
            None if best is None else Decimal(str(best)).quantize(SCORE_PLACES),
            folio,
        )

    return base, rows, convert


def _page_title(field_name: str):
    return Subquery(Page.objects.filter(pk=OuterRef(field_name)).values("title")[:1])


def _progress(user, filters: ExportFilters) -> tuple[QuerySet, QuerySet, Callable]:
    base = _scoped(
        LessonProgress.objects.all(),
        user=user,
        filters=filters,
        to_user="user__",
        when="last_activity_at",
    )
    if filters.curso_id is not None:
        base = base.filter(course_id=filters.curso_id)
    values, ordering = _membership_fields("user__")
    rows = (
        base.annotate(
            course_title=_page_title("course_id"),
            page_title=_page_title("page_id"),
            # A page's tree path sorts lessons in course order.
            page_path=Subquery(Page.objects.filter(pk=OuterRef("page_id")).values("path")[:1]),
        )
        .order_by(*ordering, "page_path", "pk")
        .values_list(
            *values,
            "course_title",
            "page_title",
            "status",
            "started_at",
            "completed_at",
            "time_spent_seconds",
        )
    )

    def convert(row):
        sede, grupo, username, course, page, status, started, completed, seconds = row
        return (
            sede,
            grupo,
            username,
            course,
            page,
            "terminada" if status == "completed" else "empezada",
            _local(started),
            _local(completed),
            _minutes(seconds),
        )

    return base, rows, convert


def _verification_url() -> Callable[[str], str]:
    """The public verification address of a folio, built with one ``reverse``."""
    marker = "FOLIO0MARCA"
    template = certificates_api.public_url(reverse("certificates:verify", args=[marker]))
    head, _sep, tail = template.partition(marker)
    return lambda folio: f"{head}{folio}{tail}"


def _certificates(user, filters: ExportFilters) -> tuple[QuerySet, QuerySet, Callable]:
    base = _scoped(
        certificates_models.Certificate.objects.all(),
        user=user,
        filters=filters,
        to_user="enrollment__user__",
        when="issued_at",
    )
    if filters.curso_id is not None:
        base = base.filter(enrollment__course_id=filters.curso_id)
    values, ordering = _membership_fields("enrollment__user__")
    rows = base.order_by(*ordering, "issued_at", "pk").values_list(
        *values, "learner_name", "course_title", "folio", "issued_at", "revoked_at"
    )
    verification = _verification_url()

    def convert(row):
        sede, grupo, username, name, course, folio, issued, revoked = row
        return (
            sede,
            grupo,
            username,
            name,
            course,
            folio,
            _local(issued),
            "anulada" if revoked else "vigente",
            _local(revoked),
            verification(folio),
        )

    return base, rows, convert


KINDS = {
    ExportKind.ENROLLMENTS: (ENROLLMENT_COLUMNS, _enrollments),
    ExportKind.PROGRESS: (PROGRESS_COLUMNS, _progress),
    ExportKind.CERTIFICATES: (CERTIFICATE_COLUMNS, _certificates),
}


@dataclass
class ExportQuery:
    """The rows of one export, not yet run. ``count()`` and ``[a:b]`` make it usable by
    DRF's paginators; ``rows()`` streams every row with a server-side cursor."""

    kind: str
    columns: list[Column]
    base: QuerySet  # the filtered rows, without the display columns (for counting)
    queryset: QuerySet  # values_list of every column
    convert: Callable[[tuple], tuple]

    @property
    def headers(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    def count(self) -> int:
        return self.base.count()

    def raw_rows(self, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
        """Rows with stable codes (``estado`` as "activa", "dada_de_baja"…) and aware local
        datetimes: the JSON API's values."""
        convert = self.convert
        for row in self.queryset.iterator(chunk_size=chunk_size):
            yield convert(row)

    def rows(self, chunk_size: int = CHUNK_SIZE) -> Iterator[tuple]:
        """Rows as the files show them: ``estado`` as a Spanish label."""
        status_at = [i for i, column in enumerate(self.columns) if column.type == "status"]
        labels = {code: str(label) for code, label in STATUS_LABELS.items()}
        for row in self.raw_rows(chunk_size):
            if status_at:
                row = list(row)
                for index in status_at:
                    row[index] = labels.get(row[index], row[index])
                row = tuple(row)
            yield row

    def __getitem__(self, key: slice) -> list[tuple]:
        if not isinstance(key, slice):
            raise TypeError("ExportQuery only supports slices")
        return [self.convert(row) for row in self.queryset[key]]

    def records(self, rows) -> list[dict]:
        """JSON objects for raw rows: datetimes ISO 8601 with offset, scores as numbers."""
        keys = [column.key for column in self.columns]
        return [
            {
                key: (
                    value.isoformat(timespec="seconds")
                    if isinstance(value, datetime)
                    else float(value)
                    if isinstance(value, Decimal)
                    else value
                )
                for key, value in zip(keys, row, strict=True)
            }
            for row in rows
        ]


def build_query(*, kind: str, user, filters: ExportFilters | None = None) -> ExportQuery:
    """The export ``kind`` for ``user``'s scope narrowed by ``filters``. Runs no query."""
    try:
        columns, make = KINDS[ExportKind(kind)]
    except ValueError:
        raise ValueError(f"unknown export kind: {kind!r}") from None
    base, queryset, convert = make(user, filters or ExportFilters())
    return ExportQuery(str(kind), columns, base, queryset, convert)


def count_rows(*, kind: str, user, filters: ExportFilters | None = None) -> int:
    """How many rows the export has (one query)."""
    return build_query(kind=kind, user=user, filters=filters).count()


def export_rows(
    *, kind: str, user, filters: ExportFilters | None = None
) -> tuple[list[str], Iterator[tuple]]:
    """Spanish headers and an iterator of rows (tuples of str, int, Decimal, aware local
    datetime or None), exactly what the files contain. One query, run lazily."""
    query = build_query(kind=kind, user=user, filters=filters)
    return query.headers, query.rows()
