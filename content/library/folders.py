"""A course folder of the library read as plain Python data: the manifest, the contents
tree and the lesson and assessment files, with their structure checked (the block contents
are converted later, by ``block_values``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from content.library.format import (
    ASSESSMENT_FIELDS,
    LESSON_FIELDS,
    LIBRARY_ROOT,
    MANIFEST_FIELDS,
    LibraryError,
    check_fields,
    read_yaml,
)


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
        drawn = data.get("questions_per_attempt")
        if (
            entry.kind == "assessment"
            and drawn is not None
            and not 1 <= drawn <= len(data["questions"])
        ):
            raise LibraryError(
                file,
                "questions_per_attempt",
                _(
                    "Debe ser un número entero de 1 al número de preguntas (%(n)d), "
                    "o null para mostrar todas."
                )
                % {"n": len(data["questions"])},
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
