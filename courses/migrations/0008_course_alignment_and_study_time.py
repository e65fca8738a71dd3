# A course's alignment with its module gets a kind (corresponde / parcial / relacionado),
# and its hours are computed from its content (``courses.models.study_time``) instead of
# typed by hand.
#
# Existing courses with a module become "relacionado": it is the only kind that is true of
# every mapping made before kinds existed, and it claims nothing toward a credential. An
# author (or the next ``library import``) confirms "corresponde" where the course covers
# the module. Their study time is computed here from their live lessons and assessments.

from django.db import migrations, models

from courses.models.study_time import assessment_minutes


def forwards(apps, schema_editor):
    CoursePage = apps.get_model("courses", "CoursePage")
    LessonPage = apps.get_model("courses", "LessonPage")
    AssessmentPage = apps.get_model("courses", "AssessmentPage")
    CoursePage.objects.filter(module__isnull=False).update(alignment="relacionado")
    for course in CoursePage.objects.only("pk", "path"):
        lessons = LessonPage.objects.filter(path__startswith=course.path, live=True)
        assessments = AssessmentPage.objects.filter(path__startswith=course.path, live=True)
        minutes = sum(lessons.values_list("estimated_minutes", flat=True)) + sum(
            assessment_minutes(
                [block["type"] for block in assessment.questions.raw_data],
                assessment.questions_per_attempt,
            )
            for assessment in assessments.only("questions", "questions_per_attempt")
        )
        CoursePage.objects.filter(pk=course.pk).update(study_minutes=minutes)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0007_course_media_collections"),
    ]

    operations = [
        migrations.AddField(
            model_name="coursepage",
            name="alignment",
            field=models.CharField(
                blank=True,
                choices=[
                    ("corresponde", "Corresponde al módulo"),
                    ("parcial", "Cubre parte del módulo"),
                    ("relacionado", "Se relaciona con el módulo"),
                ],
                help_text=(
                    "Corresponde: el curso cubre el módulo completo (solo así cuenta para el "
                    "certificado de primaria o secundaria). Parcial: cubre una parte; diga "
                    "cuál. Relacionado: trata temas del módulo sin cubrirlo."
                ),
                max_length=20,
                verbose_name="alineación con el módulo",
            ),
        ),
        migrations.AddField(
            model_name="coursepage",
            name="alignment_note",
            field=models.CharField(
                blank=True,
                help_text=(
                    "Solo para una alineación parcial: qué parte del módulo cubre el curso. Se "
                    "imprime en la constancia."
                ),
                max_length=200,
                verbose_name="parte del módulo que cubre",
            ),
        ),
        migrations.AddField(
            model_name="coursepage",
            name="study_minutes",
            field=models.PositiveIntegerField(
                default=0,
                help_text=(
                    "Se calcula solo: los minutos de las lecciones más el tiempo de las "
                    "prácticas y del examen final según sus preguntas."
                ),
                verbose_name="tiempo de estudio (minutos)",
            ),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="coursepage", name="estimated_hours"),
    ]
