"""Lessons, assessments and their files are for enrolled learners (and course staff).

Course pages stay public. A visitor who is not logged in is sent to log in; a logged-in
learner who is not enrolled gets a 403 page that offers enrollment.

Below the serving hooks: sedes and grupos in the admin ("Sedes y grupos"), each person
limited to their own sedes (see ``viewsets.py``).
"""

from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.models import Page, ReferenceIndex
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from courses import api as courses_api
from courses import read_models as courses_models
from lms.enrollment import api
from lms.enrollment.models import Grupo, Sede
from lms.enrollment.viewsets import (
    GrupoPermissionPolicy,
    GrupoViewSet,
    ScopedDeleteBulkAction,
    SedePermissionPolicy,
    SedeViewSet,
)

# Before anything asks Wagtail for these models' policies (it would make a plain one).
register_permission_policy(Sede, SedePermissionPolicy(Sede))
register_permission_policy(Grupo, GrupoPermissionPolicy(Grupo))


@hooks.register("before_serve_page")
def protect_course_content(page, request, serve_args, serve_kwargs):
    if not issubclass(
        page.specific_class, courses_models.LessonPage | courses_models.AssessmentPage
    ):
        return None
    # Remembered on the page object Wagtail routed to, for the page's own context.
    course = courses_api.course_of_page(page=page, remember=True)
    if course is None:  # a diagnostic in the catalog: open to everyone
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not api.can_view_course_content(user=request.user, course_id=course.pk):
        return TemplateResponse(
            request, "enrollment/not_enrolled.html", {"course": course, "page": page}, status=403
        )
    return None


@hooks.register("before_serve_document")
def protect_course_documents(document, request):
    """A file used in a lesson is served only to people who may see that lesson; a file
    not used on any page is for staff only."""
    user = request.user
    if user.is_authenticated and (user.is_superuser or user.has_perm("wagtailadmin.access_admin")):
        return None
    page_type = ContentType.objects.get_for_model(Page)
    page_ids = {
        int(ref.object_id)
        for ref in ReferenceIndex.get_references_to(document).filter(base_content_type=page_type)
    }
    course_ids = {course for course, _kind in courses_api.step_courses(page_ids=page_ids).values()}
    if not user.is_authenticated:
        if course_ids:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied
    if not any(api.can_view_course_content(user=user, course_id=c) for c in course_ids):
        raise PermissionDenied
    return None


# --- Sedes and grupos in the admin ----------------------------------------------------------


class SedesGroup(SnippetViewSetGroup):
    menu_label = _("Sedes y grupos")
    menu_icon = "site"
    menu_order = 160  # right after "Coordinación"
    items = (SedeViewSet, GrupoViewSet)


register_snippet(SedesGroup)

# After Wagtail's own bulk delete for snippets (order 0), so it replaces it for these two.
hooks.register("register_bulk_action", ScopedDeleteBulkAction, order=1)
