"""The public Python API of ``enrollment``: enroll, withdraw, complete; who is enrolled.

Writes are keyword-only and atomic. Capacity is enforced under concurrency by locking the
course's page row: two learners taking the last seat at once, exactly one gets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses import api as courses_api
from lms.accounts import api as accounts_api
from lms.enrollment.audit import register_scoped_model
from lms.enrollment.models import (
    JOIN_CODE_LENGTH,
    BulkImport,
    Enrollment,
    Grupo,
    Membership,
    Sede,
    SedeKind,
    random_join_code,
)
from lms.enrollment.signals import course_completed

__all__ = [
    "BulkImport",
    "Enrollment",
    "EnrollmentError",
    "Grupo",
    "Membership",
    "Sede",
    "SedeKind",
    "add_learners_to_grupo",
    "add_to_grupo",
    "can_view_course_content",
    "closed_reason",
    "coordinates_a_sede",
    "coordinator_required",
    "course_completed",
    "enroll",
    "enrolled_course_ids",
    "enrollments_for",
    "export_personal_data",
    "format_join_code",
    "grupos_in_scope",
    "is_enrolled",
    "is_plain_learner",
    "join_code_for",
    "join_grupo",
    "learner_in_scope",
    "learners_in_scope",
    "mark_completed",
    "memberships_in_scope",
    "move_to_grupo",
    "new_join_code",
    "plain_learners",
    "register_scoped_model",
    "sedes_in_scope",
    "withdraw",
]


@dataclass
class EnrollmentError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


def closed_reason(course, *, by_staff: bool = False, now=None) -> str | None:
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


def _check_open(course, *, by_staff: bool) -> None:
    reason = closed_reason(course, by_staff=by_staff)
    if reason == "coordinator_only":
        raise EnrollmentError(
            reason,
            _("A este curso solo inscribe la coordinación de su sede. Pídale que lo inscriba."),
        )
    if reason == "not_open_yet":
        raise EnrollmentError(
            reason,
            _("La inscripción a este curso abre el %(date)s.")
            % {"date": timezone.localtime(course.enrollment_opens_at).strftime("%d/%m/%Y")},
        )
    if reason == "closed":
        raise EnrollmentError(reason, _("La inscripción a este curso ya cerró."))


def _lock_course(course_id: int):
    # Locking the page row serialises enrollments into one course (capacity checks);
    # enrollments into different courses do not wait for each other.
    return courses_api.CoursePage.objects.select_for_update(of=("self",)).get(pk=course_id)


@transaction.atomic
def enroll(*, user, course, by=None) -> Enrollment:
    """Enroll ``user`` in ``course`` (self-enrollment, or by a coordinator ``by``).

    Idempotent: enrolling again returns the active enrollment. Raises EnrollmentError
    (with a Spanish message) when the policy, the window or the capacity says no.
    """
    if not user.is_active:
        raise EnrollmentError("inactive", _("Esta cuenta está desactivada."))
    existing = Enrollment.objects.filter(user=user, course_id=course.pk).first()
    if existing and existing.is_active:
        return existing
    course = _lock_course(course.pk)
    if not course.live:
        raise EnrollmentError("not_live", _("Este curso no está publicado."))
    _check_open(course, by_staff=by is not None and by.has_perm("courses.edit_any_course"))
    if course.capacity is not None:
        taken = Enrollment.objects.filter(course_id=course.pk, withdrawn_at__isnull=True).count()
        if taken >= course.capacity:
            raise EnrollmentError("full", _("El curso ya no tiene lugares disponibles."))
    now = timezone.now()
    if existing:
        existing.withdrawn_at = None
        existing.enrolled_at = now
        existing.enrolled_by = by
        existing.save(update_fields=["withdrawn_at", "enrolled_at", "enrolled_by"])
        return existing
    return Enrollment.objects.create(
        user=user, course_id=course.pk, enrolled_at=now, enrolled_by=by
    )


@transaction.atomic
def withdraw(*, user, course) -> Enrollment | None:
    """Withdraw from a course. Progress is kept: enrolling again picks up where they were."""
    enrollment = (
        Enrollment.objects.select_for_update()
        .filter(user=user, course_id=course.pk, withdrawn_at__isnull=True)
        .first()
    )
    if enrollment is None:
        return None
    enrollment.withdrawn_at = timezone.now()
    enrollment.save(update_fields=["withdrawn_at"])
    return enrollment


def mark_completed(*, user_id: int, course_id: int, when) -> bool:
    """Set the completion time of an active enrollment, once. Returns True the first time.

    Must run inside the transaction that recorded the completing event; the
    ``course_completed`` signal is sent after that transaction commits, so receivers (the
    certificate work) never see a completion that was rolled back.
    """
    updated = Enrollment.objects.filter(
        user_id=user_id, course_id=course_id, withdrawn_at__isnull=True, completed_at__isnull=True
    ).update(completed_at=when)
    if updated:
        enrollment_id = Enrollment.objects.values_list("pk", flat=True).get(
            user_id=user_id, course_id=course_id
        )
        transaction.on_commit(
            lambda: course_completed.send_robust(
                sender=Enrollment,
                enrollment_id=enrollment_id,
                user_id=user_id,
                course_id=course_id,
            )
        )
    return bool(updated)


def is_enrolled(*, user, course_id: int) -> bool:
    return (
        user.is_authenticated
        and Enrollment.objects.filter(
            user=user, course_id=course_id, withdrawn_at__isnull=True
        ).exists()
    )


def enrolled_course_ids(*, user_id: int, course_ids: Iterable[int]) -> set[int]:
    return set(
        Enrollment.objects.filter(
            user_id=user_id, course_id__in=list(course_ids), withdrawn_at__isnull=True
        ).values_list("course_id", flat=True)
    )


def can_view_course_content(*, user, course_id: int) -> bool:
    """Lessons, assessments and their files: enrolled learners and course staff only."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.has_perm("wagtailadmin.access_admin"):
        return True
    return is_enrolled(user=user, course_id=course_id)


