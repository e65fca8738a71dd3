"""Exports for coordinators: enrollments, progress per lesson and certificates, as CSV or
XLSX, always limited to the requesting person's scope.

Rows come straight from the database: one query (``values_list(...).iterator()``) whose
joins and subqueries bring every column (course and page titles included), so the number
of queries never depends on the number of rows and memory stays bounded however large the
export. The same rows feed the file writers, the export jobs (Celery) and the JSON API.

Entry points (keyword-only after ``kind``; ``kind`` is an ``ExportKind`` value, ``filters``
an ``ExportFilters`` or None)::

    export_rows(kind, *, user, filters=None) -> (headers, iterator of tuples)
    count_rows(kind, *, user, filters=None) -> int
    write_csv(kind, *, user, filters=None, out) -> int      # out: binary file
    write_xlsx(kind, *, user, filters=None, out) -> int     # out: binary file (seekable)
    stream_csv(kind, *, user, filters=None) -> iterator of bytes
    build_job(*, job_id) / fail_job(*, job_id, message) / delete_old_jobs(*, now=None)

Scope is decided here, from ``user`` (``enrollment_api.sedes_in_scope``), every time:
filters can only narrow it. A sede or grupo outside the scope simply matches nothing.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from django import forms
from django.conf import settings
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from wagtail.models import Page

from courses import api as courses_api
from lms.assessments.api import Attempt
from lms.certificates import api as certificates_api
from lms.enrollment import api as enrollment_api
from lms.progress.api import LessonProgress
from lms.reports.models import ExportFormat, ExportJob, ExportKind, ExportStatus

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000  # rows fetched from the database per round trip
CSV_FLUSH_ROWS = 500  # rows per chunk of a streamed CSV
CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
SCORE_PLACES = Decimal("0.01")
BOM = "\ufeff".encode()
# What a storage outage looks like (local disk, S3): the build task retries on these.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


# --- Filters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFilters:
    """What a coordinator asked for. Dates are local dates (``settings.TIME_ZONE``),
    both inclusive. Ids are not trusted: scope is applied on top of them."""

    desde: date | None = None
    hasta: date | None = None
    sede_id: int | None = None
    grupo_id: int | None = None
    curso_id: int | None = None

    def as_json(self) -> dict:
        """For ``ExportJob.filters``: dates as ISO strings, empty values left out."""
        data = asdict(self)
        return {
            key: value.isoformat() if isinstance(value, date) else value
            for key, value in data.items()
            if value is not None
        }

    @classmethod
    def from_json(cls, data: dict | None) -> ExportFilters:
        data = data or {}

        def day(key):
            return date.fromisoformat(data[key]) if data.get(key) else None

        def number(key):
            return int(data[key]) if data.get(key) not in (None, "") else None

        return cls(
            desde=day("desde"),
            hasta=day("hasta"),
            sede_id=number("sede_id"),
            grupo_id=number("grupo_id"),
            curso_id=number("curso_id"),
        )


class _GrupoChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} — {obj.sede.name}"


DATE_INVALID = gettext_lazy("Escriba la fecha como AAAA-MM-DD, por ejemplo 2026-11-28.")


class FiltersForm(forms.Form):
    """The filters of an export (the export page and the JSON API share it). Choices are
    limited to ``user``'s scope, so a sede or grupo of someone else is a form error."""

    desde = forms.DateField(
        label=gettext_lazy("Desde"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )
    hasta = forms.DateField(
        label=gettext_lazy("Hasta"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_INVALID},
    )
    sede = forms.ModelChoiceField(
        label=gettext_lazy("Sede"),
        queryset=enrollment_api.Sede.objects.none(),
        required=False,
        empty_label=gettext_lazy("Todas mis sedes"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Esa sede no existe o no es una de las sedes que usted coordina."
            )
        },
    )
    grupo = _GrupoChoiceField(
        label=gettext_lazy("Grupo"),
        queryset=enrollment_api.Grupo.objects.none(),
        required=False,
        empty_label=gettext_lazy("Todos los grupos"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "Ese grupo no existe o no es de una de las sedes que usted coordina."
            )
        },
    )
    curso = forms.ModelChoiceField(
        label=gettext_lazy("Curso"),
        queryset=courses_api.CoursePage.objects.none(),
        required=False,
        empty_label=gettext_lazy("Todos los cursos"),
        error_messages={"invalid_choice": gettext_lazy("Ese curso no existe.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["sede"].queryset = enrollment_api.sedes_in_scope(user=user).order_by(
            "name", "pk"
        )
        self.fields["grupo"].queryset = enrollment_api.grupos_in_scope(user=user).order_by(
            "sede__name", "name", "pk"
        )
        self.fields["curso"].queryset = courses_api.CoursePage.objects.order_by("title", "pk")

    def clean(self):
        data = super().clean()
        desde, hasta = data.get("desde"), data.get("hasta")
        if desde and hasta and hasta < desde:
            self.add_error(
                "hasta",
                _("La fecha «hasta» es anterior a «desde». Revise las fechas."),
            )
        sede, grupo = data.get("sede"), data.get("grupo")
        if sede and grupo and grupo.sede_id != sede.pk:
            self.add_error(
                "grupo",
                _("El grupo «%(grupo)s» no es de la sede «%(sede)s».")
                % {"grupo": grupo.name, "sede": sede.name},
            )
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            desde=data.get("desde"),
            hasta=data.get("hasta"),
            sede_id=data["sede"].pk if data.get("sede") else None,
            grupo_id=data["grupo"].pk if data.get("grupo") else None,
            curso_id=data["curso"].pk if data.get("curso") else None,
        )


class ExportForm(FiltersForm):
    """The export page: what to export, in which format, with which filters."""

    tipo = forms.ChoiceField(
        label=gettext_lazy("¿Qué quiere exportar?"),
        choices=ExportKind.choices,
        initial=ExportKind.ENROLLMENTS,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Elija qué quiere exportar."),
            "invalid_choice": gettext_lazy("Elija una de las exportaciones de la lista."),
        },
    )
    formato = forms.ChoiceField(
        label=gettext_lazy("Formato"),
        choices=ExportFormat.choices,
        initial=ExportFormat.CSV,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Elija el formato del archivo."),
            "invalid_choice": gettext_lazy("Elija CSV o Excel (XLSX)."),
        },
    )

    field_order = ["tipo", "formato", "desde", "hasta", "sede", "grupo", "curso"]


