"""The public Python API of ``enrollment``: enroll, withdraw, complete; who is enrolled;
sedes, grupos and who may see whom; bulk enrollment's uploads.

Other apps, this app's views and its Celery tasks use this module and never mutate the
models directly. It is a facade: the writes are in ``services``, the reads in
``selectors``, bulk enrollment in the ``bulk`` package; this module re-exports what other
code needs and adds only ``coordinator_required``, a view decorator built on
``sedes_in_scope``.

Writes are keyword-only and atomic. Capacity is enforced under concurrency by locking the
course's page row: two learners taking the last seat at once, exactly one gets it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from lms.enrollment.audit import register_scoped_model
from lms.enrollment.bulk import apply_queued as apply_queued_bulk_import
from lms.enrollment.bulk import cleanup as cleanup_bulk_imports
from lms.enrollment.bulk import imports_in_scope as bulk_imports_in_scope
from lms.enrollment.bulk import mark_failed as mark_bulk_import_failed
from lms.enrollment.bulk import send_welcome_email
from lms.enrollment.models import SedeKind
from lms.enrollment.selectors import (
    active_course_ids,
    can_view_course_content,
    closed_reason,
    coordinates_a_sede,
    enrolled_course_ids,
    enrollments_for,
    export_personal_data,
    format_join_code,
    grupos_for_figures,
    grupos_in_scope,
    has_withdrawn,
    is_enrolled,
    is_plain_learner,
    learner_in_scope,
    learners_in_scope,
    memberships_in_scope,
    plain_learners,
    sede_of_learner,
    sedes_in_scope,
)
from lms.enrollment.services import (
    STAFF_CANNOT_JOIN,
    EnrollmentError,
    add_learners_to_grupo,
    add_to_grupo,
    enroll,
    ensure_demo_sede,
    join_code_for,
    join_grupo,
    mark_completed,
    move_to_grupo,
    new_join_code,
    withdraw,
)
from lms.enrollment.signals import course_completed

__all__ = [
    "STAFF_CANNOT_JOIN",
    "EnrollmentError",
    "SedeKind",
    "active_course_ids",
    "add_learners_to_grupo",
    "add_to_grupo",
    "apply_queued_bulk_import",
    "bulk_imports_in_scope",
    "can_view_course_content",
    "cleanup_bulk_imports",
    "closed_reason",
    "coordinates_a_sede",
    "coordinator_required",
    "course_completed",
    "enroll",
    "enrolled_course_ids",
    "enrollments_for",
    "ensure_demo_sede",
    "export_personal_data",
    "format_join_code",
    "grupos_for_figures",
    "grupos_in_scope",
    "has_withdrawn",
    "is_enrolled",
    "is_plain_learner",
    "join_code_for",
    "join_grupo",
    "learner_in_scope",
    "learners_in_scope",
    "mark_bulk_import_failed",
    "mark_completed",
    "memberships_in_scope",
    "move_to_grupo",
    "new_join_code",
    "plain_learners",
    "register_scoped_model",
    "sede_of_learner",
    "sedes_in_scope",
    "send_welcome_email",
    "withdraw",
]


_P = ParamSpec("_P")
_Response = TypeVar("_Response", bound=HttpResponseBase)


def coordinator_required(
    view: Callable[Concatenate[HttpRequest, _P], _Response],
) -> Callable[Concatenate[HttpRequest, _P], _Response]:
    """For coordinator pages: anonymous visitors go to log in; people with no sede in
    their scope (learners, asesores, coordinators not yet given a sede) get 403."""

    @wraps(view)
    @login_required
    def wrapped(request: HttpRequest, /, *args: _P.args, **kwargs: _P.kwargs) -> _Response:
        if not sedes_in_scope(user=request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
