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
from typing import Any, Generic, TypeVar

from django.db import connection, connections, models, router


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


M = TypeVar("M", bound=models.Model)


class RowByKey(Generic[M]):
    """One model's whole row by primary key, with the query built once per database.

    What ``Model.objects.get(pk=…)`` returns (every concrete field, values converted as
    the ORM converts them: SQLite's 0/1 to booleans, its text to aware datetimes), for a
    read made on every request, where building and compiling the ORM query cost three times
    running it. The SQL and the converters come from the ORM's own compiler, once."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._prepared: dict[str, tuple[str, list[str], list[tuple[int, list[Any], Any]]]] = {}

    def _prepare(self, alias: str) -> tuple[str, list[str], list[tuple[int, list[Any], Any]]]:
        query = self.model._default_manager.using(alias).filter(pk=0).order_by().query
        compiler = query.get_compiler(using=alias)
        sql, _params = compiler.as_sql()
        columns = [column for column, _sql, _alias in compiler.select]
        names = [column.target.attname for column in columns]
        converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        ]
        return sql, names, converters

    def get(self, pk: object) -> M | None:
        """The instance whose primary key is ``pk``, or None."""
        alias = router.db_for_read(self.model)
        prepared = self._prepared.get(alias)
        if prepared is None:
            prepared = self._prepared[alias] = self._prepare(alias)
        sql, names, converters = prepared
        database = connections[alias]
        key = self.model._meta.pk.get_db_prep_value(pk, database)
        with database.cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for position, functions, expression in converters:
            value = values[position]
            for function in functions:
                value = function(value, expression, database)
            values[position] = value
        return self.model.from_db(alias, names, values)
