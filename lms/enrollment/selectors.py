"""Reads of ``enrollment``: who is enrolled where, and who may see whom.

Other apps reach these through ``lms.enrollment.api``; inside the app, ``services`` and
``bulk`` import them from here. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import F, Q
from django.utils import timezone

from lms import sql
from lms.accounts import api as accounts_api
from lms.enrollment.models import Enrollment, Grupo, Membership, Sede

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from courses.read_models import CoursePage
    from lms.accounts.read_models import User

__all__ = [
    "can_view_course_content",
    "closed_reason",
    "coordinates_a_sede",
    "enrolled_course_ids",
    "enrollments_for",
    "export_personal_data",
    "format_join_code",
    "grupos_in_scope",
    "is_enrolled",
    "is_plain_learner",
    "learner_in_scope",
    "learners_in_scope",
    "memberships_in_scope",
    "plain_learners",
    "sedes_in_scope",
]


def closed_reason(
    course: CoursePage, *, by_staff: bool = False, now: datetime | None = None
) -> str | None:
    """Why self-enrollment in ``course`` is not possible now ("coordinator_only",
    "not_open_yet", "closed"), or None. The course page shows the same rule ``enroll``
    enforces."""
    now = now or timezone.now()
    if course.enrollment_policy == "coordinator" and not by_staff:
        return "coordinator_only"
    if course.enrollment_opens_at and now < course.enrollment_opens_at:
        return "not_open_yet"
    if course.enrollment_closes_at and now >= course.enrollment_closes_at:
        return "closed"
    return None


# Written out (``lms.sql``): it runs for every lesson and assessment a learner opens.
# tests/enrollment/test_access.py checks it answers as the ORM query does.
_ENROLLED = sql.exists_query(Enrollment, equal=["user", "course"], empty=["withdrawn_at"])


def is_enrolled(*, user: User | AnonymousUser, course_id: int) -> bool:
    return user.is_authenticated and sql.exists(_ENROLLED, [user.pk, course_id])


def enrolled_course_ids(*, user_id: int, course_ids: Iterable[int]) -> set[int]:
    return set(
        Enrollment.objects.filter(
            user_id=user_id, course_id__in=list(course_ids), withdrawn_at__isnull=True
        ).values_list("course_id", flat=True)
    )


def has_withdrawn(*, user: User, course_id: int) -> bool:
    """Whether the learner's enrollment in the course exists and is ended (withdrawn)."""
    return Enrollment.objects.filter(
        user=user, course_id=course_id, withdrawn_at__isnull=False
    ).exists()


def active_course_ids(*, user_id: int) -> set[int]:
    """The courses the learner is enrolled in now (not withdrawn). Written out
    (``lms.sql``): every heartbeat batch asks it."""
    rows = sql.values(
        Enrollment,
        ["course_id"],
        where=(
            f"{sql.column(Enrollment, 'user')} = %s AND "
            f"{sql.column(Enrollment, 'withdrawn_at')} IS NULL"
        ),
        parameters=[user_id],
    )
    return {course_id for (course_id,) in rows}


def can_view_course_content(*, user: User | AnonymousUser, course_id: int) -> bool:
    """Lessons, assessments and their files: enrolled learners and course staff only."""
    if not user.is_authenticated:
        return False
    # Enrollment first: a learner is answered in one query, without reading permissions
    # (two more queries) that only staff have.
    if is_enrolled(user=user, course_id=course_id):
        return True
    return user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def enrollments_for(*, user: User, include_withdrawn: bool = False) -> list[Enrollment]:
    enrollments = Enrollment.objects.filter(user=user).select_related("course__module__level")
    if not include_withdrawn:
        enrollments = enrollments.filter(withdrawn_at__isnull=True)
    return list(enrollments.order_by(F("completed_at").asc(nulls_first=True), "-enrolled_at"))


def export_personal_data(user: User) -> list[dict[str, str | None]]:
    return [
        {
            "curso": e.course.title,
            "inscrito_el": e.enrolled_at.isoformat(),
            "dado_de_baja_el": e.withdrawn_at.isoformat() if e.withdrawn_at else None,
            "concluido_el": e.completed_at.isoformat() if e.completed_at else None,
        }
        for e in Enrollment.objects.filter(user=user).select_related("course")
    ]


# --- Sedes and grupos -------------------------------------------------------------------


