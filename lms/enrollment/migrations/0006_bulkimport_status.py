from django.db import migrations, models


def mark_applied(apps, schema_editor):
    """Uploads applied before ``status`` existed read as applied (``applied_at`` said so);
    the others stay pending, as they were."""
    bulk_import = apps.get_model("enrollment", "BulkImport")
    bulk_import.objects.filter(applied_at__isnull=False).update(status="applied")


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0005_fill_join_codes"),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Sin aplicar"),
                    ("queued", "En espera"),
                    ("applying", "Aplicándose"),
                    ("applied", "Aplicada"),
                    ("failed", "No se aplicó"),
                ],
                default="pending",
                max_length=10,
                verbose_name="estado",
            ),
        ),
        migrations.AddField(
            model_name="bulkimport",
            name="status_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="estado desde"),
        ),
        migrations.AddField(
            model_name="bulkimport",
            name="failure",
            field=models.CharField(
                blank=True,
                choices=[
                    ("changed", "Algo cambió desde la vista previa"),
                    ("error", "Error al aplicar"),
                ],
                max_length=10,
                verbose_name="motivo de la falla",
            ),
        ),
        migrations.AddField(
            model_name="bulkimport",
            name="failed_rows",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(mark_applied, migrations.RunPython.noop, elidable=True),
    ]