def enrollments_for(*, user, include_withdrawn: bool = False) -> list[Enrollment]:
    enrollments = Enrollment.objects.filter(user=user).select_related("course__module__level")
    if not include_withdrawn:
        enrollments = enrollments.filter(withdrawn_at__isnull=True)
    return list(enrollments.order_by(F("completed_at").asc(nulls_first=True), "-enrolled_at"))


def export_personal_data(user) -> list[dict]:
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


def sedes_in_scope(*, user):
    """The sedes a person may see and act on: all for administrators, their own for
    coordinators, none for anyone else. Every coordinator page, export, API call and
    email filters through this."""
    if not user.is_authenticated:
        return Sede.objects.none()
    if user.is_superuser or user.has_perm("enrollment.view_all_sedes"):
        return Sede.objects.all()
    return Sede.objects.filter(coordinators=user)


def plain_learners():
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


def is_plain_learner(user) -> bool:
    """Whether ``user`` is one of ``plain_learners()``. One query."""
    return bool(user.is_authenticated) and plain_learners().filter(pk=user.pk).exists()


def memberships_in_scope(*, sedes, grupo=None):
    """The memberships of plain learners (``plain_learners``) in grupos of ``sedes``
    (optionally one ``grupo``): what every coordinator page, export, API answer and email
    counts and lists. ``sedes`` must already be narrowed by ``sedes_in_scope``."""
    members = Membership.objects.filter(grupo__sede__in=sedes, user__in=plain_learners())
    if grupo is not None:
        members = members.filter(grupo=grupo)
    return members


def learners_in_scope(*, user):
    """Ids of the plain learners in grupos of the sedes in ``user``'s scope (a subquery)."""
    return memberships_in_scope(sedes=sedes_in_scope(user=user)).values("user_id")


def grupos_in_scope(*, user):
    """The grupos of the sedes in ``user``'s scope."""
    return Grupo.objects.filter(sede__in=sedes_in_scope(user=user)).select_related("sede")


def learner_in_scope(*, user, learner_id: int):
    """The learner ``learner_id`` if ``user`` may see and act on them (a plain learner in a
    grupo of one of ``user``'s sedes), else None. Views turn None into 404: a coordinator
    cannot even learn whether an account outside their sedes exists."""
    return (
        get_user_model().objects.filter(pk=learner_id, pk__in=learners_in_scope(user=user)).first()
    )


def coordinates_a_sede(user) -> bool:
    return Sede.objects.filter(coordinators=user).exists()


