"""Where a course's images and documents live: one Wagtail collection per course.

The collections form a tree that follows the course tree: "Cursos" (under the root) holds
one collection per course, named by the course's title. This row links a course to its
collection, so renaming the course renames its collection (``courses.media``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseCollection(models.Model):
    course = models.OneToOneField(
        "courses.CoursePage",
        on_delete=models.CASCADE,
        related_name="media_collection",
        verbose_name=_("curso"),
    )
    # Deleting a course keeps its collection (and its files, which other courses may
    # use); an administrator can delete an empty collection in the admin.
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        on_delete=models.CASCADE,
        related_name="course_link",
        verbose_name=_("colección"),
    )

    class Meta:
        verbose_name = _("colección de un curso")
        verbose_name_plural = _("colecciones de los cursos")

    def __str__(self) -> str:
        return self.collection.name
