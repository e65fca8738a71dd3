"""Notification moved here from the old ``reports`` app: its table, index and constraint
stay (``db_table`` and their names) and its content type row is renamed by the data
migration, so what pointed at ``reports.notification`` (permissions, admin log entries,
generic relations) points at ``notifications.notification``."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from lms.notifications.models import Notification, NotificationKind

migration = importlib.import_module("lms.notifications.migrations.0001_initial")
# What a migration's RunPython gets; the functions only read its connection.
schema_editor = SimpleNamespace(connection=connection)


@pytest.fixture
def old_content_type(db):
    """The database as ``reports`` left it: the content type is ``reports.notification``."""
    ContentType.objects.filter(app_label="notifications", model="notification").delete()
    ContentType.objects.clear_cache()
    yield ContentType.objects.create(app_label="reports", model="notification")
    ContentType.objects.clear_cache()


def test_the_model_keeps_its_table_index_and_constraint():
    meta = Notification._meta
    assert (meta.db_table, meta.app_label) == ("reports_notification", "notifications")
    assert [index.name for index in meta.indexes] == ["notification_last"]
    assert [constraint.name for constraint in meta.constraints] == ["notification_once_per_period"]


def test_the_content_type_is_renamed_and_what_points_at_it_follows(old_content_type, make_user):
    view = Permission.objects.create(
        content_type=old_content_type, codename="view_notification", name="Can view aviso"
    )
    group = Group.objects.create(name="Revisan avisos")
    group.permissions.add(view)
    user = make_user("revisor")
    user.groups.add(group)
    sent = Notification.objects.create(
        user=user, kind=NotificationKind.DIGEST, period="2026-W48", sent_at=timezone.now()
    )
    entry = LogEntry.objects.create(
        user=user,
        content_type=old_content_type,
        object_id=str(sent.pk),
        object_repr=str(sent),
        action_flag=ADDITION,
    )

    migration.rename_content_type(apps, schema_editor)

    renamed = ContentType.objects.get(pk=old_content_type.pk)
    assert (renamed.app_label, renamed.model) == ("notifications", "notification")
    assert ContentType.objects.get_for_model(Notification) == renamed
    assert list(Permission.objects.filter(content_type=renamed)) == [view]
    user = get_user_model().objects.get(pk=user.pk)  # no cached permissions
    assert user.has_perm("notifications.view_notification")
    assert not user.has_perm("reports.view_notification")
    entry.refresh_from_db()
    assert entry.get_edited_object() == sent

    # And back, when the migration is reversed.
    migration.rename_content_type_back(apps, schema_editor)
    ContentType.objects.clear_cache()
    assert ContentType.objects.get(pk=old_content_type.pk).app_label == "reports"
