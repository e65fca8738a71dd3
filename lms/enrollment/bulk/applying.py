"""Applying a checked upload: accounts, memberships and enrollments, all or nothing
(``apply_import``). ``background`` runs it in a Celery task with a progress page."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.accounts import api as accounts_api
from lms.enrollment import services
from lms.enrollment.bulk import codesheet
from lms.enrollment.bulk.checks import NEW, UNCHANGED, Check, RowCheck, labelled
from lms.enrollment.bulk.validation import validate_rows
from lms.enrollment.models import BulkImport


class ApplyFailed(Exception):
    """Applying found problems (the data changed since the preview, or a row failed while
    writing); nothing was written. ``check`` has every row with its errors;
    ``failed_row`` is ``(row number, message)`` when a row failed while writing (an error
    a new validation may not find again), else None."""

    def __init__(self, check: Check, failed_row: tuple[int, str] | None = None):
        super().__init__("bulk import failed")
        self.check = check
        self.failed_row = failed_row


class _RowFailed(Exception):
    def __init__(self, number: int, message: str):
        super().__init__(message)
        self.number = number
        self.message = message


@dataclass
class Applied:
    bulk_import: BulkImport
    already: bool = False


def _api_error_messages(error: ValidationError, row: RowCheck) -> str:
    typed = {
        "username": row.data.get("username", ""),
        "display_name": row.name,
        "email": row.email,
        "phone": row.data.get("phone", ""),
        "curp": row.data.get("curp", ""),
    }
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        labelled(name, typed.get(name, ""), message)
        for name, messages in error.message_dict.items()
        for message in messages
    )


# What ``apply_import`` is doing when it calls ``progress(step, done, total)``: checking
# the rows again, creating the accounts (first pass over the rows to write), putting
# everyone in the grupo and the courses (second pass), making the sheet of codes.
STEP_CHECK = "check"
STEP_ACCOUNTS = "accounts"
STEP_ROWS = "rows"
STEP_SHEET = "sheet"

Progress = Callable[[str, int, int], None]
# Queues the welcome email of one new learner: ``(user_id, base_url, sede_name)``. The
# Celery task passes its sibling task's ``delay``, so nothing here imports the tasks.
QueueWelcomeEmail = Callable[[int, str, str], object]


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def apply_import(
    *,
    bulk_import: BulkImport,
    by,
    base_url: str,
    queue_welcome_email: QueueWelcomeEmail,
    progress: Progress | None = None,
) -> Applied:
    """Create the accounts, memberships and enrollments of ``bulk_import``, all or nothing.

    Raises ``ApplyFailed`` (nothing written) if any row has an error now or fails while
    writing. Applying an import that was already applied does nothing
    (``Applied.already``); the row lock on the upload makes a second application at the
    same time wait for the first and then do nothing. On success the status is
    ``applied``, the rows (personal data) are cleared, the counts kept in ``summary``,
    the sheet of access codes stored in ``code_sheet``, and the welcome emails queued for
    after the commit, one ``queue_welcome_email(user_id, base_url, sede_name)`` call per
    new learner with an email (robust: a failure is logged, the accounts stay).
    ``base_url`` is the site's address, for the links in the emails and on the sheet.
    ``progress(step, done, total)`` (``STEP_*``) is called as it goes, once per row in each
    pass, from inside the transaction: it must not write to the database.
    """
    progress = progress or _no_progress
    try:
        with transaction.atomic():
            locked = (
                BulkImport.objects.select_for_update()
                .select_related("grupo__sede")
                .get(pk=bulk_import.pk)
            )
            if locked.applied_at is not None:
                return Applied(bulk_import=locked, already=True)
            progress(STEP_CHECK, 0, len(locked.rows))
            check = validate_rows(rows=locked.rows, grupo=locked.grupo, by=by)
            if check.has_errors:
                raise ApplyFailed(check)
            _write(
                locked,
                check,
                by=by,
                base_url=base_url,
                queue_welcome_email=queue_welcome_email,
                progress=progress,
            )
            return Applied(bulk_import=locked)
    except _RowFailed as failed:
        # Rolled back. Check the file again as it stands now, and name the row that failed.
        fresh = BulkImport.objects.select_related("grupo").get(pk=bulk_import.pk)
        check = validate_rows(rows=fresh.rows, grupo=fresh.grupo, by=by)
        check.add_error(failed.number, failed.message)
        raise ApplyFailed(check, failed_row=(failed.number, failed.message)) from failed


def _write(
    bulk_import: BulkImport,
    check: Check,
    *,
    by,
    base_url: str,
    queue_welcome_email: QueueWelcomeEmail,
    progress: Progress,
) -> None:
    grupo = bulk_import.grupo
    cards = []
    welcome: list[int] = []
    now = timezone.now()
    expires_on = timezone.localtime(now + timedelta(days=accounts_api.reset_code_days())).date()
    rows = [row for row in check.rows if row.status != UNCHANGED]
    # Progress counts the rows of the file: those with nothing to write are done already.
    total = len(check.rows)
    skipped = total - len(rows)
    users = {}
    # First the accounts and their codes, where most of the queries are (a code's hash is
    # an HMAC, cheap). The courses are locked (capacity) only from the second pass until
    # the commit, so learners enrolling themselves meanwhile wait less.
    for done, row in enumerate(rows, skipped):
        progress(STEP_ACCOUNTS, done, total)
        if row.status != NEW:
            users[row.number] = check.users[row.user_id]
            continue
        try:
            user = accounts_api.register_learner(
                username=row.data["username"],
                password=None,
                display_name=row.name,
                email=row.email,
                phone=row.data.get("phone", ""),
                curp=row.data.get("curp", ""),
            )
        except ValidationError as error:
            raise _RowFailed(row.number, _api_error_messages(error, row)) from error
        users[row.number] = user
        if row.gets_code:
            code = accounts_api.issue_reset_code(user=user, issued_by=by)
            cards.append(
                codesheet.CodeCard(
                    name=user.public_name,
                    username=user.get_username(),
                    code=accounts_api.format_reset_code(code),
                    expires_on=expires_on,
                )
            )
        elif row.gets_email:
            welcome.append(user.pk)
    # Everyone into the grupo at once: one check that they are all learners, one insert.
    joining = [row for row in rows if row.joins_grupo]
    refused = services.add_learners_to_grupo(
        grupo=grupo, users=[users[row.number] for row in joining]
    )
    if refused:
        row = next(row for row in joining if users[row.number] == refused[0])
        message = services.STAFF_CANNOT_JOIN
        raise _RowFailed(row.number, labelled("username", row.username, message))
    for done, row in enumerate(rows, skipped):
        progress(STEP_ROWS, done, total)
        user = users[row.number]
        for course in row.enroll_in:
            try:
                services.enroll(user=user, course=course, by=by)
            except services.EnrollmentError as error:
                raise _RowFailed(
                    row.number,
                    _("Curso «%(course)s»: %(message)s")
                    % {"course": course.title, "message": error.message},
                ) from error

    totals = check.counts()
    bulk_import.summary = {
        **totals,
        "applied_by": by.get_username(),
        "codes_expire_on": expires_on.isoformat() if cards else None,
    }
    progress(STEP_ROWS, total, total)
    bulk_import.rows = []
    bulk_import.applied_at = now
    bulk_import.status = BulkImport.Status.APPLIED
    if cards:
        progress(STEP_SHEET, total, total)
        with translation.override(settings.LANGUAGE_CODE):
            pdf = codesheet.render(
                cards=cards,
                address=codesheet.redeem_address(base_url),
                grupo_name=str(grupo.name),
                sede_name=str(grupo.sede.name),
                generated_at=timezone.localtime(now),
            )
        # A random name: the file must not be found by anyone who only knows the import.
        bulk_import.code_sheet.save(
            f"{secrets.token_urlsafe(18)}.pdf", ContentFile(pdf), save=False
        )
    bulk_import.save()
    for user_id in welcome:
        # robust: the accounts exist whatever happens to an email; a failure is logged.
        transaction.on_commit(
            partial(queue_welcome_email, user_id, base_url, str(grupo.sede.name)),
            robust=True,
        )
