from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from lms.enrollment import api as enrollment_api
from lms.reports import selectors


@login_required
def coordinator_home(request):
    """The coordinator's home: figures for each of their sedes. Learners, asesores and
    coordinators without a sede get 403."""
    sedes = enrollment_api.sedes_in_scope(user=request.user).order_by("name")
    if not sedes.exists():
        raise PermissionDenied
    rows, total = selectors.figures_by_sede(sedes=sedes)
    return TemplateResponse(
        request, "reports/coordinator_home.html", {"rows": rows, "total": total}
    )
