"""The public Python API of ``exports``: the rows and files coordinators take away.

Every function is keyword-only; ``kind`` is an ``ExportKind`` value and ``filters`` an
``ExportFilters`` or None::

    export_rows(*, kind, user, filters=None) -> (headers, iterator of tuples)
    count_rows(*, kind, user, filters=None) -> int
    build_query(*, kind, user, filters=None) -> ExportQuery   # runs no query yet
    write_csv(*, kind, user, filters=None, out) -> int        # out: binary file
    write_xlsx(*, kind, user, filters=None, out) -> int       # out: binary file (seekable)
    stream_csv(*, kind, user, filters=None) -> iterator of bytes
    build_job(*, job_id) / fail_job(*, job_id, message) / delete_old_jobs(*, now=None)
    may_export_research(user) -> bool                          # program administrators only
    write_research_zip(*, k=5, out) -> int                     # de-identified ZIP (research)

Scope is decided from ``user`` (``enrollment_api.sedes_in_scope``) every time: filters can
only narrow it. Nothing here writes to another app; the only rows it writes are its own
``ExportJob`` rows.
"""

from lms.exports.files import CONTENT_TYPES, filename, stream_csv, write_csv, write_xlsx
from lms.exports.filters import ExportFilters
from lms.exports.jobs import build_job, delete_old_jobs, fail_job
from lms.exports.models import ExportFormat, ExportKind, ExportStatus
from lms.exports.queries import ExportQuery, build_query, count_rows, export_rows
from lms.exports.research import may_export as may_export_research
from lms.exports.research import write_zip as write_research_zip

__all__ = [
    "CONTENT_TYPES",
    "ExportFilters",
    "ExportFormat",
    "ExportKind",
    "ExportQuery",
    "ExportStatus",
    "build_job",
    "build_query",
    "count_rows",
    "delete_old_jobs",
    "export_rows",
    "fail_job",
    "filename",
    "may_export_research",
    "stream_csv",
    "write_csv",
    "write_research_zip",
    "write_xlsx",
]