# --- Columns and queries ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the JSON API's name for it
    header: Any  # Spanish header (lazy)
    type: str = "text"  # text | number | datetime | status


STATUS_LABELS = {
    "activa": gettext_lazy("activa"),
    "dada_de_baja": gettext_lazy("dada de baja"),
    "concluida": gettext_lazy("concluida"),
    "empezada": gettext_lazy("empezada"),
    "terminada": gettext_lazy("terminada"),
    "vigente": gettext_lazy("vigente"),
    "anulada": gettext_lazy("anulada"),
}

ENROLLMENT_COLUMNS = [
    Column("sede", gettext_lazy("sede")),
    Column("grupo", gettext_lazy("grupo")),
    Column("usuario", pgettext_lazy("columna de exportación", "usuario")),
    Column("nombre", gettext_lazy("nombre")),
    Column("correo", gettext_lazy("correo")),
    Column("telefono", gettext_lazy("teléfono")),
    Column("curso", gettext_lazy("curso")),
    Column("modulo", gettext_lazy("módulo MEVyT")),
    Column("inscrito_el", gettext_lazy("inscrito el"), "datetime"),
    Column("dado_de_baja_el", gettext_lazy("dado de baja el"), "datetime"),
    Column("estado", pgettext_lazy("columna de exportación", "estado"), "status"),
    Column("avance", gettext_lazy("avance %"), "number"),
    Column("lecciones_terminadas", gettext_lazy("lecciones terminadas"), "number"),
    Column("lecciones_requeridas", gettext_lazy("lecciones requeridas"), "number"),
    Column("minutos_de_estudio", gettext_lazy("minutos de estudio"), "number"),
    Column("ultima_actividad", gettext_lazy("última actividad"), "datetime"),
    Column("concluido_el", gettext_lazy("concluido el"), "datetime"),
    Column("calificacion_final", gettext_lazy("mejor calificación del examen final"), "number"),
    Column("folio", gettext_lazy("folio de constancia vigente")),
]

PROGRESS_COLUMNS = [
    Column("sede", gettext_lazy("sede")),
    Column("grupo", gettext_lazy("grupo")),
    Column("usuario", pgettext_lazy("columna de exportación", "usuario")),
    Column("curso", gettext_lazy("curso")),
    Column("leccion", gettext_lazy("lección")),
    Column("estado", pgettext_lazy("columna de exportación", "estado"), "status"),
    Column("empezada", gettext_lazy("empezada"), "datetime"),
    Column("terminada", gettext_lazy("terminada"), "datetime"),
    Column("minutos", gettext_lazy("minutos"), "number"),
]

