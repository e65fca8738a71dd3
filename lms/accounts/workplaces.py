"""Where a signed-in person works besides "Mis cursos": places that apps above accounts
offer (coordination offers /coordinacion/ to the people who coordinate sedes).

Accounts cannot import those apps, so they come to it from ``AppConfig.ready``, as they do
with their part of the personal-data export. The login page sends a person to their first
workplace and the profile page links to all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lms.accounts.models import User

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Workplace:
    label: StrOrPromise  # shown as a link: "Ir a coordinación"
    url: str


WorkplaceRule = Callable[[User], Workplace | None]
_RULES: dict[str, WorkplaceRule] = {}


def register_workplace(*, key: str, rule: WorkplaceRule) -> None:
    """Offer a workplace: ``rule(user)`` returns it for the people it is for, else None.

    Registering the same ``key`` again replaces the rule (``ready`` may run twice in tests).
    """
    _RULES[key] = rule


def workplaces_for(user: User | AnonymousUser) -> list[Workplace]:
    """The workplaces ``user`` has, in the order they were registered."""
    if not user.is_authenticated:
        return []
    return [place for rule in _RULES.values() if (place := rule(user)) is not None]
