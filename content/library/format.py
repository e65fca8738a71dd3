"""The course library's file format (see ``course_library/FORMAT.md``): its version, the
error every problem is reported as, reading and writing YAML, and the fields of each kind
of file.

The rest of the format is in ``folders`` (a course folder of YAML as plain Python data)
and ``block_values`` (StreamField block values between their file form and their stored
form). None of it knows what a course page is: the importer in ``courses`` maps this data
onto pages.

Every problem is reported as a ``LibraryError`` naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
LIBRARY_ROOT = Path(__file__).resolve().parent.parent / "course_library"


class LibraryError(Exception):
    """A problem in a library file: which file, which field, what is wrong (in Spanish)."""

    def __init__(self, file: Path | str, field: str, message: str):
        self.file = str(file)
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}, campo «{self.field}»" if self.field else self.file
        return f"{where}: {self.message}"


# --- YAML -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as people write YAML by hand.
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if ("\n" in value or len(value) > 80) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """The canonical text of a library file: key order kept, block style, UTF-8."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )


def write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml(data), encoding="utf-8")


def read_yaml(path: Path) -> dict:
    if not path.is_file():
        raise LibraryError(path, "", _("No existe el archivo."))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise LibraryError(path, "", _("El archivo no está en UTF-8.")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (línea %(line)d)") % {"line": mark.line + 1} if mark else ""
        raise LibraryError(path, "", _("YAML no válido%(where)s.") % {"where": where}) from None
    if not isinstance(data, dict):
        raise LibraryError(path, "", _("El archivo debe contener un mapa de campos."))
    return data


# --- Schemas of the three kinds of file -------------------------------------------------

_TEXT = (str,)
_INT = (int,)
_OPT_INT = (int, type(None))
_LIST = (list,)
_BOOL = (bool,)
_NUMBER = (int, float)

# field: (accepted types, required)
MANIFEST_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": (_INT, True),
    "slug": (_TEXT, True),
    "title": (_TEXT, True),
    "summary": (_TEXT, True),
    "description": (_TEXT, False),
    # The curriculum: a framework when the course names a level or a module; a module's
    # alignment kind ("corresponde", "parcial" with ``alignment_note``, "relacionado").
    "framework": (_TEXT, False),
    "level": (_TEXT, False),
    "module": (_TEXT, False),
    "alignment": (_TEXT, False),
    "alignment_note": (_TEXT, False),
    # For reviewers, never shown to learners: primary sources, the alignment's reason.
    "review_notes": (_TEXT, False),
    # Computed from the content; a file may state it only if it is what the content gives.
    "estimated_hours": (_NUMBER, False),
    "outcomes": (_LIST, False),
    "cover": ((str, type(None)), False),
    "cover_alt": (_TEXT, False),
    "final_assessment": ((str, type(None)), False),
    "contents": (_LIST, True),
}
LESSON_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": (_INT, True),
    "slug": (_TEXT, True),
    "title": (_TEXT, True),
    "summary": (_TEXT, False),
    "estimated_minutes": (_INT, True),
    "required": (_BOOL, False),
    "body": (_LIST, True),
    "review_notes": (_TEXT, False),
}
ASSESSMENT_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": (_INT, True),
    "slug": (_TEXT, True),
    "title": (_TEXT, True),
    "kind": (_TEXT, True),
    "pass_mark": (_INT, True),
    "max_attempts": (_OPT_INT, False),
    "questions_per_attempt": (_OPT_INT, False),
    "draw_by_outcome": (_BOOL, False),
    "intro": (_TEXT, False),
    "questions": (_LIST, True),
}
_TYPE_NAMES = {
    str: _("texto"),
    int: _("número entero"),
    float: _("número con decimales"),
    list: _("lista"),
    bool: _("true o false"),
    type(None): "null",
}


def check_fields(path: Path, data: dict, spec: dict) -> None:
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise LibraryError(path, unknown[0], _("Campo desconocido."))
    for name, (types, required) in spec.items():
        if name not in data:
            if required:
                raise LibraryError(path, name, _("Falta este campo obligatorio."))
            continue
        value = data[name]
        # bool is an int in Python; an int field must not accept true/false.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            expected = _(" o ").join(str(_TYPE_NAMES[t]) for t in types)
            raise LibraryError(path, name, _("Debe ser %(type)s.") % {"type": expected})
    if data["format"] != FORMAT_VERSION:
        raise LibraryError(
            path,
            "format",
            _("Versión de formato %(found)s no reconocida; se espera %(expected)d.")
            % {"found": data["format"], "expected": FORMAT_VERSION},
        )