CERTIFICATE_COLUMNS = [
    Column("sede", gettext_lazy("sede")),
    Column("grupo", gettext_lazy("grupo")),
    Column("usuario", pgettext_lazy("columna de exportación", "usuario")),
    Column("nombre_en_constancia", gettext_lazy("nombre en la constancia")),
    Column("curso", gettext_lazy("curso")),
    Column("folio", gettext_lazy("folio")),
    Column("emitida_el", gettext_lazy("emitida el"), "datetime"),
    Column("estado", pgettext_lazy("columna de exportación", "estado"), "status"),
    Column("anulada_el", gettext_lazy("anulada el"), "datetime"),
    Column("verificacion", gettext_lazy("dirección de verificación")),
]


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
        enrollment_api.Enrollment.objects.all(),
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
    valid_folio = certificates_api.Certificate.objects.filter(
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
        certificates_api.Certificate.objects.all(),
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


SHEET_TITLES = {
    ExportKind.ENROLLMENTS: gettext_lazy("Inscripciones"),
    ExportKind.PROGRESS: gettext_lazy("Avance por lección"),
    ExportKind.CERTIFICATES: gettext_lazy("Constancias"),
}

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


def build_query(kind: str, *, user, filters: ExportFilters | None = None) -> ExportQuery:
    """The export ``kind`` for ``user``'s scope narrowed by ``filters``. Runs no query."""
    try:
        columns, make = KINDS[ExportKind(kind)]
    except ValueError:
        raise ValueError(f"unknown export kind: {kind!r}") from None
    base, queryset, convert = make(user, filters or ExportFilters())
    return ExportQuery(str(kind), columns, base, queryset, convert)


def count_rows(kind: str, *, user, filters: ExportFilters | None = None) -> int:
    """How many rows the export has (one query)."""
    return build_query(kind, user=user, filters=filters).count()


def export_rows(
    kind: str, *, user, filters: ExportFilters | None = None
) -> tuple[list[str], Iterator[tuple]]:
    """Spanish headers and an iterator of rows (tuples of str, int, Decimal, aware local
    datetime or None), exactly what the files contain. One query, run lazily."""
    query = build_query(kind, user=user, filters=filters)
    return query.headers, query.rows()


# --- Writers ---------------------------------------------------------------------------

# A phone number ("+52 55 1234 5678") starts with "+" but cannot be a formula.
_PHONE_LIKE = re.compile(r"\+?[\d\s().-]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, str):
        # Spreadsheets run a cell that starts like a formula (CSV injection): names and
        # usernames are typed by learners, so such text is quoted as text.
        if value.startswith(_FORMULA_START) and not _PHONE_LIKE.fullmatch(value):
            return "'" + value
        return value
    return str(value)


def _csv_chunks(query: ExportQuery, counter: list[int]) -> Iterator[str]:
    """The CSV text in chunks of ``CSV_FLUSH_ROWS`` rows; ``counter[0]`` counts rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(query.headers)
    pending = 0
    for row in query.rows():
        writer.writerow([_csv_cell(value) for value in row])
        pending += 1
        if pending >= CSV_FLUSH_ROWS:
            counter[0] += pending
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    counter[0] += pending
    yield buffer.getvalue()


def stream_csv(kind: str, *, user, filters: ExportFilters | None = None) -> Iterator[bytes]:
    """The CSV file in UTF-8 chunks, starting with a BOM so Excel reads the accents."""
    query = build_query(kind, user=user, filters=filters)
    yield BOM
    for chunk in _csv_chunks(query, [0]):
        yield chunk.encode()


def write_csv(kind: str, *, user, filters: ExportFilters | None = None, out: BinaryIO) -> int:
    """Write the CSV file (UTF-8 with BOM) to the binary file ``out``; returns the rows."""
    query = build_query(kind, user=user, filters=filters)
    counter = [0]
    out.write(BOM)
    for chunk in _csv_chunks(query, counter):
        out.write(chunk.encode())
    return counter[0]


def write_xlsx(kind: str, *, user, filters: ExportFilters | None = None, out: BinaryIO) -> int:
    """Write an XLSX workbook (openpyxl write-only: rows go to a temporary file, never all
    in memory) to the binary file ``out``; returns the rows. Dates are real date cells
    shown as ``yyyy-mm-dd hh:mm`` in local time."""
    query = build_query(kind, user=user, filters=filters)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(SHEET_TITLES[ExportKind(kind)]))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(query.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (
            18 if column.type == "datetime" else 14 if column.type == "number" else 22
        )
    bold = Font(bold=True)
    header = []
    for title in query.headers:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    rows = 0
    for row in query.rows():
        cells = []
        for value in row:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None, second=0))
                cell.number_format = XLSX_DATETIME_FORMAT
                cells.append(cell)
            elif isinstance(value, str) and value.startswith("="):
                # openpyxl would store it as a formula; keep it text.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        rows += 1
    workbook.save(out)
    return rows


WRITERS = {ExportFormat.CSV: write_csv, ExportFormat.XLSX: write_xlsx}


def filename(kind: str, fmt: str, *, day: date | None = None) -> str:
    """``aula-inscripciones-2026-11-28.csv`` (local date)."""
    day = day or timezone.localdate()
    return f"aula-{kind}-{day.isoformat()}.{fmt}"


# --- Jobs (large exports, built by Celery) ----------------------------------------------


def _notify(job: ExportJob) -> None:
    """Tell the requester their file is ready (or could not be made), with a link to their
    exports page. Never raises: the job's outcome is already saved."""
    user = job.requested_by
    if not user.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "job": job,
            "name": user.public_name,
            "failed": job.status == ExportStatus.FAILED,
            "link": certificates_api.public_url(reverse("exports:jobs")),
            "keep_days": settings.AULA_EXPORT_KEEP_DAYS,
        }
        subject = " ".join(
            render_to_string("reports/email/export_ready_subject.txt", context).split()
        )
        body = render_to_string("reports/email/export_ready.txt", context)
        send_mail(subject, body, None, [user.email], fail_silently=True)


def build_job(*, job_id: int) -> int | None:
    """Build the file of export job ``job_id`` and store it under
    ``exportaciones/<uuid>.<ext>``. Idempotent: a job already done (or deleted) is left
    alone and returns None; otherwise returns the number of rows.

    The scope is the requester's *now*, not when they asked. Storage errors propagate
    (the task retries); the row is only marked done once its file is stored. If two
    runs race, the first to mark the job done wins and the other deletes its file.
    """
    job = ExportJob.objects.select_related("requested_by").filter(pk=job_id).first()
    if job is None or job.status == ExportStatus.DONE:
        return None
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING
    )
    user = job.requested_by
    if not user.is_active:
        fail_job(
            job_id=job.pk,
            message=_("La cuenta que pidió este archivo está desactivada."),
            notify=False,
        )
        return None
    filters = ExportFilters.from_json(job.filters)
    with tempfile.TemporaryFile() as temporary, translation.override(settings.LANGUAGE_CODE):
        rows = WRITERS[ExportFormat(job.format)](
            job.kind, user=user, filters=filters, out=temporary
        )
        temporary.seek(0)
        job.file.save(f"{job.uuid}.{job.format}", File(temporary), save=False)
    now = timezone.now()
    with transaction.atomic():
        won = (
            ExportJob.objects.filter(pk=job.pk)
            .exclude(status=ExportStatus.DONE)
            .update(
                status=ExportStatus.DONE, rows=rows, file=job.file.name, finished_at=now, error=""
            )
        )
    if not won:
        winner = ExportJob.objects.filter(pk=job.pk).values_list("file", flat=True).first()
        if winner != job.file.name:
            job.file.delete(save=False)
        return None
    job.status, job.rows, job.finished_at, job.error = ExportStatus.DONE, rows, now, ""
    _notify(job)
    return rows


