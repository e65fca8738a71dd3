"""Reading, checking and writing the course library's files (see ``course_library/FORMAT.md``).

This module turns folders of YAML into plain Python data and back, and converts StreamField
block values between their file form (readable: media as paths, lists as lists) and their
stored form (raw StreamField JSON). It does not know what a course page is: the importer in
``courses`` maps this data onto pages.

Every problem is reported as a ``LibraryError`` naming the file and the field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

FORMAT_VERSION = 1
LIBRARY_ROOT = Path(__file__).resolve().parent.parent / "course_library"

# Namespace for block ids derived from a position when a hand-written file leaves them out.
_ID_NAMESPACE = uuid.UUID("9b7f6c1e-3c1a-4f0e-9a55-5b1d2c3e4f60")


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

# field: (accepted types, required)
MANIFEST_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": (_INT, True),
    "slug": (_TEXT, True),
    "title": (_TEXT, True),
    "summary": (_TEXT, True),
    "description": (_TEXT, False),
    "framework": (_TEXT, True),
    "level": (_TEXT, True),
    "module": (_TEXT, True),
    "estimated_hours": (_INT, True),
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
}
ASSESSMENT_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "format": (_INT, True),
    "slug": (_TEXT, True),
    "title": (_TEXT, True),
    "kind": (_TEXT, True),
    "pass_mark": (_INT, True),
    "max_attempts": (_OPT_INT, False),
    "intro": (_TEXT, False),
    "questions": (_LIST, True),
}
_TYPE_NAMES = {
    str: _("texto"),
    int: _("número entero"),
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


# --- A course folder as data ------------------------------------------------------------


@dataclass
class ContentsEntry:
    kind: str  # "lesson", "assessment" or "unit"
    slug: str
    title: str = ""
    summary: str = ""
    children: list[ContentsEntry] = field(default_factory=list)


@dataclass
class CourseFolder:
    path: Path
    manifest: dict
    contents: list[ContentsEntry]
    lessons: dict[str, dict]
    assessments: dict[str, dict]

    @property
    def slug(self) -> str:
        return self.manifest["slug"]

    def file_for(self, kind: str, slug: str) -> Path:
        return self.path / f"{kind}s" / f"{slug}.yaml"


def list_course_folders(root: Path = LIBRARY_ROOT) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "course.yaml").exists())


def _parse_contents(path: Path, entries: list, where: str, seen: set[str]) -> list[ContentsEntry]:
    parsed = []
    for index, entry in enumerate(entries):
        field_name = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise LibraryError(path, field_name, _("Cada elemento debe ser un mapa."))
        kinds = [k for k in ("lesson", "assessment", "unit") if k in entry]
        if len(kinds) != 1:
            raise LibraryError(
                path, field_name, _("Use exactamente una clave: lesson, assessment o unit.")
            )
        kind = kinds[0]
        slug = entry[kind]
        if not isinstance(slug, str) or not slug:
            raise LibraryError(path, f"{field_name}.{kind}", _("Debe ser un slug (texto)."))
        if slug in seen:
            raise LibraryError(
                path, f"{field_name}.{kind}", _("El slug «%(slug)s» se repite.") % {"slug": slug}
            )
        seen.add(slug)
        allowed = {kind, "title", "summary", "contents"} if kind == "unit" else {kind}
        extra = sorted(set(entry) - allowed)
        if extra:
            raise LibraryError(path, f"{field_name}.{extra[0]}", _("Campo desconocido."))
        if kind == "unit":
            if not isinstance(entry.get("title"), str) or not entry["title"]:
                raise LibraryError(path, f"{field_name}.title", _("Una unidad necesita título."))
            children = entry.get("contents")
            if not isinstance(children, list) or not children:
                raise LibraryError(
                    path, f"{field_name}.contents", _("Una unidad necesita contenidos.")
                )
            nested = _parse_contents(path, children, f"{field_name}.contents", seen)
            if any(child.kind == "unit" for child in nested):
                raise LibraryError(
                    path, f"{field_name}.contents", _("Una unidad no puede contener unidades.")
                )
            parsed.append(
                ContentsEntry(
                    "unit", slug, entry["title"], entry.get("summary") or "", children=nested
                )
            )
        else:
            parsed.append(ContentsEntry(kind, slug))
    return parsed


def walk_contents(entries: list[ContentsEntry]):
    """Every entry of a contents tree, units before their children."""
    for entry in entries:
        yield entry
        yield from walk_contents(entry.children)


def read_course_folder(path: Path) -> CourseFolder:
    """Read and check the structure of one course folder (not yet the block contents)."""
    manifest_path = path / "course.yaml"
    manifest = read_yaml(manifest_path)
    check_fields(manifest_path, manifest, MANIFEST_FIELDS)
    if manifest["slug"] != path.name:
        raise LibraryError(
            manifest_path,
            "slug",
            _("El slug «%(slug)s» debe ser igual al nombre de la carpeta «%(folder)s».")
            % {"slug": manifest["slug"], "folder": path.name},
        )
    if manifest.get("cover") and not (path / manifest["cover"]).is_file():
        raise LibraryError(
            manifest_path,
            "cover",
            _("No existe el archivo %(file)s.") % {"file": manifest["cover"]},
        )
    outcomes = manifest.get("outcomes") or []
    for index, outcome in enumerate(outcomes):
        if not isinstance(outcome, str) or not outcome.strip():
            raise LibraryError(manifest_path, f"outcomes[{index}]", _("Debe ser un texto."))
    contents = _parse_contents(manifest_path, manifest["contents"], "contents", set())
    lessons: dict[str, dict] = {}
    assessments: dict[str, dict] = {}
    for entry in walk_contents(contents):
        if entry.kind == "unit":
            continue
        file = path / f"{entry.kind}s" / f"{entry.slug}.yaml"
        data = read_yaml(file)
        check_fields(file, data, LESSON_FIELDS if entry.kind == "lesson" else ASSESSMENT_FIELDS)
        if data["slug"] != entry.slug:
            raise LibraryError(
                file,
                "slug",
                _("Debe ser «%(slug)s», como el nombre del archivo.") % {"slug": entry.slug},
            )
        (lessons if entry.kind == "lesson" else assessments)[entry.slug] = data
    final = manifest.get("final_assessment")
    if final and final not in assessments:
        raise LibraryError(
            manifest_path,
            "final_assessment",
            _("«%(slug)s» no es una evaluación de este curso.") % {"slug": final},
        )
    return CourseFolder(path, manifest, contents, lessons, assessments)


# --- Block values: file form <-> stored (raw) form ---------------------------------------


class MediaResolver:
    """How media references map between a file path and a stored id. Implemented by the
    importer/exporter, which know where the files live."""

    def image_id(self, path: str, where: str) -> int:
        raise NotImplementedError

    def document_id(self, path: str, where: str) -> int:
        raise NotImplementedError

    def image_path(self, pk: int) -> str:
        raise NotImplementedError

    def document_path(self, pk: int) -> str:
        raise NotImplementedError


def derived_id(seed: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, seed))


def block_from_file(
    block: blocks.Block,
    value: Any,
    *,
    media: MediaResolver,
    where: str,
    id_seed: str,
    error: Callable[[str, str], Exception],
) -> Any:
    """File value → raw stored value for ``block``. ``error(field, message)`` builds the
    exception to raise, so the caller can name the file."""
    if isinstance(block, blocks.StreamBlock):
        if not isinstance(value, list):
            raise error(where, _("Debe ser una lista de bloques."))
        raw = []
        seen_ids = set()
        for index, item in enumerate(value):
            item_where = f"{where}[{index}]"
            if not isinstance(item, dict) or "type" not in item:
                raise error(item_where, _("Cada bloque necesita «type» y «value»."))
            extra = sorted(set(item) - {"type", "id", "value"})
            if extra:
                raise error(f"{item_where}.{extra[0]}", _("Campo desconocido."))
            child = block.child_blocks.get(item["type"])
            if child is None:
                raise error(
                    f"{item_where}.type",
                    _("Tipo de bloque desconocido «%(type)s». Tipos válidos: %(valid)s.")
                    % {"type": item["type"], "valid": ", ".join(block.child_blocks)},
                )
            block_id = item.get("id") or derived_id(f"{id_seed}/{index}")
            if not isinstance(block_id, str):
                raise error(f"{item_where}.id", _("Debe ser texto."))
            if block_id in seen_ids:
                raise error(f"{item_where}.id", _("Este id se repite en la página."))
            seen_ids.add(block_id)
            raw.append(
                {
                    "type": item["type"],
                    "value": block_from_file(
                        child,
                        item.get("value"),
                        media=media,
                        where=f"{item_where}.value",
                        id_seed=block_id,
                        error=error,
                    ),
                    "id": block_id,
                }
            )
        return raw
    if isinstance(block, blocks.StructBlock):
        if not isinstance(value, dict):
            raise error(where, _("Debe ser un mapa de campos."))
        unknown = sorted(set(value) - set(block.child_blocks))
        if unknown:
            raise error(f"{where}.{unknown[0]}", _("Campo desconocido."))
        return {
            name: block_from_file(
                child,
                value[name],
                media=media,
                where=f"{where}.{name}",
                id_seed=f"{id_seed}/{name}",
                error=error,
            )
            for name, child in block.child_blocks.items()
            if name in value
        }
    if isinstance(block, blocks.ListBlock):
        if not isinstance(value, list):
            raise error(where, _("Debe ser una lista."))
        return [
            {
                "type": "item",
                "value": block_from_file(
                    block.child_block,
                    item,
                    media=media,
                    where=f"{where}[{index}]",
                    id_seed=f"{id_seed}/{index}",
                    error=error,
                ),
                "id": derived_id(f"{id_seed}/{index}"),
            }
            for index, item in enumerate(value)
        ]
    if isinstance(block, ImageChooserBlock):
        return None if value in (None, "") else media.image_id(_path(value, where, error), where)
    if isinstance(block, DocumentChooserBlock):
        return None if value in (None, "") else media.document_id(_path(value, where, error), where)
    if isinstance(block, blocks.FloatBlock):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise error(where, _("Debe ser un número."))
        return float(value)
    if isinstance(block, blocks.BooleanBlock):
        if not isinstance(value, bool):
            raise error(where, _("Debe ser true o false."))
        return value
    if value is not None and not isinstance(value, str):
        raise error(where, _("Debe ser texto."))
    return value


def _path(value: Any, where: str, error: Callable[[str, str], Exception]) -> str:
    if not isinstance(value, str):
        raise error(where, _("Debe ser la ruta de un archivo."))
    return value


def block_to_file(block: blocks.Block, raw: Any, *, media: MediaResolver) -> Any:
    """Raw stored value → file value (the inverse of ``block_from_file``)."""
    if isinstance(block, blocks.StreamBlock):
        return [
            {
                "type": item["type"],
                "id": item["id"],
                "value": block_to_file(
                    block.child_blocks[item["type"]], item["value"], media=media
                ),
            }
            for item in raw
            if item["type"] in block.child_blocks
        ]
    if isinstance(block, blocks.StructBlock):
        raw = raw or {}
        return {
            name: block_to_file(
                child, raw.get(name, child.get_prep_value(child.get_default())), media=media
            )
            for name, child in block.child_blocks.items()
        }
    if isinstance(block, blocks.ListBlock):
        items = raw or []
        return [
            block_to_file(
                block.child_block,
                item["value"] if isinstance(item, dict) and item.get("type") == "item" else item,
                media=media,
            )
            for item in items
        ]
    if isinstance(block, ImageChooserBlock):
        return media.image_path(raw) if raw else None
    if isinstance(block, DocumentChooserBlock):
        return media.document_path(raw) if raw else None
    if isinstance(block, blocks.FloatBlock):
        if raw is None:
            return None
        number = float(raw)
        return int(number) if number.is_integer() else number
    return raw