def sedes_in_scope(*, user: User | AnonymousUser) -> QuerySet[Sede]:
    """The sedes a person may see and act on: all for administrators, their own for
    coordinators, none for anyone else. Every coordinator page, export, API call and
    email filters through this."""
    if not user.is_authenticated:
        return Sede.objects.none()
    if user.is_superuser or user.has_perm("enrollment.view_all_sedes"):
        return Sede.objects.all()
    return Sede.objects.filter(coordinators=user)


def sede_of_learner(*, user_id: int) -> Sede | None:
    """The sede whose name goes on a learner's constancias: that of the grupo they joined
    last among the active sedes (a learner usually has one), or None."""
    membership = (
        Membership.objects.filter(user_id=user_id, grupo__sede__active=True)
        .select_related("grupo__sede__certificate_logo", "grupo__sede__signature")
        .order_by("-joined_at", "-pk")
        .first()
    )
    return membership.grupo.sede if membership else None


def plain_learners() -> QuerySet[User]:
    """The accounts a coordinator may ever see or act on: active learners and nothing more.

    This is the one rule for who is a *learner* to the coordination side. Excluded are
    deactivated accounts, staff and superusers, anyone in a group other than Educando
    (asesores, coordinadores, administradores or any group an administrator made), anyone
    holding a permission of their own, the coordinators of any sede and the asesores of
    any grupo, whatever grupo they joined. A learner who later becomes staff drops out of
    every coordinator's scope at once; one who stops being staff comes back.
    """
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=False, is_superuser=False)
        .exclude(groups__in=Group.objects.exclude(name=accounts_api.roles.EDUCANDO))
        .exclude(user_permissions__isnull=False)
        .exclude(coordinated_sedes__isnull=False)
        .exclude(advised_grupos__isnull=False)
    )


def is_plain_learner(user: User | AnonymousUser) -> bool:
    """Whether ``user`` is one of ``plain_learners()``. One query."""
    if not user.is_authenticated:
        return False
    return plain_learners().filter(pk=user.pk).exists()


def memberships_in_scope(
    *, sedes: Iterable[Sede | int], grupo: Grupo | None = None
) -> QuerySet[Membership]:
    """The memberships of plain learners (``plain_learners``) in grupos of ``sedes``
    (optionally one ``grupo``): what every coordinator page, export, API answer and email
    counts and lists. ``sedes`` must already be narrowed by ``sedes_in_scope``."""
    members = Membership.objects.filter(grupo__sede__in=sedes, user__in=plain_learners())
    if grupo is not None:
        members = members.filter(grupo=grupo)
    return members


class LearnerIdRow(TypedDict):
    """A row of ``learners_in_scope``."""

    user_id: int


def learners_in_scope(*, user: User | AnonymousUser) -> QuerySet[Membership, LearnerIdRow]:
    """Ids of the plain learners in grupos of the sedes in ``user``'s scope (a subquery)."""
    return memberships_in_scope(sedes=sedes_in_scope(user=user)).values("user_id")


def grupos_in_scope(*, user: User | AnonymousUser) -> QuerySet[Grupo]:
    """The grupos of the sedes in ``user``'s scope."""
    return Grupo.objects.filter(sede__in=sedes_in_scope(user=user)).select_related("sede")


def grupos_for_figures(*, user: User | AnonymousUser) -> QuerySet[Grupo] | None:
    """The grupos whose learners count in the anonymous figures ``user`` may see (the item
    analysis of an assessment): None (every learner, in a grupo or not) for
    administrators; otherwise the grupos of their sedes and those they are asesor of, so
    that comparing figures cannot single out a learner of someone else's sede."""
    if not user.is_authenticated:
        return Grupo.objects.none()
    if user.is_superuser or user.has_perm("enrollment.view_all_sedes"):
        return None
    return Grupo.objects.filter(Q(sede__in=sedes_in_scope(user=user)) | Q(asesores=user)).distinct()


def learner_in_scope(*, user: User | AnonymousUser, learner_id: int) -> User | None:
    """The learner ``learner_id`` if ``user`` may see and act on them (a plain learner in a
    grupo of one of ``user``'s sedes), else None. Views turn None into 404: a coordinator
    cannot even learn whether an account outside their sedes exists."""
    learner: User | None = (
        get_user_model().objects.filter(pk=learner_id, pk__in=learners_in_scope(user=user)).first()
    )
    return learner


def coordinates_a_sede(user: User) -> bool:
    return Sede.objects.filter(coordinators=user).exists()


def format_join_code(code: str) -> str:
    """ "ABCDEFGH" → "ABCD-EFGH"."""
    return f"{code[:4]}-{code[4:]}" if code else ""
