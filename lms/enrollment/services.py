"""Writes of ``enrollment``: enroll, withdraw, complete; grupos and their members.

Writes are keyword-only and atomic. Capacity is enforced under concurrency by locking the
course's page row: two learners taking the last seat at once, exactly one gets it. Other
apps reach these through ``lms.enrollment.api``; inside the app, ``bulk`` imports them
from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses import read_models as courses_models
from lms.enrollment.models import (
    JOIN_CODE_LENGTH,
    Enrollment,
    Grupo,
    Membership,
    Sede,
    SedeKind,
    random_join_code,
)
from lms.enrollment.selectors import (
    closed_reason,
    format_join_code,
    is_plain_learner,
    plain_learners,
    sedes_in_scope,
)
from lms.enrollment.signals import course_completed

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from lms.accounts.read_models import User

__all__ = [
    "STAFF_CANNOT_JOIN",
    "EnrollmentError",
    "add_learners_to_grupo",
    "add_to_grupo",
    "enroll",
    "ensure_demo_sede",
    "join_code_for",
    "join_grupo",
    "mark_completed",
    "move_to_grupo",
    "new_join_code",
    "withdraw",
]


@dataclass
class EnrollmentError(Exception):
    code: str
    message: str

    def __str__(self) -> str:
        return self.message


STAFF_CANNOT_JOIN = gettext_lazy(
    "Las cuentas del personal de Aula (asesores, coordinadores y administradores) no se "
    "unen a grupos de estudio: los grupos son para educandos."
)


def _check_open(course: courses_models.CoursePage, *, by_staff: bool) -> None:
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


def _lock_course(course_id: int) -> courses_models.CoursePage:
    # Locking the page row serialises enrollments into one course (capacity checks);
    # enrollments into different courses do not wait for each other.
    course: courses_models.CoursePage = courses_models.CoursePage.objects.select_for_update(
        of=("self",)
    ).get(pk=course_id)
    return course


@transaction.atomic
def enroll(
    *,
    user: User,
    course: courses_models.CoursePage,
    by: User | None = None,
    when: datetime | None = None,
) -> Enrollment:
    """Enroll ``user`` in ``course`` (self-enrollment, or by a coordinator ``by``), now or,
    for history brought from elsewhere (and demo data), at the earlier moment ``when``.

    Idempotent: enrolling again returns the active enrollment, also when the same
    enrollment is sent several times at once (a double tap): the row is read again under
    the course's lock, so the later ones find the first one's. Raises EnrollmentError
    (with a Spanish message) when the policy, the window or the capacity says no.
    """
    if not user.is_active:
        raise EnrollmentError("inactive", _("Esta cuenta está desactivada."))
    existing = Enrollment.objects.filter(user=user, course_id=course.pk).first()
    if existing and existing.is_active:
        return existing
    course = _lock_course(course.pk)
    # Another request may have enrolled them while this one waited for the lock.
    existing = Enrollment.objects.filter(user=user, course_id=course.pk).first()
    if existing and existing.is_active:
        return existing
    if not course.live:
        raise EnrollmentError("not_live", _("Este curso no está publicado."))
    _check_open(course, by_staff=by is not None and by.has_perm("courses.edit_any_course"))
    if course.capacity is not None:
        taken = Enrollment.objects.filter(course_id=course.pk, withdrawn_at__isnull=True).count()
        if taken >= course.capacity:
            raise EnrollmentError("full", _("El curso ya no tiene lugares disponibles."))
    now = when or timezone.now()
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
def withdraw(*, user: User, course: courses_models.CoursePage) -> Enrollment | None:
    """Withdraw from a course. Progress is kept: enrolling again picks up where they were.

    Returns the enrollment it ended, or None if there was no active one (never enrolled,
    or already withdrawn: a repeated request changes nothing). The row lock makes
    requests sent at once end it once."""
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


def mark_completed(*, user_id: int, course_id: int, when: datetime) -> bool:
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


# --- Joining a grupo with its code ------------------------------------------------------


def new_join_code(*, grupo: Grupo) -> str:
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


def join_code_for(*, grupo: Grupo) -> str:
    """The grupo's code, formatted (every grupo gets one when it is saved; one made with
    ``bulk_create`` gets it here)."""
    return format_join_code(grupo.join_code) if grupo.join_code else new_join_code(grupo=grupo)


@transaction.atomic
def join_grupo(*, user: User, code: str) -> Grupo:
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
def move_to_grupo(*, user: User, grupo: Grupo, by: User | AnonymousUser) -> Membership:
    """Move a learner into ``grupo``: they leave every other grupo of ``by``'s sedes
    (grupos of sedes ``by`` cannot see are left alone) and join ``grupo``."""
    Membership.objects.filter(user=user, grupo__sede__in=sedes_in_scope(user=by)).exclude(
        grupo=grupo
    ).delete()
    return add_to_grupo(grupo=grupo, user=user)


@transaction.atomic
def add_to_grupo(*, grupo: Grupo, user: User) -> Membership:
    """Put a plain learner in ``grupo`` (idempotent). Raises EnrollmentError for anyone
    else: a staff account in a grupo would put it within a coordinator's reach."""
    if not is_plain_learner(user):
        raise EnrollmentError("not_a_learner", str(STAFF_CANNOT_JOIN))
    membership, _created = Membership.objects.get_or_create(grupo=grupo, user=user)
    return membership


@transaction.atomic
def add_learners_to_grupo(*, grupo: Grupo, users: Iterable[User]) -> list[User]:
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
def ensure_demo_sede(*, coordinator: User, asesor: User, learners: Iterable[User]) -> Sede:
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
