# ExportJob moves here from the old ``reports`` app without touching its table.
#
# The table ``reports_exportjob`` was created by ``reports.0001_initial`` and stays as it
# is (the model keeps ``db_table``): this migration only adds the model to this app's
# migration state (SeparateDatabaseAndState, no database operation), and
# ``reports.0002_models_moved_out`` then removes it from the old app's state. Installations
# at any earlier schema upgrade with ``migrate`` alone.
#
# The model's content type is renamed from ``reports.exportjob`` to ``exports.exportjob``
# (same row, same id), so permissions, admin log entries, Wagtail's history and generic
# relations that point at it keep pointing at the model.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

OLD_LABEL, NEW_LABEL, MODEL = "reports", "exports", "exportjob"


def rename_content_type(apps, schema_editor, *, old_label=OLD_LABEL, new_label=NEW_LABEL):
    """Give the content type row of ``old_label.exportjob`` the label ``new_label``.

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
                    name='ExportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('uuid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('kind', models.CharField(choices=[('inscripciones', 'Inscripciones y avance por curso'), ('avance', 'Avance por lección'), ('constancias', 'Constancias')], max_length=20, verbose_name='tipo')),
                        ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'Excel (XLSX)')], max_length=4, verbose_name='formato')),
                        ('filters', models.JSONField(blank=True, default=dict, verbose_name='filtros')),
                        ('status', models.CharField(choices=[('pending', 'En espera'), ('running', 'Preparándose'), ('done', 'Lista'), ('failed', 'Falló')], default='pending', max_length=10, verbose_name='estado')),
                        ('rows', models.PositiveIntegerField(blank=True, null=True, verbose_name='filas')),
                        ('file', models.FileField(blank=True, max_length=200, upload_to='exportaciones/', verbose_name='archivo')),
                        ('error', models.TextField(blank=True, verbose_name='error')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='solicitada el')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='terminada el')),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='export_jobs', to=settings.AUTH_USER_MODEL, verbose_name='solicitada por')),
                    ],
                    options={
                        'verbose_name': 'exportación',
                        'verbose_name_plural': 'exportaciones',
                        'db_table': 'reports_exportjob',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_type, rename_content_type_back),
    ]
