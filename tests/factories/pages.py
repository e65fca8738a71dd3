"""Build course pages in tests through the same calls an editor's save makes."""

from courses.models import CoursePage, LessonPage


def add_course(
    *,
    catalog,
    slug: str,
    title: str = "Curso de prueba",
    lessons: int = 0,
    summary: str = "Un curso para las pruebas.",
    **fields,
):
    course = CoursePage(title=title, slug=slug, summary=summary, **fields)
    catalog.add_child(instance=course)
    course.save_revision().publish()
    for number in range(1, lessons + 1):
        add_lesson(parent=course, slug=f"leccion-{number}", title=f"Lección {number}")
    return course


def add_lesson(*, parent, slug: str, title: str = "Lección", body=None, **fields):
    lesson = LessonPage(
        title=title,
        slug=slug,
        body=body
        if body is not None
        else [("paragraph", "<p>Texto de la lección.</p>"), ("heading", {"text": "Título"})],
        **fields,
    )
    parent.add_child(instance=lesson)
    lesson.save_revision().publish()
    return lesson
