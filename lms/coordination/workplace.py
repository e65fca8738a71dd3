"""The coordinator's workplace, offered to ``accounts`` (login landing, profile link)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api


def coordination_workplace(user) -> accounts_api.Workplace | None:
    """/coordinacion/ for whoever may see a sede (their coordinators, administrators)."""
    if not enrollment_api.sedes_in_scope(user=user).exists():
        return None
    return accounts_api.Workplace(label=_("Ir a coordinación"), url=reverse("coordination:home"))
