"""The front doors (DESIGN notes in the README), checked where import-linter cannot see.

import-linter checks which modules import which. It cannot see that a module imported
through its front door hands out a model (``enrollment_api.Enrollment``), nor that a model
read through a ``read_models`` facade is then written to, nor that a new module of an app
was left out of the contract that keeps other apps away from it. These tests can.
"""

from __future__ import annotations

import ast
import configparser
import importlib
import pkgutil
from pathlib import Path

import pytest
from django.db import models

ROOT = Path(__file__).resolve().parent.parent
LMS_APPS = [
    "accounts",
    "enrollment",
    "progress",
    "assessments",
    "certificates",
    "coordination",
    "exports",
    "notifications",
    "evaluation",
    "xapi",
]
# Packages whose front door is ``api`` (and ``read_models`` where the app has one).
FRONT_DOORS = [f"lms.{app}" for app in LMS_APPS] + ["courses", "content"]
# Modules other apps never reach for: they are Django's or Wagtail's to load.
LOADED_BY_THE_FRAMEWORK = {"migrations"}
QUERYSET_WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "update",
    "update_or_create",
    "get_or_create",
    "delete",
}


def _is_model(value) -> bool:
    return isinstance(value, type) and issubclass(value, models.Model)


def _source_files():
    for top in ("lms", "courses", "content"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _package_of(module: str) -> str | None:
    """The front-door package of ``module``: ``lms.enrollment.bulk.x`` → ``lms.enrollment``."""
    for package in FRONT_DOORS:
        if module == package or module.startswith(package + "."):
            return package
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_doors(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Local name → (package, "api" | "read_models") for every front door a module binds."""
    bound = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if alias.name in {"api", "read_models"} and node.module in FRONT_DOORS:
                    bound[alias.asname or alias.name] = (node.module, alias.name)
                elif node.module.endswith(".read_models") and node.module[:-12] in FRONT_DOORS:
                    bound[alias.asname or alias.name] = (
                        node.module[:-12],
                        f"read_models.{alias.name}",
                    )
    return bound


@pytest.mark.parametrize("package", FRONT_DOORS)
def test_no_api_exports_a_model(package):
    """Models are read through ``read_models`` and written through functions: an api's
    ``__all__`` holds functions, data classes, enums and exceptions, never a model."""
    api = importlib.import_module(f"{package}.api")
    exported_models = [name for name in api.__all__ if _is_model(getattr(api, name))]
    assert exported_models == []


# The apps that lend models to others (coordination, exports, notifications, content: none).
LENDERS = [p for p in FRONT_DOORS if ROOT.joinpath(*p.split("."), "read_models.py").exists()]


def test_the_apps_that_others_read_lend_their_models():
    assert set(LENDERS) == {
        "lms.accounts",
        "lms.enrollment",
        "lms.progress",
        "lms.assessments",
        "lms.certificates",
        "courses",
    }


@pytest.mark.parametrize("package", LENDERS)
def test_read_models_export_only_models_of_their_app(package):
    facade = importlib.import_module(f"{package}.read_models")
    for name in facade.__all__:
        model = getattr(facade, name)
        assert _is_model(model) or issubclass(model, models.Choices), name
        assert _package_of(model.__module__) == package, name


def test_no_app_reaches_a_model_through_another_apps_api():
    """``enrollment_api.Enrollment`` works at run time (the api module imports the model for
    its own use), which is exactly why a test must forbid it."""
    found = []
    for path in _source_files():
        module = _module_name(path)
        tree = ast.parse(path.read_text(), str(path))
        doors = _imported_doors(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                door = doors.get(node.value.id)
                if door is None or door[1] != "api" or _package_of(module) == door[0]:
                    continue
                api = importlib.import_module(f"{door[0]}.api")
                if _is_model(getattr(api, node.attr, None)):
                    found.append(
                        f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}"
                    )
    assert found == []


def _chain_root(node: ast.expr) -> ast.expr:
    """``a.b.objects.filter(x).update`` → ``a``: walk down attributes and calls."""
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return node


def _writes_through_read_models(tree: ast.Module, doors, own_package) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in QUERYSET_WRITES
        ):
            continue
        # Only queryset writes: Model.objects....<write>(), with "objects" in the chain.
        chain = ast.unparse(node.func)
        if ".objects" not in chain:
            continue
        root = _chain_root(node.func)
        door = doors.get(root.id) if isinstance(root, ast.Name) else None
        if door is not None and door[1].startswith("read_models") and door[0] != own_package:
            lines.append(node.lineno)
    return lines


def test_no_app_writes_through_another_apps_read_models():
    """Writes go through the owning app's api (its services), where its rules live."""
    found = []
    for path in _source_files():
        tree = ast.parse(path.read_text(), str(path))
        own = _package_of(_module_name(path))
        for line in _writes_through_read_models(tree, _imported_doors(tree), own):
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert found == []


def test_the_write_check_sees_a_write():
    """The check above is only worth something if it catches the writes it looks for."""
    tree = ast.parse(
        "from lms.enrollment import read_models as enrollment_models\n"
        "from lms.progress.read_models import CourseProgress\n"
        "enrollment_models.Enrollment.objects.filter(pk=1).update(enrolled_at=None)\n"
        "CourseProgress.objects.create(user_id=1)\n"
        "enrollment_models.Enrollment.objects.filter(pk=1).count()\n"
    )
    assert _writes_through_read_models(tree, _imported_doors(tree), "lms.coordination") == [3, 4]
    assert _writes_through_read_models(tree, _imported_doors(tree), "lms.enrollment") == [4]


def _front_door_contracts() -> dict[str, set[str]]:
    """Package → the modules its front-door contract forbids to other apps."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    forbidden: dict[str, set[str]] = {}
    for section in config.sections():
        if not section.startswith("importlinter:contract:front-door-"):
            continue
        package = section.removeprefix("importlinter:contract:front-door-")
        package = package if package in {"courses", "content"} else f"lms.{package}"
        forbidden[package] = set(config[section]["forbidden_modules"].split())
    return forbidden


@pytest.mark.parametrize("package", FRONT_DOORS)
def test_every_module_behind_the_front_door_is_in_its_contract(package):
    """A module added to an app is kept from other apps unless it is the front door: the
    contract lists every module of the app but ``api`` and ``read_models``."""
    contracts = _front_door_contracts()
    assert package in contracts, f"no [importlinter:contract:front-door-…] for {package}"
    path = ROOT.joinpath(*package.split("."))
    behind = {
        f"{package}.{info.name}"
        for info in pkgutil.iter_modules([str(path)])
        if info.name not in {"api", "read_models"} | LOADED_BY_THE_FRAMEWORK
    }
    assert contracts[package] == behind
