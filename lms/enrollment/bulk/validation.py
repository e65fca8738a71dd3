"""Checking every row of a file against the database (``validate_rows``): what applying
would do, or what is wrong, row by row, in a number of queries that does not depend on the
number of rows."""

from __future__ import annotations

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from content.api import normalize_text
from courses import read_models as courses_models
from lms.accounts import api as accounts_api
from lms.enrollment import selectors
from lms.enrollment.bulk.checks import ERROR, EXISTING, UNCHANGED, Check, RowCheck, labelled
from lms.enrollment.bulk.fileformat import CELL_PROBLEM_MESSAGES, TEMPLATE_HEADERS
from lms.enrollment.models import Enrollment, Membership


def split_course_codes(cell: str) -> list[str]:
    """``"B3MFP; salud-y-prevencion, finanzas"`` → the codes, without repeats."""
    codes = [code.strip() for code in cell.replace(",", ";").split(";")]
    seen: dict[str, str] = {}
    for code in codes:
        if code:
            seen.setdefault(normalize_text(code), code)
    return list(seen.values())


def _course_index(courses) -> dict[str, object]:
    """Normalised code → course. A course is named by its slug or its curriculum module's
    key (or official code); a module key shared by two courses names neither (None)."""
    index: dict[str, object] = {}
    by_module: dict[str, list] = defaultdict(list)
    for course in courses:
        index[normalize_text(course.slug)] = course
        if course.module is not None:
            for key in {course.module.key, course.module.code} - {""}:
                by_module[normalize_text(key)].append(course)
    for key, matches in by_module.items():
        if key not in index:
            index[key] = matches[0] if len(matches) == 1 else None
    return index


def _window_error(course, *, by_staff: bool) -> str | None:
    reason = selectors.closed_reason(course, by_staff=by_staff)
    title = course.title
    if reason == "coordinator_only":
        return _(
            "Curso «%(course)s»: solo la coordinación puede inscribir a este curso y su "
            "cuenta no tiene ese permiso."
        ) % {"course": title}
    if reason == "not_open_yet":
        return _("Curso «%(course)s»: la inscripción abre el %(date)s.") % {
            "course": title,
            "date": timezone.localtime(course.enrollment_opens_at).strftime("%d/%m/%Y"),
        }
    if reason == "closed":
        return _("Curso «%(course)s»: la inscripción ya cerró.") % {"course": title}
    return None


def validate_rows(*, rows: list[dict], grupo, by) -> Check:
    """Check every row of a file for ``grupo``, as coordinator ``by`` would apply it.

    The number of queries does not depend on the number of rows: courses, accounts, CURPs,
    roles, memberships and enrollments are looked up for the whole file at once, and each
    row's fields are checked with the accounts rules without touching the database.
    """
    return _Validator(rows=rows, grupo=grupo, by=by).check()


# Messages shared by several checks.
REPEATED = gettext_lazy("se repite en el archivo (ya está en la fila %(row)s).")
USERNAME_DUPLICATE = gettext_lazy(
    "usuario duplicado: ya lo usa otra persona. Elija otro; por ejemplo, agréguele un número. "
    "Si es la misma persona y ya tiene cuenta, quítela de la lista y dele el código del grupo "
    "para que se una ella misma."
)
USERNAME_LOOKALIKE = gettext_lazy(
    "se parece demasiado al de una cuenta que ya existe y se podrían confundir. Elija otro; "
    "por ejemplo, agréguele un número. Si es la misma persona y ya tiene cuenta, escriba su "
    "usuario exactamente como lo tiene."
)
LOOKS_LIKE_ROW = gettext_lazy(
    "se parece demasiado al usuario de la fila %(row)s y se podrían confundir. Elija otro; por "
    "ejemplo, agréguele un número."
)