def fail_job(*, job_id: int, message: str | None = None, notify: bool = True) -> None:
    """Mark a job failed with a Spanish message for the exports page (and tell the
    requester). A job already done stays done."""
    with translation.override(settings.LANGUAGE_CODE):
        message = message or _(
            "No se pudo preparar el archivo. Pídalo de nuevo; si vuelve a pasar, avise a la "
            "administración de Aula."
        )
    updated = (
        ExportJob.objects.filter(pk=job_id)
        .exclude(status=ExportStatus.DONE)
        .update(status=ExportStatus.FAILED, error=message, finished_at=timezone.now())
    )
    if updated and notify:
        job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
        _notify(job)


def delete_old_jobs(*, now: datetime | None = None) -> int:
    """Delete export jobs older than ``settings.AULA_EXPORT_KEEP_DAYS`` with their files,
    and files under ``exportaciones/`` that no job points to (left by a run that died
    after storing its file). Returns the number of jobs deleted. A file that cannot be
    deleted now (storage down) keeps its job for the next run."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AULA_EXPORT_KEEP_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).iterator():
        if job.file:
            try:
                job.file.delete(save=False)
            except STORAGE_ERRORS:
                logger.exception("No se pudo borrar el archivo de la exportación %s", job.uuid)
                continue
        job.delete()
        deleted += 1
    _delete_orphan_files(cutoff)
    return deleted


def _delete_orphan_files(cutoff: datetime) -> None:
    storage = ExportJob._meta.get_field("file").storage
    try:
        _folders, names = storage.listdir("exportaciones")
    except FileNotFoundError:  # no export was ever stored here
        return
    except (*STORAGE_ERRORS, NotImplementedError):
        logger.exception("No se pudo revisar la carpeta de exportaciones")
        return
    known = set(ExportJob.objects.exclude(file="").values_list("file", flat=True))
    for name in names:
        path = f"exportaciones/{name}"
        if path in known:
            continue
        try:
            if storage.get_modified_time(path) < cutoff:
                storage.delete(path)
        except (*STORAGE_ERRORS, NotImplementedError):
            logger.exception("No se pudo borrar el archivo huérfano %s", path)
