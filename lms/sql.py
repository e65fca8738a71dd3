"""Hot reads and writes written out in SQL.

A few reads run on every page a learner opens (whether they are enrolled, whether they
finished the lesson). Building such a query with the ORM on every request cost more than
running it (the lesson page, ``bench/peer.py``), so those few are written out once, with
the table and column names taken from the model, in SQL that SQLite and PostgreSQL both
read. Values are always parameters. Each use has a test that it answers as the ORM query
does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from django.db import connection, connections, models, router

# SQLite and PostgreSQL quote names alike (``"name"``); kept, as these run per request.
_quoted: dict[tuple[type[models.Model], str | None], str] = {}


def table(model: type[models.Model]) -> str:
    """The model's table name, quoted."""
    found = _quoted.get((model, None))
    if found is None:
        found = _quoted[model, None] = connection.ops.quote_name(model._meta.db_table)
    return found


def column(model: type[models.Model], name: str) -> str:
    """A field's column name (``user`` → ``"user_id"``), quoted."""
    found = _quoted.get((model, name))
    if found is None:
        field = model._meta.get_field(name)
        found = _quoted[model, name] = connection.ops.quote_name(field.column)  # type: ignore[union-attr,arg-type]
    return found


def marks(count: int) -> str:
    """``%s, %s, …``: ``count`` parameter placeholders, for ``IN (…)``."""
    return ", ".join(["%s"] * count)


def exists_query(
    model: type[models.Model], *, equal: Sequence[str], empty: Sequence[str] = ()
) -> str:
    """``SELECT 1 … LIMIT 1`` over ``model``'s table: each field in ``equal`` equal to a
    parameter (in that order), each field in ``empty`` NULL."""
    conditions = [f"{column(model, name)} = %s" for name in equal]
    conditions += [f"{column(model, name)} IS NULL" for name in empty]
    where = " AND ".join(conditions)
    return f"SELECT 1 FROM {table(model)} WHERE {where} LIMIT 1"  # noqa: S608 (names from the model; values are parameters)


def exists(query: str, parameters: Sequence[int | str | date | None]) -> bool:
    """Whether ``query`` (from ``exists_query``) finds a row."""
    with connection.cursor() as cursor:
        cursor.execute(query, list(parameters))
        return cursor.fetchone() is not None


M = TypeVar("M", bound=models.Model)
# Where a row's values need converting: (position, the converter functions, the column).
_Converters = list[tuple[int, list[Any], Any]]


class RowByKey(Generic[M]):
    """One model's whole row by primary key, with the query built once per database.

    What ``Model.objects.get(pk=…)`` returns (every concrete field, values converted as
    the ORM converts them: SQLite's 0/1 to booleans, its text to aware datetimes), for a
    read made on every request, where building and compiling the ORM query cost three times
    running it. The SQL and the converters come from the ORM's own compiler, once."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._prepared: dict[str, tuple[str, list[str], _Converters]] = {}

    def _prepare(self, alias: str) -> tuple[str, list[str], _Converters]:
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
        return self.model.from_db(alias, names, _converted(row, converters, database))


def _converted(row: Sequence[Any], converters: _Converters, database: Any) -> list[Any]:
    """A row's values as the ORM gives them: each through its field's converters."""
    values = list(row)
    for position, functions, expression in converters:
        value = values[position]
        for function in functions:
            value = function(value, expression, database)
        values[position] = value
    return values


# --- Rows read and written without building the ORM query every time -----------------------
#
# The heartbeat batch (``progress.events``) is most of what a node serves: every learner
# studying sends one a minute (``bench/capacity.py``). Building its statements with the
# ORM (``filter()``, the compiler, ``bulk_create``) cost more CPU than running them, so
# they are written out. These helpers keep the ORM's rules where they matter: names come
# from the model, values are adapted for the database by the fields themselves
# (``get_db_prep_save``), and values read are converted by the ORM's own converters
# (SQLite's text datetimes to aware ones, JSON text to objects).


_converters: dict[tuple[str, type[models.Model], tuple[str, ...]], _Converters] = {}


def _converters_for(model: type[models.Model], names: tuple[str, ...]) -> _Converters:
    key = (connection.alias, model, names)
    found = _converters.get(key)
    if found is None:
        found = []
        for position, name in enumerate(names):
            expression = model._meta.get_field(name).get_col(model._meta.db_table)  # type: ignore[union-attr]
            functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
                connection
            )
            if functions:
                found.append((position, functions, expression))
        found = _converters[key] = found
    return found


def values(
    model: type[models.Model],
    names: Sequence[str],
    *,
    where: str,
    parameters: Sequence[Any],
) -> list[tuple[Any, ...]]:
    """``SELECT`` the fields ``names`` of ``model``'s rows matching ``where`` (SQL over
    ``column()`` names with ``%s`` parameters): tuples as ``values_list(*names)`` gives."""
    names = tuple(names)
    selected = ", ".join(column(model, name) for name in names)
    sql = f"SELECT {selected} FROM {table(model)} WHERE {where}"  # noqa: S608 (names from the model; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(parameters))
        rows = cursor.fetchall()
    converters = _converters_for(model, names)
    if not converters:
        return [tuple(row) for row in rows]
    return [tuple(_converted(row, converters, connection)) for row in rows]


def _inserts(model: type[M], objects: Sequence[M], conflict: str) -> list[tuple[str, list[Any]]]:
    """The statements (SQL and parameters) that insert ``objects``: every column but an
    automatic primary key, as ``bulk_create`` inserts them, in as many statements as the
    database's limit on parameters asks."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(column(model, f.name) for f in fields)
    row = f"({marks(len(fields))})"
    size = connection.ops.bulk_batch_size(fields, list(objects)) or len(objects)
    statements = []
    for start in range(0, len(objects), size):
        batch = objects[start : start + size]
        statements.append(
            (
                f"INSERT INTO {table(model)} ({columns}) "  # noqa: S608 (names from the model)
                f"VALUES {', '.join([row] * len(batch))} {conflict}",
                [
                    field.get_db_prep_save(getattr(obj, field.attname), connection)
                    for obj in batch
                    for field in fields
                ],
            )
        )
    return statements