class _Validator:
    """One validation of one file: the batch look-ups, then each row in file order (the
    order matters: the first occurrence of a username and the first rows to claim the last
    seats of a course win)."""

    def __init__(self, *, rows: list[dict], grupo, by):
        self.grupo = grupo
        self.by = by
        # Each row with its username as typed and as the accounts would store it.
        self.rows = []
        for raw in rows:
            typed = raw.get("username", "")
            self.rows.append((raw, typed, accounts_api.normalise_username(typed)))
        # What each stored username looks like, to refuse look-alikes of accounts and rows.
        self.skeleton_of = {
            stored: accounts_api.username_skeleton(stored) for _raw, _typed, stored in self.rows
        }
        self.first_row_of_username: dict[str, int] = {}
        self.first_row_of_skeleton: dict[str, int] = {}
        self.first_row_of_curp: dict[str, int] = {}

    def check(self) -> Check:
        self._look_up()
        return Check(rows=[self._check_row(*row) for row in self.rows], users=self.users_by_id)

    # --- Batch look-ups (a fixed number of queries) ---

    def _look_up(self) -> None:
        user_model = get_user_model()
        courses = list(courses_models.CoursePage.objects.select_related("module"))
        self.course_index = _course_index(courses)
        self.by_staff = self.by.has_perm("courses.edit_any_course")
        self.scope = set(selectors.sedes_in_scope(user=self.by).values_list("id", flat=True))

        # Usernames are unique without regard to case; match them the same way. The same
        # query finds the accounts whose usernames look like a row's (same skeleton).
        typed = {value for _raw, *names in self.rows for value in names if value}
        candidates = typed | {value.lower() for value in typed}
        skeletons = set(self.skeleton_of.values()) - {""}
        self.existing: dict[str, object] = {}
        self.taken_skeletons: set[str] = set()
        if candidates:
            matches = user_model.objects.annotate(_lower=Lower("username")).filter(
                Q(_lower__in=candidates) | Q(username_skeleton__in=skeletons)
            )
            for user in matches.order_by("id"):
                if user._lower in candidates:
                    self.existing.setdefault(user.username.lower(), user)
                self.taken_skeletons.add(user.username_skeleton)
        self.users_by_id = {user.pk: user for user in self.existing.values()}
        self.plain: set[int] = set()
        self.sedes_of: dict[int, set[int]] = defaultdict(set)
        self.grupos_of: dict[int, set[int]] = defaultdict(set)
        self.active: set[tuple[int, int]] = set()
        if self.users_by_id:
            ids = list(self.users_by_id)
            self.plain = set(
                selectors.plain_learners().filter(pk__in=ids).values_list("pk", flat=True)
            )
            for user_id, grupo_id, sede_id in Membership.objects.filter(
                user_id__in=ids
            ).values_list("user_id", "grupo_id", "grupo__sede_id"):
                self.sedes_of[user_id].add(sede_id)
                self.grupos_of[user_id].add(grupo_id)
            self.active = set(
                Enrollment.objects.filter(user_id__in=ids, withdrawn_at__isnull=True).values_list(
                    "user_id", "course_id"
                )
            )

        curps = {accounts_api.normalise_curp(raw.get("curp", "")) for raw, *_names in self.rows}
        curps.discard("")
        self.taken_curps = (
            set(user_model.objects.filter(curp__in=curps).values_list("curp", flat=True))
            if curps
            else set()
        )

        capped = [course for course in courses if course.capacity is not None]
        taken = {}
        if capped:
            taken = dict(
                Enrollment.objects.filter(
                    course_id__in=[course.pk for course in capped], withdrawn_at__isnull=True
                )
                .values("course_id")
                .annotate(n=Count("id"))
                .values_list("course_id", "n")
            )
        self.seats_left = {
            course.pk: max(course.capacity - taken.get(course.pk, 0), 0) for course in capped
        }

    # --- One row ---

    def _check_row(self, raw: dict, typed: str, stored: str) -> RowCheck:
        number = raw["row"]
        row = RowCheck(
            number=number,
            username=stored or typed,
            name=raw.get("name", ""),
            email=raw.get("email", ""),
            course_labels=[],
            data=raw,
        )
        if raw.get("extra"):
            row.errors.append(
                _(
                    "La fila tiene datos de más, fuera de las columnas: %(cells)s. Revise que "
                    "ningún dato tenga una coma o un punto y coma de más."
                )
                % {"cells": ", ".join(f"«{cell}»" for cell in raw["extra"][:3])}
            )
        misread = raw.get("cell_problems", [])
        for problem in misread:
            row.errors.append(
                CELL_PROBLEM_MESSAGES[problem["kind"]]
                % {
                    "cell": problem["cell"],
                    "column": TEMPLATE_HEADERS[problem["field"]],
                    "shown": problem["shown"][:60],
                }
            )
        repeated = False
        if not stored:
            if not any(problem["field"] == "username" for problem in misread):
                row.errors.append(_("Falta el usuario: escriba con qué nombre de usuario entrará."))
        else:
            first = self.first_row_of_username.setdefault(stored.lower(), number)
            if first != number:
                repeated = True
                row.errors.append(labelled("username", typed, REPEATED % {"row": first}))
            user = self.existing.get(stored.lower()) or self.existing.get(typed.lower())
            if user is None:
                self._check_new(row, raw, typed, stored, repeated=repeated)
            else:
                self._check_existing(row, user, typed)
        # A repeated row is the same person: it must not take a second seat.
        self._check_courses(row, raw, takes_seats=not repeated)
        if row.errors:
            row.status = ERROR
        elif row.status == EXISTING and not (row.joins_grupo or row.enroll_in):
            row.status = UNCHANGED
        return row

    def _check_new(
        self, row: RowCheck, raw: dict, typed: str, stored: str, *, repeated: bool
    ) -> None:
        row.joins_grupo = True
        values = {
            "username": typed,
            "display_name": row.name,
            "email": row.email,
            "phone": raw.get("phone", ""),
            "curp": raw.get("curp", ""),
        }
        try:
            accounts_api.validate_registration(
                username=typed,
                password=None,
                display_name=row.name,
                email=row.email,
                phone=values["phone"],
                curp=values["curp"],
                check_taken=False,
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in dict.fromkeys(messages):
                    row.errors.append(labelled(name, values.get(name, ""), message))
            # A username already refused (or repeated) is not also called a look-alike.
            repeated = repeated or "username" in error.message_dict
        if not repeated:
            self._check_lookalike(row, typed, stored)
        curp = accounts_api.normalise_curp(values["curp"])
        if curp:
            first = self.first_row_of_curp.setdefault(curp, row.number)
            if first != row.number:
                row.errors.append(labelled("curp", values["curp"], REPEATED % {"row": first}))
            elif curp in self.taken_curps:
                message = _(
                    "ya está registrada en otra cuenta. Si es la misma persona, escriba en "
                    "«usuario» el usuario que ya tiene."
                )
                row.errors.append(labelled("curp", values["curp"], message))

    def _check_lookalike(self, row: RowCheck, typed: str, stored: str) -> None:
        """A new username must not look like an account's (``accounts_api.username_looks_taken``
        in batch) nor like a new username of an earlier row."""
        skeleton = self.skeleton_of[stored]
        if skeleton in self.taken_skeletons:
            row.errors.append(labelled("username", typed, USERNAME_LOOKALIKE))
            return
        first = self.first_row_of_skeleton.setdefault(skeleton, row.number)
        if first != row.number:
            row.errors.append(labelled("username", typed, LOOKS_LIKE_ROW % {"row": first}))

    def _check_existing(self, row: RowCheck, user, typed: str) -> None:
        """An account with this username exists. Only a learner the coordinator already
        has (an educando in a grupo of their sedes) may be listed again: they join the
        grupo and the courses they lack, and their profile is left alone."""
        row.user_id = user.pk
        row.username = user.get_username()
        theirs = bool(self.sedes_of[user.pk] & self.scope)
        if theirs and not user.is_active:
            message = _("esta cuenta está desactivada; no se puede inscribir.")
            row.errors.append(labelled("username", typed, message))
        elif not (theirs and user.pk in self.plain):
            row.errors.append(labelled("username", typed, USERNAME_DUPLICATE))
        else:
            row.status = EXISTING
            row.joins_grupo = self.grupo.pk not in self.grupos_of[user.pk]

    def _check_courses(self, row: RowCheck, raw: dict, *, takes_seats: bool) -> None:
        for code in split_course_codes(raw.get("courses", "")):
            key = normalize_text(code)
            course = self.course_index.get(key)
            if course is None:
                row.course_labels.append(code)
                if key in self.course_index:
                    message = _("esa clave es de varios cursos; escriba el código del curso.")
                else:
                    message = _(
                        "no existe ese curso. Copie el código de la hoja «Cursos» de la plantilla."
                    )
                row.errors.append(labelled("courses", code, message))
                continue
            row.course_labels.append(course.title)
            if (row.user_id, course.pk) in self.active:
                row.already_in.append(course)
                continue
            problem = self._course_problem(course, takes_seats=takes_seats)
            if problem:
                row.errors.append(problem)
            else:
                row.enroll_in.append(course)

    def _course_problem(self, course, *, takes_seats: bool) -> str | None:
        """Why nobody new can be enrolled in ``course`` now (None: they can). Takes a seat
        of a course with a capacity."""
        if not course.live:
            return _("Curso «%(course)s»: no está publicado.") % {"course": course.title}
        window = _window_error(course, by_staff=self.by_staff)
        if window:
            return window
        if course.pk in self.seats_left and takes_seats:
            if self.seats_left[course.pk] <= 0:
                return _(
                    "Curso «%(course)s»: ya no hay lugares. Tiene cupo para %(capacity)s "
                    "personas y no alcanza para todas las filas de este archivo."
                ) % {"course": course.title, "capacity": course.capacity}
            self.seats_left[course.pk] -= 1
        return None
