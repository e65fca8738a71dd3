# ExportJob and Notification now belong to the ``exports`` and ``notifications`` apps,
# whose 0001_initial adopted them (their tables, ``reports_exportjob`` and
# ``reports_notification``, stay where they are). This removes them from this app's
# migration state only: no table is dropped. It runs after both adoptions (dependencies
# below), so at no point of the migration history is a model nowhere.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_initial"),
        ("exports", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ExportJob"),
                migrations.DeleteModel(name="Notification"),
            ],
            database_operations=[],
        ),
    ]