def coordinator_required(view):
    """For coordinator pages: anonymous visitors go to log in; people with no sede in
    their scope (learners, asesores, coordinators not yet given a sede) get 403."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not sedes_in_scope(user=request.user).exists():
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


# --- Joining a grupo with its code ------------------------------------------------------


def format_join_code(code: str) -> str:
    """ "ABCDEFGH" → "ABCD-EFGH"."""
    return f"{code[:4]}-{code[4:]}" if code else ""


def new_join_code(*, grupo) -> str:
    """Give ``grupo`` a new code (the old one stops working) and return it formatted."""
    while True:
        code = random_join_code()
        try:
            with transaction.atomic():
                Grupo.objects.filter(pk=grupo.pk).update(join_code=code)
        except IntegrityError:  # pragma: no cover - one chance in 10^12
            continue
        grupo.join_code = code
        return format_join_code(code)


def join_code_for(*, grupo) -> str:
    """The grupo's code, formatted (every grupo gets one when it is saved; one made with
    ``bulk_create`` gets it here)."""
    return format_join_code(grupo.join_code) if grupo.join_code else new_join_code(grupo=grupo)


@transaction.atomic
def join_grupo(*, user, code: str) -> Grupo:
    """A learner joins the grupo whose code they typed (case, spaces and hyphens do not
    matter). From then on that sede's coordinators see their progress. Raises
    EnrollmentError with a Spanish message for a code that matches no active grupo."""
    if not is_plain_learner(user):
        raise EnrollmentError("not_a_learner", str(STAFF_CANNOT_JOIN))
    typed = "".join(char for char in (code or "").upper() if char.isalnum())
    grupo = (
        Grupo.objects.select_related("sede").filter(join_code=typed, sede__active=True).first()
        if len(typed) == JOIN_CODE_LENGTH
        else None
    )
    if grupo is None:
        raise EnrollmentError(
            "bad_code",
            _(
                "Ese código no corresponde a ningún grupo. Revíselo letra por letra o "
                "pídalo de nuevo a la coordinación de su sede."
            ),
        )
    add_to_grupo(grupo=grupo, user=user)
    return grupo


@transaction.atomic
def move_to_grupo(*, user, grupo, by) -> Membership:
    """Move a learner into ``grupo``: they leave every other grupo of ``by``'s sedes
    (grupos of sedes ``by`` cannot see are left alone) and join ``grupo``."""
    Membership.objects.filter(user=user, grupo__sede__in=sedes_in_scope(user=by)).exclude(
        grupo=grupo
    ).delete()
    return add_to_grupo(grupo=grupo, user=user)


STAFF_CANNOT_JOIN = gettext_lazy(
    "Las cuentas del personal de Aula (asesores, coordinadores y administradores) no se "
    "unen a grupos de estudio: los grupos son para educandos."
)


@transaction.atomic
def add_to_grupo(*, grupo, user) -> Membership:
    """Put a plain learner in ``grupo`` (idempotent). Raises EnrollmentError for anyone
    else: a staff account in a grupo would put it within a coordinator's reach."""
    if not is_plain_learner(user):
        raise EnrollmentError("not_a_learner", str(STAFF_CANNOT_JOIN))
    membership, _created = Membership.objects.get_or_create(grupo=grupo, user=user)
    return membership


@transaction.atomic
def add_learners_to_grupo(*, grupo, users) -> list:
    """``add_to_grupo`` for many people at once, in a fixed number of queries (bulk
    enrollment). If all of ``users`` are plain learners, puts them all in ``grupo``
    (idempotent) and returns []; otherwise puts nobody in it and returns those who are
    not."""
    users = list(users)
    plain = set(
        plain_learners().filter(pk__in=[user.pk for user in users]).values_list("pk", flat=True)
    )
    refused = [user for user in users if user.pk not in plain]
    if not refused:
        Membership.objects.bulk_create(
            [Membership(grupo=grupo, user=user) for user in users], ignore_conflicts=True
        )
    return refused


@transaction.atomic
def ensure_demo_sede(*, coordinator, asesor, learners) -> Sede:
    """A Plaza Comunitaria for trying the coordinator pages in development."""
    sede, _created = Sede.objects.get_or_create(
        key="demostracion",
        defaults={
            "name": "Plaza Comunitaria de demostración",
            "kind": SedeKind.PLAZA,
            "city": "Los Ángeles",
            "state": "California",
        },
    )
    sede.coordinators.add(coordinator)
    grupo, _created = Grupo.objects.get_or_create(sede=sede, name="Círculo de estudio 1")
    grupo.asesores.add(asesor)
    for learner in learners:
        add_to_grupo(grupo=grupo, user=learner)
    return sede


# --- Bulk enrollment (the work is in ``bulk.py``, which builds on this module) -----------


def bulk_imports_in_scope(*, user):
    """The bulk uploads of the grupos of ``user``'s sedes, newest first."""
    from lms.enrollment import bulk

    return bulk.imports_in_scope(user=user)


def cleanup_bulk_imports(*, now=None) -> dict[str, int]:
    """Delete bulk uploads nobody applied within a day and code sheets whose codes have
    expired (the ``enrollment.cleanup`` task)."""
    from lms.enrollment import bulk

    return bulk.cleanup(now=now)


__all__ += ["bulk_imports_in_scope", "cleanup_bulk_imports"]
