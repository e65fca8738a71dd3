"""Hot reads written out in SQL.

A few reads run on every page a learner opens (whether they are enrolled, whether they
finished the lesson). Building such a query with the ORM on every request cost more than
running it (the lesson page, ``bench/peer.py``), so those few are written out once, with
the table and column names taken from the model, in SQL that SQLite and PostgreSQL both
read. Values are always parameters. Each use has a test that it answers as the ORM query
does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import connection, models


def exists_query(
    model: type[models.Model], *, equal: Sequence[str], empty: Sequence[str] = ()
) -> str:
    """``SELECT 1 … LIMIT 1`` over ``model``'s table: each field in ``equal`` equal to a
    parameter (in that order), each field in ``empty`` NULL."""
    meta = model._meta
    conditions = [f'"{meta.get_field(name).column}" = %s' for name in equal]  # type: ignore[union-attr]
    conditions += [f'"{meta.get_field(name).column}" IS NULL' for name in empty]  # type: ignore[union-attr]
    where = " AND ".join(conditions)
    return f'SELECT 1 FROM "{meta.db_table}" WHERE {where} LIMIT 1'  # noqa: S608 (names from the model; values are parameters)


def exists(query: str, parameters: Sequence[int | str | date | None]) -> bool:
    """Whether ``query`` (from ``exists_query``) finds a row."""
    with connection.cursor() as cursor:
        cursor.execute(query, list(parameters))
        return cursor.fetchone() is not None
