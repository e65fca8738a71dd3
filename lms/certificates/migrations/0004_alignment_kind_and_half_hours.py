# What a constancia certifies now includes how its course aligned with the module
# ("corresponde", "parcial" with which part, "relacionado"), and its hours may be a half
# hour (computed from the course's content).
#
# Certificates issued before have an empty kind: they were issued, and printed, as
# "Alineado con el módulo del MEVyT", which is not one of the kinds; the PDF and the signed
# credential already issued are never rewritten, and the verification page shows them
# with that same wording.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0003_sede_branding"),
    ]

    operations = [
        migrations.AddField(
            model_name="certificate",
            name="alignment",
            field=models.CharField(
                blank=True, max_length=20, verbose_name="alineación con el módulo"
            ),
        ),
        migrations.AddField(
            model_name="certificate",
            name="alignment_note",
            field=models.CharField(blank=True, max_length=200, verbose_name="parte del módulo"),
        ),
        migrations.AlterField(
            model_name="certificate",
            name="hours",
            field=models.DecimalField(decimal_places=1, max_digits=4, verbose_name="horas"),
        ),
    ]
