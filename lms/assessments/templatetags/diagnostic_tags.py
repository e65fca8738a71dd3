"""The invitation to the catalog diagnostic ("¿Por dónde empiezo?") on the home page and
on "Mis cursos": for people who have not started anything yet."""

from django import template

from courses import api as courses_api
from courses import read_models as courses_models
from lms.enrollment import api as enrollment_api

register = template.Library()


def catalog_diagnostic():
    """The first live diagnostic in the catalog (the catalog's order), or None. Two
    queries."""
    catalog = courses_models.CatalogPage.objects.live().first()
    if catalog is None:
        return None
    return (
        courses_models.AssessmentPage.objects.live()
        .child_of(catalog)
        .filter(kind=courses_api.AssessmentKind.DIAGNOSTIC)
        .order_by("path")
        .first()
    )


@register.simple_tag(takes_context=True)
def diagnostic_invitation(context):
    """The catalog diagnostic to offer the person looking at the page: a visitor who is
    not logged in, or a learner (not staff) enrolled in no course. None for everyone
    else, or when the catalog has no diagnostic. At most four queries."""
    user = context["request"].user
    if user.is_authenticated and (
        not enrollment_api.is_plain_learner(user)
        or enrollment_api.active_course_ids(user_id=user.pk)
    ):
        return None
    return catalog_diagnostic()
