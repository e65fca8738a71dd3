"""Fill the outbox: one ``Statement`` per source row, made once.

Nothing here runs in a learner's request. The sources are read, never written:

- learning events and attempts are append-only: read from a cursor (the highest id
  below which every row has its statement). Ids are handed out when a row is inserted,
  not when its transaction commits, so a row with a lower id can appear after a higher
  one. The cursor therefore only moves past rows older than ``GRACE`` (no transaction
  lasts that long); younger rows are read again next time, and ``ignore_conflicts`` on
  the statement's unique source makes that harmless. ``reconcile`` (nightly) looks for
  any row of the whole log still without a statement, whatever happened.
- completions, certificates and revocations set a column on an existing row: each run
  takes the rows that have it and no statement yet (an anti-join; there are few).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone
from wagtail.models import Page as WagtailPage

from lms.assessments.read_models import Attempt
from lms.certificates.read_models import Certificate
from lms.enrollment.read_models import Enrollment
from lms.progress.read_models import LearningEvent
from lms.xapi import statements
from lms.xapi.models import Cursor, Source, Statement
from lms.xapi.statements import Page

GRACE = timedelta(minutes=10)
KINDS = {"coursepage": "course", "lessonpage": "lesson", "assessmentpage": "assessment"}


def pages(ids: Iterable[int | None]) -> dict[int, Page]:
    """The pages with these ids, in one query; a missing page gets a bare ``Page``."""
    wanted = {page_id for page_id in ids if page_id is not None}
    found = {
        page_id: Page(page_id, KINDS.get(model), title)
        for page_id, title, model in WagtailPage.objects.filter(id__in=wanted).values_list(
            "id", "title", "content_type__model"
        )
    }
    return {page_id: found.get(page_id, Page(page_id)) for page_id in wanted}


def cursor_row(name: str) -> Cursor:
    """The ``Cursor`` called ``name``, made at 0 the first time."""
    try:
        with transaction.atomic():
            cursor, _created = Cursor.objects.get_or_create(name=name)
    except IntegrityError:  # created at the same moment by another run
        cursor = Cursor.objects.get(name=name)
    return cursor


def _store(rows: Sequence[Statement]) -> int:
    """Insert the statements that do not exist yet (another run may have made some of
    them a moment ago); return how many were given."""
    Statement.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def _event_statements(events: Sequence[Mapping[str, Any]]) -> list[Statement]:
    known = pages([e["object_id"] for e in events] + [e["course_id"] for e in events])
    return [
        Statement(
            statement_id=(
                payload := statements.for_event(
                    user_id=e["user_id"],
                    event_uuid=e["uuid"],
                    verb_name=e["verb"],
                    page=known[e["object_id"]],
                    course=known[e["course_id"]],
                    result=e["result"] if isinstance(e["result"], dict) else {},
                    moment=e["client_timestamp"],
                )
            )["id"],
            source=Source.EVENT,
            source_id=e["id"],
            user_id=e["user_id"],
            payload=payload,
        )
        for e in events
    ]


EVENT_FIELDS = ("id", "uuid", "user_id", "verb", "object_id", "course_id", "result")


def _events() -> models.QuerySet[Any, Any]:
    rows: models.QuerySet[Any, Any] = LearningEvent.objects.values(
        *EVENT_FIELDS, "client_timestamp", "received_at"
    )
    return rows


def _attempt_statements(attempts: Sequence[Mapping[str, Any]]) -> list[Statement]:
    known = pages([a["assessment_id"] for a in attempts] + [a["course_id"] for a in attempts])
    return [
        Statement(
            statement_id=(
                payload := statements.for_attempt(
                    user_id=a["user_id"],
                    attempt_uuid=a["uuid"],
                    assessment=known[a["assessment_id"]],
                    course=known[a["course_id"]] if a["course_id"] is not None else None,
                    score=a["score"],
                    passed=a["passed"],
                    seconds=a["seconds"],
                    moment=a["submitted_at"],
                )
            )["id"],
            source=Source.ATTEMPT,
            source_id=a["id"],
            user_id=a["user_id"],
            payload=payload,
        )
        for a in attempts
    ]


def _attempts() -> models.QuerySet[Any, Any]:
    return Attempt.objects.values(
        "id", "uuid", "user_id", "assessment_id", "course_id", "score", "passed", "seconds",
        "submitted_at",
    )  # fmt: skip


Rows = Callable[[], models.QuerySet[Any, Any]]
Make = Callable[[Sequence[Mapping[str, Any]]], list[Statement]]
APPEND_ONLY: dict[str, tuple[str, Rows, Make, str]] = {
    # cursor name → (source, its rows, their statements, the column that says how old)
    "events": (Source.EVENT, _events, _event_statements, "received_at"),
    "attempts": (Source.ATTEMPT, _attempts, _attempt_statements, "submitted_at"),
}


def _missing_after(name: str, position: int, *, batch_size: int) -> int:
    """Make the statements of the rows after ``position`` that have none yet."""
    source, rows_of, make, _age = APPEND_ONLY[name]
    made = 0
    while True:
        rows = list(
            rows_of()
            .filter(id__gt=position)
            .filter(_without_statement(source))
            .order_by("id")[:batch_size]
        )
        if not rows:
            return made
        made += _store(make(rows))
        position = rows[-1]["id"]


def collect_append_only(name: str, *, batch_size: int, now: datetime) -> int:
    """Make the statements of the rows after the cursor that have none yet, then move the
    cursor up to the first row younger than ``GRACE``. Returns how many were made."""
    _source, rows_of, _make, age_column = APPEND_ONLY[name]
    cursor = cursor_row(name)
    # Where the cursor may go, decided before reading: every row up to there is then read
    # below (a row committed later with an old time cannot slip behind the cursor unread).
    after = rows_of().filter(id__gt=cursor.position)
    young = after.filter(**{f"{age_column}__gte": now - GRACE}).aggregate(first=Min("id"))
    settled = after if young["first"] is None else after.filter(id__lt=young["first"])
    safe = settled.aggregate(last=Max("id"))["last"]
    made = _missing_after(name, cursor.position, batch_size=batch_size)
    if safe is not None:
        Cursor.objects.filter(pk=cursor.pk, position__lt=safe).update(position=safe)
    return made


def _without_statement(source: str) -> Any:
    return ~Exists(Statement.objects.filter(source=source, source_id=OuterRef("pk")))


def collect_completions(*, batch_size: int) -> int:
    made = 0
    while True:
        rows: list[Mapping[str, Any]] = list(
            Enrollment.objects.filter(completed_at__isnull=False)
            .filter(_without_statement(Source.COMPLETION))
            .order_by("id")
            .values("id", "uuid", "user_id", "course_id", "completed_at")[:batch_size]
        )
        if not rows:
            return made
        known = pages(r["course_id"] for r in rows)
        made += _store(
            [
                Statement(
                    statement_id=(
                        payload := statements.for_completion(
                            user_id=r["user_id"],
                            enrollment_uuid=r["uuid"],
                            course=known[r["course_id"]],
                            moment=r["completed_at"],
                        )
                    )["id"],
                    source=Source.COMPLETION,
                    source_id=r["id"],
                    user_id=r["user_id"],
                    payload=payload,
                )
                for r in rows
            ]
        )


def _course(course_id: int | None, title: str, known: dict[int, Page]) -> Page:
    page = known.get(course_id) if course_id is not None else None
    if page is None or page.title is None:
        return Page(course_id or 0, "course", title)
    return page


def collect_certificates(*, batch_size: int) -> int:
    """An "earned" statement per certificate of a learner who still has an account (a
    revoked one was earned too), then a voiding one per revoked certificate whose earned
    statement exists."""
    made = 0
    while True:
        rows: list[Mapping[str, Any]] = list(
            Certificate.objects.filter(user__isnull=False)
            .filter(_without_statement(Source.CERTIFICATE))
            .order_by("id")
            .values("id", "uuid", "user_id", "course_id", "course_title", "issued_at")[:batch_size]
        )
        if not rows:
            break
        known = pages(r["course_id"] for r in rows)
        made += _store(
            [
                Statement(
                    statement_id=(
                        payload := statements.for_certificate(
                            user_id=r["user_id"],
                            certificate_uuid=r["uuid"],
                            course=_course(r["course_id"], r["course_title"], known),
                            moment=r["issued_at"],
                        )
                    )["id"],
                    source=Source.CERTIFICATE,
                    source_id=r["id"],
                    user_id=r["user_id"],
                    payload=payload,
                )
                for r in rows
            ]
        )
    earned = Statement.objects.filter(source=Source.CERTIFICATE, source_id=OuterRef("pk"))
    while True:
        revoked: list[Mapping[str, Any]] = list(
            Certificate.objects.filter(revoked_at__isnull=False)
            .filter(Exists(earned))
            .filter(_without_statement(Source.REVOCATION))
            .order_by("id")
            .values("id", "uuid", "revoked_at")[:batch_size]
        )
        if not revoked:
            return made
        made += _store(
            [
                Statement(
                    statement_id=(
                        payload := statements.voiding_certificate(
                            certificate_uuid=r["uuid"], moment=r["revoked_at"]
                        )
                    )["id"],
                    source=Source.REVOCATION,
                    source_id=r["id"],
                    payload=payload,
                )
                for r in revoked
            ]
        )


def collect(*, batch_size: int = 500, now: datetime | None = None) -> int:
    """Every source, in the order a learner lives them. Returns how many were made."""
    now = now or timezone.now()
    return (
        collect_append_only("events", batch_size=batch_size, now=now)
        + collect_append_only("attempts", batch_size=batch_size, now=now)
        + collect_completions(batch_size=batch_size)
        + collect_certificates(batch_size=batch_size)
    )


def reconcile(*, batch_size: int = 500) -> int:
    """Statements for any event or attempt of the whole log still without one (behind
    the cursor: a transaction longer than ``GRACE``, a restored backup…), then the rest
    as ``collect`` does. Returns how many were made."""
    return sum(_missing_after(name, 0, batch_size=batch_size) for name in APPEND_ONLY) + (
        collect_completions(batch_size=batch_size) + collect_certificates(batch_size=batch_size)
    )
