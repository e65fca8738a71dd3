# The collection of each course's images and documents (courses/media.py). The
# collections themselves are created by ``manage.py bootstrap`` (accounts' ensure_roles)
# for existing courses, and when a course is created.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_course_final_requires_lessons"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="CourseCollection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "collection",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="course_link",
                        to="wagtailcore.collection",
                        verbose_name="colección",
                    ),
                ),
                (
                    "course",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="media_collection",
                        to="courses.coursepage",
                        verbose_name="curso",
                    ),
                ),
            ],
            options={
                "verbose_name": "colección de un curso",
                "verbose_name_plural": "colecciones de los cursos",
            },
        ),
    ]
