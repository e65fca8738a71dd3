"""Bulk enrollment: a coordinator's spreadsheet of learners becomes accounts, members of a
grupo and enrollments in courses.

The steps, each in a module of this package:

* ``reading.parse_file`` reads an uploaded CSV or XLSX into normalised rows, or raises
  ``BulkFileError`` with a Spanish message (wrong kind of file, unknown columns…);
  ``cells`` reads an XLSX and names the cells that would be misread (a formula without a
  saved result, a date Excel made of a text). ``fileformat`` holds the columns, the
  limits and the messages; ``template_files`` makes the CSV and XLSX templates.
* ``validation.validate_rows`` checks every row against the database in a constant number
  of queries and says, row by row, what applying would do or what is wrong (``checks``).
* ``applying.apply_import`` validates again and writes everything in one transaction, or
  nothing. Learners without email get a one-time access code, printed on a PDF sheet
  (``codesheet``) that is made in the same transaction (the codes exist in plain text
  only then); learners with email get a welcome email (``welcome``) with a link to choose
  their password, queued after the commit. The coordinator's pages run it in a Celery
  task, with a progress page (``background``).
* ``imports.cleanup`` (Celery beat) deletes uploads nobody applied and sheets whose codes
  expired.

Applying is idempotent by construction: a row whose person already has an account in the
coordinator's sedes only joins the grupo and the courses they lack, so the same file
applied twice creates nothing the second time.

This package builds on ``services``, ``selectors`` and ``models``, never on ``api`` or
``tasks`` (``.importlinter`` keeps it so): where it queues a Celery task, its caller
passes the function that does it. Other apps reach it through ``lms.enrollment.api``.
"""

from lms.enrollment.bulk.applying import (
    STEP_ACCOUNTS,
    STEP_CHECK,
    STEP_ROWS,
    STEP_SHEET,
    Applied,
    ApplyFailed,
    apply_import,
)
from lms.enrollment.bulk.background import (
    ACTIVE,
    STALLED_AFTER,
    apply_queued,
    is_stalled,
    mark_failed,
    preview_check,
    progress_of,
    request_apply,
)
from lms.enrollment.bulk.checks import Check, RowCheck
from lms.enrollment.bulk.codesheet import code_sheet_expired
from lms.enrollment.bulk.fileformat import EMPTY_FILE, MAX_FILE_BYTES, TOO_BIG, BulkFileError
from lms.enrollment.bulk.imports import cleanup, earlier_application, imports_in_scope
from lms.enrollment.bulk.reading import create_import, file_sha256, parse_file
from lms.enrollment.bulk.template_files import enrollable_courses, template_csv, template_xlsx
from lms.enrollment.bulk.validation import split_course_codes, validate_rows
from lms.enrollment.bulk.welcome import send_welcome_email

__all__ = [
    "ACTIVE",
    "EMPTY_FILE",
    "MAX_FILE_BYTES",
    "STALLED_AFTER",
    "STEP_ACCOUNTS",
    "STEP_CHECK",
    "STEP_ROWS",
    "STEP_SHEET",
    "TOO_BIG",
    "Applied",
    "ApplyFailed",
    "BulkFileError",
    "Check",
    "RowCheck",
    "apply_import",
    "apply_queued",
    "cleanup",
    "code_sheet_expired",
    "create_import",
    "earlier_application",
    "enrollable_courses",
    "file_sha256",
    "imports_in_scope",
    "is_stalled",
    "mark_failed",
    "parse_file",
    "preview_check",
    "progress_of",
    "request_apply",
    "send_welcome_email",
    "split_course_codes",
    "template_csv",
    "template_xlsx",
    "validate_rows",
]
