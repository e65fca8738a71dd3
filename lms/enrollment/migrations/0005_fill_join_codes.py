import secrets

from django.db import migrations

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def fill(apps, schema_editor):
    """Grupos made before join codes existed get one now, so showing a grupo's page never
    has to write."""
    grupo_model = apps.get_model("enrollment", "Grupo")
    taken = set(grupo_model.objects.exclude(join_code="").values_list("join_code", flat=True))
    for grupo in grupo_model.objects.filter(join_code=""):
        code = "".join(secrets.choice(ALPHABET) for _i in range(8))
        while code in taken:
            code = "".join(secrets.choice(ALPHABET) for _i in range(8))
        taken.add(code)
        grupo.join_code = code
        grupo.save(update_fields=["join_code"])


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0004_grupo_join_code")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
