"""ExportJob moved here from the old ``reports`` app: its table stays (``db_table``) and its
content type row is renamed by the data migration, so what pointed at ``reports.exportjob``
(permissions, admin log entries, generic relations) points at ``exports.exportjob``."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from lms.exports.models import ExportJob

migration = importlib.import_module("lms.exports.migrations.0001_initial")
# What a migration's RunPython gets; the functions only read its connection.
schema_editor = SimpleNamespace(connection=connection)


@pytest.fixture
def old_content_type(db):
    """The database as ``reports`` left it: the content type is ``reports.exportjob``."""
    ContentType.objects.filter(app_label="exports", model="exportjob").delete()
    ContentType.objects.clear_cache()
    yield ContentType.objects.create(app_label="reports", model="exportjob")
    ContentType.objects.clear_cache()


def test_the_model_keeps_its_table():
    assert ExportJob._meta.db_table == "reports_exportjob"
    assert ExportJob._meta.app_label == "exports"
    assert list(apps.get_app_config("reports").get_models()) == []


def test_the_content_type_is_renamed_and_what_points_at_it_follows(old_content_type, make_user):
    view = Permission.objects.create(
        content_type=old_content_type, codename="view_exportjob", name="Can view exportación"
    )
    change = Permission.objects.create(
        content_type=old_content_type, codename="change_exportjob", name="Can change exportación"
    )
    group = Group.objects.create(name="Revisan exportaciones")
    group.permissions.add(view)
    user = make_user("revisora")
    user.groups.add(group)
    user.user_permissions.add(change)
    job = ExportJob.objects.create(requested_by=user, kind="inscripciones", format="csv")
    entry = LogEntry.objects.create(
        user=user,
        content_type=old_content_type,
        object_id=str(job.pk),
        object_repr=str(job),
        action_flag=ADDITION,
    )

    migration.rename_content_type(apps, schema_editor)

    renamed = ContentType.objects.get(pk=old_content_type.pk)
    assert (renamed.app_label, renamed.model) == ("exports", "exportjob")
    assert not ContentType.objects.filter(app_label="reports").exists()
    assert ContentType.objects.get_for_model(ExportJob) == renamed
    assert set(Permission.objects.filter(content_type=renamed)) == {view, change}
    user = get_user_model().objects.get(pk=user.pk)  # no cached permissions
    assert user.has_perm("exports.view_exportjob") and user.has_perm("exports.change_exportjob")
    assert not user.has_perm("reports.view_exportjob")
    entry.refresh_from_db()
    assert entry.get_edited_object() == job

    # And back, when the migration is reversed.
    migration.rename_content_type_back(apps, schema_editor)
    ContentType.objects.clear_cache()
    assert ContentType.objects.get(pk=old_content_type.pk).app_label == "reports"
    assert get_user_model().objects.get(pk=user.pk).has_perm("reports.view_exportjob")


def test_a_new_database_has_nothing_to_rename(db):
    """Content types are made after ``migrate``: on a new database there is no row yet."""
    ContentType.objects.filter(app_label="exports", model="exportjob").delete()
    migration.rename_content_type(apps, schema_editor)
    assert not ContentType.objects.filter(model="exportjob").exists()
    ContentType.objects.clear_cache()


def test_both_rows_already_there_are_left_alone(old_content_type):
    """As Django's own rename does: ``remove_stale_contenttypes`` deals with the old row."""
    new = ContentType.objects.create(app_label="exports", model="exportjob")
    migration.rename_content_type(apps, schema_editor)
    assert ContentType.objects.get(pk=old_content_type.pk).app_label == "reports"
    assert ContentType.objects.get(pk=new.pk).app_label == "exports"
