"""What checking a file says: each row's status and errors (``RowCheck``) and the whole
file's (``Check``), which the preview shows and applying follows."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.enrollment.bulk.fileformat import FIELD_LABELS

NEW = "new"
EXISTING = "existing"
UNCHANGED = "unchanged"
ERROR = "error"
STATUS_LABELS = {
    NEW: gettext_lazy("Cuenta nueva"),
    EXISTING: gettext_lazy("Ya tiene cuenta"),
    UNCHANGED: gettext_lazy("Sin cambios"),
    ERROR: gettext_lazy("Con errores"),
}


@dataclass
class RowCheck:
    """One row of the file and what applying it would do (or why it cannot)."""

    number: int
    username: str
    name: str
    email: str
    course_labels: list[str]
    status: str = NEW
    errors: list[str] = field(default_factory=list)
    user_id: int | None = None
    joins_grupo: bool = False
    enroll_in: list = field(default_factory=list)
    already_in: list = field(default_factory=list)
    data: dict = field(default_factory=dict, repr=False)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    @property
    def gets_code(self) -> bool:
        return self.status == NEW and not self.email

    @property
    def gets_email(self) -> bool:
        return self.status == NEW and bool(self.email)


@dataclass
class Check:
    """Every row of a file checked against the database, and the totals."""

    rows: list[RowCheck]
    users: dict = field(default_factory=dict, repr=False)

    @property
    def error_rows(self) -> list[RowCheck]:
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self) -> bool:
        return any(row.errors for row in self.rows)

    @property
    def rows_for_display(self) -> list[RowCheck]:
        """Rows with errors first (what the coordinator must fix), then the rest in file
        order."""
        return sorted(self.rows, key=lambda row: (not row.errors, row.number))

    def counts(self) -> dict[str, int]:
        valid = [row for row in self.rows if not row.errors]
        return {
            "rows": len(self.rows),
            "new_accounts": sum(row.status == NEW for row in valid),
            "existing": sum(row.status == EXISTING for row in valid),
            "unchanged": sum(row.status == UNCHANGED for row in valid),
            "errors": len(self.rows) - len(valid),
            "new_enrollments": sum(len(row.enroll_in) for row in valid),
            "new_memberships": sum(row.joins_grupo for row in valid),
            "codes": sum(row.gets_code for row in valid),
            "emails": sum(row.gets_email for row in valid),
        }

    @property
    def has_changes(self) -> bool:
        totals = self.counts()
        return bool(totals["new_accounts"] or totals["existing"])

    def add_error(self, number: int, message: str) -> None:
        for row in self.rows:
            if row.number == number:
                if message not in row.errors:
                    row.errors.append(message)
                row.status = ERROR


def labelled(field_name: str, value: str, message) -> str:
    """A message about one cell that names its column and what it says ("Usuario «ana»: …")."""
    if len(value) > 60:
        value = value[:59] + "…"
    return _("%(field)s «%(value)s»: %(message)s") % {
        "field": FIELD_LABELS.get(field_name, field_name),
        "value": value,
        "message": message,
    }
