"""Build a database at an earlier schema, put a row in every table Aula owns, migrate it
forward with ``migrate`` alone, and check that every row is still there.

Run by ``tests/test_upgrade.py`` in a subprocess, on a database of its own (``DATABASE_URL``
set by the test), so the suite's test database is never touched. Prints one JSON object:
the tables filled, the rows found again and the rows lost.
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
import uuid

import django

django.setup()

from django.apps import apps as global_apps  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

# Aula's own apps (lms.* and the page/curriculum apps). Wagtail's and Django's tables are
# theirs to migrate.
OURS = ("accounts", "enrollment", "progress", "assessments", "certificates", "reports", "courses")


def _value(field, model_state_apps, made, depth):
    internal = field.get_internal_type()
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        return _row(field.related_model, model_state_apps, made, depth + 1)
    if internal in ("CharField", "SlugField", "TextField", "EmailField", "URLField"):
        base = {"EmailField": "a@example.org", "URLField": "https://example.org"}.get(
            internal, f"x{uuid.uuid4().hex[:8]}"
        )
        return base[: field.max_length] if field.max_length else base
    if internal in ("FileField", "ImageField"):
        return "archivo.pdf"
    if internal in (
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "PositiveBigIntegerField",
    ):
        return 1
    if internal == "BooleanField":
        return False
    if internal == "DecimalField":
        return decimal.Decimal("1")
    if internal == "FloatField":
        return 1.0
    if internal == "DateTimeField":
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if internal == "DateField":
        return datetime.date(2026, 1, 1)
    if internal == "UUIDField":
        return uuid.uuid4()
    if internal == "JSONField":
        return {}
    if internal == "GenericIPAddressField":
        return "192.0.2.1"
    raise NotImplementedError(f"{field.model.__name__}.{field.name}: {internal}")


def _row(model, state_apps, made, depth=0):
    """One saved row of ``model`` (reused if made already), every required field filled."""
    key = model._meta.label_lower
    if key in made:
        return made[key]
    if depth > 8:
        raise RecursionError(key)
    if model._meta.label_lower == "wagtailcore.page" or any(
        base._meta.label_lower == "wagtailcore.page" for base in model._meta.get_parent_list()
    ):
        made[key] = _page(model, state_apps, made)
        return made[key]
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.auto_created:
            continue
        if isinstance(field, models.ForeignKey) and field.remote_field.parent_link:
            continue
        if field.null and not isinstance(field, models.ForeignKey):
            continue
        if (
            field.has_default()
            or getattr(field, "auto_now", False)
            or getattr(field, "auto_now_add", False)
        ):
            continue
        if field.null:
            continue
        values[field.attname if field.is_relation else field.name] = (
            _value(field, state_apps, made, depth).pk
            if field.is_relation
            else _value(field, state_apps, made, depth)
        )
    obj = model.objects.create(**values)
    made[key] = obj
    return obj


def _page(model, state_apps, made):
    """A page below the root, made the way treebeard stores it (path, depth)."""
    Page = state_apps.get_model("wagtailcore", "Page")
    ContentType = state_apps.get_model("contenttypes", "ContentType")
    Locale = state_apps.get_model("wagtailcore", "Locale")
    root = Page.objects.filter(depth=1).first()
    if root is None:
        root = Page.objects.create(
            title="Root",
            slug="root",
            path="0001",
            depth=1,
            numchild=0,
            url_path="/",
            locale=Locale.objects.get_or_create(language_code="es-mx")[0],
            content_type=ContentType.objects.get_or_create(app_label="wagtailcore", model="page")[
                0
            ],
        )
    content_type, _created = ContentType.objects.get_or_create(
        app_label=model._meta.app_label, model=model._meta.model_name
    )
    number = Page.objects.filter(depth=2).count() + 1
    values = {
        "title": model.__name__,
        "slug": f"{model._meta.model_name}-{number}",
        "path": f"0001{number:04d}",
        "depth": 2,
        "numchild": 0,
        "url_path": f"/{model._meta.model_name}-{number}/",
        "locale_id": root.locale_id,
        "content_type": content_type,
    }
    for field in model._meta.concrete_fields:
        if field.model is Page or field.name in values or field.primary_key:
            continue
        if field.null or field.has_default() or field.auto_created:
            continue
        if isinstance(field, models.ForeignKey) and field.remote_field.parent_link:
            continue
        value = _value(field, state_apps, made, 1)
        values[field.attname if field.is_relation else field.name] = (
            value.pk if field.is_relation else value
        )
    return model.objects.create(**values)


def _pk_column(state_apps, table: str) -> str:
    for model in state_apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model._meta.pk.column
    raise LookupError(table)


def main(targets: list[tuple[str, str]]) -> dict:
    for app_label, name in targets:
        call_command("migrate", app_label, name, verbosity=0)
    state_apps = MigrationExecutor(connection).loader.project_state(targets).apps
    made: dict = {}
    skipped = []
    for model in state_apps.get_models():
        if model._meta.app_label not in OURS or model._meta.proxy:
            continue
        try:
            _row(model, state_apps, made)
        except NotImplementedError as error:
            skipped.append(str(error))
    rows = {obj._meta.db_table: obj.pk for obj in made.values()}
    # Many-to-many tables (sede coordinators, grupo asesores, user groups…): one link each.
    for obj in list(made.values()):
        for m2m in obj._meta.many_to_many:
            through = m2m.remote_field.through
            if not through._meta.auto_created or through._meta.db_table in rows:
                continue
            target = _row(m2m.related_model, state_apps, made)
            source_field = m2m.m2m_field_name()
            target_field = m2m.m2m_reverse_field_name()
            link = through.objects.create(**{source_field: obj, target_field: target})
            rows[through._meta.db_table] = link.pk
    call_command("migrate", verbosity=0)
    found, lost = [], []
    with connection.cursor() as cursor:
        for table, pk in sorted(rows.items()):
            pk_column = _pk_column(state_apps, table)
            cursor.execute(
                f'SELECT COUNT(*) FROM "{table}" WHERE "{pk_column}" = %s',  # noqa: S608
                [pk],
            )
            (found if cursor.fetchone()[0] == 1 else lost).append(table)
    latest = {model._meta.db_table for model in global_apps.get_models(include_auto_created=True)}
    return {
        "filled": sorted(rows),
        "found": found,
        "lost": lost,
        "skipped": skipped,
        "gone_from_latest_models": sorted(set(rows) - latest),
    }


if __name__ == "__main__":
    print(json.dumps(main([tuple(t.split(":")) for t in sys.argv[1:]])))
