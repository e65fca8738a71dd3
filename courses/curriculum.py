"""Loading a curriculum framework from a data file, and evaluating credential rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from courses.models import (
    CredentialRequirement,
    CredentialRule,
    Eje,
    Framework,
    Level,
    Module,
    ModuleKind,
)

DATA_DIR = Path(__file__).resolve().parent / "data"


class CurriculumFileError(ValueError):
    pass


def _require(data: dict, key: str, where: str):
    if key not in data or data[key] in (None, ""):
        raise CurriculumFileError(_("%(where)s: falta «%(key)s».") % {"where": where, "key": key})
    return data[key]


@transaction.atomic
def load_framework_file(path: Path, *, update: bool = True) -> Framework:
    """Create or update a framework from a YAML data file (see ``data/mevyt.yaml``).

    Idempotent. Rows are matched by key; rows the file does not mention are left alone
    (a coordinator may have added them). With ``update=False`` an existing framework is
    returned untouched, so loading at start-up never overwrites edits made in the admin.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    key = _require(data, "key", path.name)
    if not update:
        existing = Framework.objects.filter(key=key).first()
        if existing:
            return existing
    framework, _created = Framework.objects.update_or_create(
        key=key,
        defaults={
            "name": _require(data, "name", path.name),
            "description": data.get("description", ""),
            "source_notes": data.get("source_notes", ""),
        },
    )
    levels = {}
    for order, row in enumerate(data.get("levels", [])):
        levels[row["key"]], _c = Level.objects.update_or_create(
            framework=framework,
            key=_require(row, "key", "levels"),
            defaults={
                "name": _require(row, "name", f"levels.{row['key']}"),
                "school_equivalent": row.get("school_equivalent", ""),
                "sort_order": order,
            },
        )
    ejes = {}
    for order, row in enumerate(data.get("ejes", [])):
        ejes[row["key"]], _c = Eje.objects.update_or_create(
            framework=framework,
            key=_require(row, "key", "ejes"),
            defaults={"name": _require(row, "name", f"ejes.{row['key']}"), "sort_order": order},
        )
    kinds = set(ModuleKind.values)
    for row in data.get("modules", []):
        where = f"modules.{row.get('key')}"
        if row.get("kind") not in kinds:
            raise CurriculumFileError(_("%(where)s: tipo no válido.") % {"where": where})
        for ref, known in (("level", levels), ("eje", ejes)):
            if row.get(ref) and row[ref] not in known:
                raise CurriculumFileError(
                    _("%(where)s: «%(value)s» no está definido.")
                    % {"where": where, "value": row[ref]}
                )
        Module.objects.update_or_create(
            framework=framework,
            key=_require(row, "key", "modules"),
            defaults={
                "code": row.get("code") or "",
                "name": _require(row, "name", where),
                "kind": row["kind"],
                "level": levels.get(row.get("level")),
                "eje": ejes.get(row.get("eje")),
                "description": row.get("description", ""),
            },
        )
    for row in data.get("credential_rules", []):
        rule, _c = CredentialRule.objects.update_or_create(
            framework=framework,
            key=_require(row, "key", "credential_rules"),
            defaults={
                "name": _require(row, "name", "credential_rules"),
                "is_confirmed": bool(row.get("is_confirmed")),
                "notes": row.get("notes", ""),
            },
        )
        # A rule's requirements are replaced as a whole: they only make sense together.
        rule.requirements.all().delete()
        for order, req in enumerate(row.get("requirements", [])):
            requirement = CredentialRequirement.objects.create(
                rule=rule, kind=req["kind"], count=req["count"], sort_order=order
            )
            requirement.levels.set([levels[k] for k in req.get("levels", [])])
    return framework


@dataclass
class RequirementProgress:
    requirement: CredentialRequirement
    modules: list[Module]

    @property
    def done(self) -> int:
        return len(self.modules)

    @property
    def missing(self) -> int:
        return max(self.requirement.count - self.done, 0)


@dataclass
class CredentialProgress:
    rule: CredentialRule
    requirements: list[RequirementProgress]

    @property
    def complete(self) -> bool:
        return all(r.missing == 0 for r in self.requirements)

    @property
    def done(self) -> int:
        return sum(min(r.done, r.requirement.count) for r in self.requirements)

    @property
    def total(self) -> int:
        return sum(r.requirement.count for r in self.requirements)


def credential_progress(*, rule: CredentialRule, modules: Iterable[Module]) -> CredentialProgress:
    """How far a set of covered modules goes toward a credential.

    Each module counts once. Requirements restricted to some levels are filled before
    open ("any level") ones, so a básico never uses up a place it is not needed for.
    For several credentials at once use ``credentials_progress``: a module must not count
    toward two of them.
    """
    return _fill(rule, _requirements(rule), list({m.pk: m for m in modules}.values()))


def credentials_progress(
    *, rules: Iterable[CredentialRule], modules: Iterable[Module]
) -> list[CredentialProgress]:
    """How far a set of covered modules goes toward each of ``rules``, each module
    counted toward one credential at most: the lower credential (primaria: the rule whose
    requirements name the lowest level) is filled first, and what it has no place for
    goes to the next (secundaria). So a diversificado, which the data may leave without a
    level, never counts for both. In the order of ``rules``."""
    rules = list(rules)
    requirements = {rule.pk: _requirements(rule) for rule in rules}

    def rank(rule: CredentialRule) -> tuple[int, int, str]:
        orders = [level.sort_order for req in requirements[rule.pk] for level in req.levels.all()]
        return (0, min(orders), rule.name) if orders else (1, 0, rule.name)

    pool = list({m.pk: m for m in modules}.values())
    progress: dict[int, CredentialProgress] = {}
    for rule in sorted(rules, key=rank):
        progress[rule.pk] = _fill(rule, requirements[rule.pk], pool)
        used = {m.pk for r in progress[rule.pk].requirements for m in r.modules}
        pool = [m for m in pool if m.pk not in used]
    return [progress[rule.pk] for rule in rules]


def _requirements(rule: CredentialRule) -> list[CredentialRequirement]:
    """The rule's requirements with their levels (prefetched by the caller, or read now
    in two queries)."""
    if "requirements" in getattr(rule, "_prefetched_objects_cache", {}):
        return list(rule.requirements.all())
    return list(rule.requirements.prefetch_related("levels"))


def _fill(
    rule: CredentialRule, requirements: list[CredentialRequirement], modules: list[Module]
) -> CredentialProgress:
    pool = list(modules)
    order = sorted(requirements, key=lambda r: (not r.levels.all(), r.sort_order))
    filled: dict[int, list[Module]] = {r.pk: [] for r in requirements}
    for requirement in order:
        level_ids = {level.pk for level in requirement.levels.all()}
        for module in list(pool):
            if len(filled[requirement.pk]) >= requirement.count:
                break
            if module.kind == requirement.kind and (not level_ids or module.level_id in level_ids):
                filled[requirement.pk].append(module)
                pool.remove(module)
    return CredentialProgress(rule, [RequirementProgress(r, filled[r.pk]) for r in requirements])
