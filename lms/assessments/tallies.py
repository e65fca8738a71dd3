"""Running tallies of the item analysis: counts kept up to date when an attempt is graded,
so the analysis reads a few thousand counts instead of every item response.

``ItemResponse`` stays the record (the source of truth, deleted with its attempt and its
learner's account); the tallies are counts derived from it and from the attempts, and can
always be recounted from them (``rebuild_tallies``, also the management command
``assessments_rebuild_tallies``). Three tables, each keyed by the assessment and the
grupo of the attempt:

- ``ResponseTally``: item responses by question, option, first, answered, correct and
  the attempt's score (exactly what ``item_analysis`` groups on);
- ``ScoreTally``: attempts by score, and how many of them have a time (the cut scores of
  the upper and lower 27 %);
- ``TimeTally``: timed attempts by time rounded to the nearest 10 s (the median time,
  so it is approximate to 10 s).

**Which grupo.** An attempt counts for the grupo its learner was in when answering
(``grupo_at_attempt``, recorded on the attempt as ``Attempt.grupo_id``; 0 for a learner in
no grupo), and stays there: a learner moved to another grupo later does not move their
past answers, unlike the pages that show people (which follow current memberships). A
learner in several grupos counts for the one they joined last (the most recent
membership). Grupos are not tied to courses, so this is the same for every course.

**Personal data.** The tallies hold counts only: no learner, no attempt. Deleting an
account deletes its attempts and item responses but leaves its share of the tallies as
anonymous counts (a recount would drop it).

**Concurrency.** Each graded attempt adds its counts with one ``INSERT … ON CONFLICT …
DO UPDATE SET n = n + excluded.n`` per table, rows in key order (so concurrent
submissions lock the rows they share in the same order and cannot deadlock), inside the
submission's transaction: the counts commit, or roll back, with the attempt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction

from lms.assessments.models import Attempt, ItemResponse, ResponseTally, ScoreTally, TimeTally
from lms.enrollment import read_models as enrollment_models

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

# Times are counted rounded to the nearest this many seconds.
TIME_STEP = 10

_RESPONSE_KEY = (
    "assessment_id",
    "grupo_id",
    "block_id",
    "option_id",
    "first",
    "answered",
    "correct",
    "score",
)


def grupo_at_attempt(*, user_id: int) -> int:
    """The grupo an attempt of ``user_id`` made now counts for: the one they joined last
    (0 if in none). One query."""
    grupo_id = (
        enrollment_models.Membership.objects.filter(user_id=user_id)
        .order_by("-joined_at", "-pk")
        .values_list("grupo_id", flat=True)
        .first()
    )
    return grupo_id or 0


def time_tens(seconds: int) -> int:
    """``seconds`` in tens of seconds, rounded to the nearest (5 s rounds up)."""
    return (seconds + TIME_STEP // 2) // TIME_STEP


def _quoted(connection: BaseDatabaseWrapper, names: Iterable[str]) -> str:
    return ", ".join(connection.ops.quote_name(name) for name in names)


def _upsert(
    connection: BaseDatabaseWrapper,
    model: Any,
    key: Sequence[str],
    counters: Sequence[str],
    rows: dict[tuple[Any, ...], tuple[int, ...]],
) -> None:
    """Add ``rows`` ({key values: counter increments}) to ``model``'s counts: one
    statement, rows sorted by key."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [*key, *counters]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(
        f"{name} = {table}.{name} + excluded.{name}"
        for name in (connection.ops.quote_name(counter) for counter in counters)
    )
    params: list[Any] = []
    for values in sorted(rows):
        params += [*values, *rows[values]]
    sql = (
        f"INSERT INTO {table} ({_quoted(connection, columns)}) "  # noqa: S608 - names only
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({_quoted(connection, key)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def count_attempt(attempt: Attempt, responses: Sequence[dict[str, Any]]) -> None:
    """Add a newly graded ``attempt`` and its item ``responses`` (``api.response_rows``)
    to the tallies, in the caller's transaction. Two queries (three with a time)."""
    connection = connections[Attempt.objects.db]
    score = Decimal(attempt.score).quantize(Decimal("0.01"))
    base = (attempt.assessment_id, attempt.grupo_id)
    counted = Counter(
        (
            *base,
            row["block_id"],
            row["option_id"],
            bool(row["first"]),
            bool(row["answered"]),
            bool(row["correct"]),
            score,
        )
        for row in responses
    )
    _upsert(connection, ResponseTally, _RESPONSE_KEY, ["n"], {k: (n,) for k, n in counted.items()})
    timed = 0 if attempt.seconds is None else 1
    _upsert(
        connection,
        ScoreTally,
        ["assessment_id", "grupo_id", "score"],
        ["n", "timed"],
        {(*base, score): (1, timed)},
    )
    if attempt.seconds is not None:
        _upsert(
            connection,
            TimeTally,
            ["assessment_id", "grupo_id", "tens"],
            ["n"],
            {(*base, time_tens(attempt.seconds)): (1,)},
        )


def rebuild_tallies(*, assessment_id: int | None = None, using: str = "default") -> None:
    """Recount the tallies of ``assessment_id`` (every assessment if None) from the item
    responses and attempts, in SQL, replacing what they held (so the shares of deleted
    accounts go). On PostgreSQL the tally tables are locked against new counts meanwhile:
    a submission waits and adds its counts after the recount, never twice or not at all."""
    connection = connections[using]
    q = connection.ops.quote_name
    tally_tables = [q(model._meta.db_table) for model in (ResponseTally, ScoreTally, TimeTally)]
    attempts, responses = q(Attempt._meta.db_table), q(ItemResponse._meta.db_table)
    params: list[Any] = [] if assessment_id is None else [assessment_id]
    where = "AND a.assessment_id = %s" if params else ""
    where_responses = "AND r.assessment_id = %s" if params else ""
    response_columns = _quoted(connection, _RESPONSE_KEY)
    picked = (
        "a.assessment_id, a.grupo_id, r.block_id, r.option_id, r.first, r.answered, "
        "r.correct, a.score"
    )
    tens = f"(a.seconds + {TIME_STEP // 2}) / {TIME_STEP}"
    statements = [
        (
            f"INSERT INTO {tally_tables[0]} ({response_columns}, n) "  # noqa: S608 - names only
            f"SELECT {picked}, COUNT(*) FROM {responses} r "
            f"JOIN {attempts} a ON a.id = r.attempt_id WHERE 1 = 1 {where_responses} "
            f"GROUP BY {picked}"
        ),
        (
            f"INSERT INTO {tally_tables[1]} (assessment_id, grupo_id, score, n, timed) "  # noqa: S608
            f"SELECT a.assessment_id, a.grupo_id, a.score, COUNT(*), COUNT(a.seconds) "
            f"FROM {attempts} a WHERE 1 = 1 {where} "
            "GROUP BY a.assessment_id, a.grupo_id, a.score"
        ),
        (
            f"INSERT INTO {tally_tables[2]} (assessment_id, grupo_id, tens, n) "  # noqa: S608
            f"SELECT a.assessment_id, a.grupo_id, {tens}, COUNT(*) FROM {attempts} a "
            f"WHERE a.seconds IS NOT NULL {where} "
            f"GROUP BY a.assessment_id, a.grupo_id, {tens}"
        ),
    ]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {', '.join(tally_tables)} IN SHARE ROW EXCLUSIVE MODE")
        for table in tally_tables:
            if assessment_id is None:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - names only
            else:
                cursor.execute(f"DELETE FROM {table} WHERE assessment_id = %s", params)  # noqa: S608
        for sql in statements:
            cursor.execute(sql, params)
