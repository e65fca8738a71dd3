"""Catalog diagnostics in the library: ``_diagnosticos/<slug>.yaml`` files, read and checked
as plain Python data.

A diagnostic is a placement quiz that lives in the catalog, open to everyone, not inside a
course. Each question names the curriculum module it assesses (``topic``: the module key);
the file names the framework and the levels it covers, and must assess every module of
those levels with at least ``MIN_QUESTIONS_PER_MODULE`` questions, so the result can say,
module by module, what a person already knows. The block contents are converted later, by
``block_values``, as for any assessment; what a module or a level is comes from the
curriculum in the database, passed in by the importer (``check_topics``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from content.library.format import LIBRARY_ROOT, LibraryError, check_fields, read_yaml

DIAGNOSTICS_FOLDER = "_diagnosticos"
# Fewer than two questions per module cannot tell knowing from guessing.
MIN_QUESTIONS_PER_MODULE = 2

_TEXT = (str,)
DIAGNOSTIC_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": ((int,), True),
    "slug": (_TEXT, True),
    "title": (_TEXT, True),
    "framework": (_TEXT, True),
    "levels": ((list,), True),
    "pass_mark": ((int,), True),
    "max_attempts": ((int, type(None)), False),
    "intro": (_TEXT, False),
    "questions": ((list,), True),
}


@dataclass
class DiagnosticFile:
    path: Path
    data: dict

    @property
    def slug(self) -> str:
        return self.data["slug"]

    @property
    def label(self) -> str:
        """How import reports name it: ``_diagnosticos/<slug>``."""
        return f"{DIAGNOSTICS_FOLDER}/{self.slug}"


def diagnostics_folder(root: Path = LIBRARY_ROOT) -> Path:
    return root / DIAGNOSTICS_FOLDER


def list_diagnostic_files(root: Path = LIBRARY_ROOT) -> list[Path]:
    folder = diagnostics_folder(root)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".yaml")


def read_diagnostic_file(path: Path) -> DiagnosticFile:
    """Read and check the structure of one diagnostic file (not yet its questions'
    blocks, nor its module keys: ``check_topics``)."""
    data = read_yaml(path)
    check_fields(path, data, DIAGNOSTIC_FIELDS)
    if data["slug"] != path.stem:
        raise LibraryError(
            path,
            "slug",
            _("Debe ser «%(slug)s», como el nombre del archivo.") % {"slug": path.stem},
        )
    levels = data["levels"]
    if not levels:
        raise LibraryError(path, "levels", _("Escriba al menos un nivel."))
    for index, level in enumerate(levels):
        if not isinstance(level, str) or not level:
            raise LibraryError(path, f"levels[{index}]", _("Debe ser la clave de un nivel."))
        if level in levels[:index]:
            raise LibraryError(
                path, f"levels[{index}]", _("El nivel «%(key)s» se repite.") % {"key": level}
            )
    if not 0 <= data["pass_mark"] <= 100:
        raise LibraryError(path, "pass_mark", _("Debe ser un número entero de 0 a 100."))
    if data.get("max_attempts") is not None and data["max_attempts"] < 1:
        raise LibraryError(
            path, "max_attempts", _("Debe ser al menos 1, o null para intentos sin límite.")
        )
    return DiagnosticFile(path, data)


def check_topics(
    path: Path,
    questions: Sequence[object],
    modules: Mapping[str, str],
) -> None:
    """Every question assesses one module of the diagnostic's levels and every such
    module has at least ``MIN_QUESTIONS_PER_MODULE`` questions.

    ``questions`` are the file's question entries (``{"type", "value": {"topic", …}}``);
    ``modules`` maps the key of every module of the file's levels to its name, in the
    curriculum's order."""
    counts: Counter[str] = Counter()
    for index, question in enumerate(questions):
        value = question.get("value") if isinstance(question, dict) else None
        topic = value.get("topic") if isinstance(value, dict) else None
        where = f"questions[{index}].value.topic"
        if not topic:
            raise LibraryError(
                path,
                where,
                _("En un diagnóstico, cada pregunta dice qué módulo evalúa (la clave del módulo)."),
            )
        if topic not in modules:
            raise LibraryError(
                path,
                where,
                _(
                    "«%(key)s» no es la clave de un módulo de los niveles del diagnóstico. "
                    "Claves válidas: %(valid)s."
                )
                % {"key": topic, "valid": ", ".join(modules)},
            )
        if value.get("outcome") is not None:
            raise LibraryError(
                path,
                f"questions[{index}].value.outcome",
                _("Un diagnóstico no es parte de un curso: deje «outcome» en null."),
            )
        counts[topic] += 1
    for key, name in modules.items():
        if counts[key] < MIN_QUESTIONS_PER_MODULE:
            raise LibraryError(
                path,
                "questions",
                _(
                    "El módulo «%(name)s» (%(key)s) tiene %(n)d preguntas; un diagnóstico "
                    "necesita al menos %(min)d por módulo."
                )
                % {"name": name, "key": key, "n": counts[key], "min": MIN_QUESTIONS_PER_MODULE},
            )