def _run(statements: Sequence[tuple[str, list[Any]]]) -> None:
    with connection.cursor() as cursor:
        for sql, parameters in statements:
            cursor.execute(sql, parameters)


def insert_new(model: type[M], objects: Sequence[M]) -> None:
    """Insert ``objects``, skipping those that would break a unique constraint:
    ``bulk_create(ignore_conflicts=True)``."""
    if objects:
        _run(_inserts(model, objects, "ON CONFLICT DO NOTHING"))


@dataclass(frozen=True)
class Upsert:
    """Insert ``objects`` (every field), or update only the fields ``update`` where a row
    with the same ``unique`` fields exists: ``bulk_create(update_conflicts=True, …)``
    (SQLite 3.24+)."""

    model: type[models.Model]
    objects: Sequence[models.Model]
    unique: Sequence[str]
    update: Sequence[str]

    def statements(self) -> list[tuple[str, list[Any]]]:
        if not self.objects:
            return []
        keys = ", ".join(column(self.model, name) for name in self.unique)
        changes = ", ".join(
            f"{name} = EXCLUDED.{name}" for name in (column(self.model, n) for n in self.update)
        )
        return _inserts(self.model, self.objects, f"ON CONFLICT ({keys}) DO UPDATE SET {changes}")


def upsert(
    model: type[M],
    objects: Sequence[M],
    *,
    unique: Sequence[str],
    update: Sequence[str],
) -> None:
    """``Upsert(model, objects, unique, update)``, now."""
    _run(Upsert(model, objects, unique, update).statements())


# PostgreSQL's limit on the parameters of one statement.
_MAX_PARAMETERS = 65_535


def upsert_together(*writes: Upsert) -> None:
    """Each of ``writes``, in order. On PostgreSQL in one statement when they fit in one:
    the first ones as data-modifying ``WITH`` queries of the last (they touch other
    tables, so none needs to see another's rows), one round trip instead of one each."""
    statements = [statement for write in writes for statement in write.statements()]
    tables = {write.model for write in writes if write.objects}
    if (
        connection.vendor != "postgresql"
        or len(statements) < 2
        or sum(len(parameters) for _sql, parameters in statements) > _MAX_PARAMETERS
        # One statement per table: a table written twice in one statement could not see
        # its own first write.
        or len(tables) < len(statements)
    ):
        _run(statements)
        return
    *first, (last, parameters) = statements
    queries = ", ".join(f"w{number} AS ({sql})" for number, (sql, _p) in enumerate(first))
    _run([(f"WITH {queries} {last}", [p for _s, ps in first for p in ps] + parameters)])
