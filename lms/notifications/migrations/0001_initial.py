# Notification moves here from the old ``reports`` app without touching its table.
#
# The table ``reports_notification`` (with its index ``notification_last`` and its
# constraint ``notification_once_per_period``) was created by ``reports.0001_initial`` and
# stays as it is (the model keeps ``db_table`` and both names): this migration only adds
# the model to this app's migration state (SeparateDatabaseAndState, no database
# operation), and ``reports.0002_models_moved_out`` then removes it from the old app's
# state. Installations at any earlier schema upgrade with ``migrate`` alone.
#
# The model's content type is renamed from ``reports.notification`` to
# ``notifications.notification`` (same row, same id), so permissions, admin log entries,
# Wagtail's history and generic relations that point at it keep pointing at the model.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_LABEL, NEW_LABEL, MODEL = "reports", "notifications", "notification"


def rename_content_type(apps, schema_editor, *, old_label=OLD_LABEL, new_label=NEW_LABEL):
    """Give the content type row of ``old_label.notification`` the label ``new_label``.

    Nothing to do on a new database (content types are created after ``migrate``). If both
    rows already exist (the new one created before this ran), both are left alone, as
    Django's own rename of content types does: ``manage.py remove_stale_contenttypes``
    then asks what to do with the old one."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.db_manager(schema_editor.connection.alias)
    old = types.filter(app_label=old_label, model=MODEL).first()
    if old is None or types.filter(app_label=new_label, model=MODEL).exists():
        return
    old.app_label = new_label
    old.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def rename_content_type_back(apps, schema_editor):
    rename_content_type(apps, schema_editor, old_label=NEW_LABEL, new_label=OLD_LABEL)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('digest', 'Resumen semanal para coordinación'), ('reminder', 'Recordatorio para educando')], max_length=10, verbose_name='tipo')),
                        ('period', models.CharField(max_length=10, verbose_name='periodo')),
                        ('sent_at', models.DateTimeField(verbose_name='enviado el')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'aviso enviado',
                        'verbose_name_plural': 'avisos enviados',
                        'db_table': 'reports_notification',
                        'indexes': [models.Index(fields=['kind', 'user', '-sent_at'], name='notification_last')],
                        'constraints': [models.UniqueConstraint(fields=('user', 'kind', 'period'), name='notification_once_per_period')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, rename_content_type_back),
    ]
