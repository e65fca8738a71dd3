"""An index on Wagtail's ``wagtailcore_page.url_path``: pages are routed by it in one
lookup (courses/models/routing.py), which would otherwise read the whole page table."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0009_lesson_practice_at_home_block"),
        ("wagtailcore", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS aula_page_url_path ON wagtailcore_page (url_path)",
            "DROP INDEX IF EXISTS aula_page_url_path",
        ),
    ]
