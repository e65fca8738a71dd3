"""Library media ↔ Wagtail images and documents.

A library file is matched to its image or document by title (``<course>/<path>``), so
re-importing reuses it; if the bytes changed, the stored file is replaced. Files are kept
byte for byte (no re-encoding), so an export gives back the very same files. An SVG is
checked as on an admin upload (``content/svg.py``: no script, nothing external, ≤ 200 KB)
before it is stored.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from content.library.format import LibraryError
from content.svg import check_svg, check_svg_size, is_svg_name

COLLECTION_NAME = "Biblioteca de cursos"


def library_collection() -> Collection:
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=COLLECTION_NAME).first()
    return existing or root.add_child(name=COLLECTION_NAME)


def _title(course_key: str, rel_path: str) -> str:
    return f"{course_key}/{rel_path}"


def _check(abs_path: Path, rel_path: str, manifest: Path, field: str) -> None:
    parts = PurePosixPath(rel_path).parts
    if ".." in parts or PurePosixPath(rel_path).is_absolute():
        raise LibraryError(
            manifest, field, _("La ruta debe quedar dentro de la carpeta del curso.")
        )
    if not abs_path.is_file():
        raise LibraryError(
            manifest, field, _("No existe el archivo %(file)s.") % {"file": rel_path}
        )


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def _store(model, *, title: str, abs_path: Path, extra: dict):
    digest = _sha1(abs_path)
    obj = model.objects.filter(title=title).first()
    if obj is not None and obj.file_hash == digest:
        changed = [k for k, v in extra.items() if getattr(obj, k) != v]
        if changed:
            for key, value in extra.items():
                setattr(obj, key, value)
            obj.save(update_fields=changed)
        return obj
    if obj is None:
        obj = model(title=title, collection=library_collection())
    for key, value in extra.items():
        setattr(obj, key, value)
    with abs_path.open("rb") as handle:
        obj.file.save(abs_path.name, File(handle), save=False)
    obj.file_hash = digest
    if hasattr(obj, "file_size"):
        obj.file_size = abs_path.stat().st_size
    obj.save()
    return obj


def image_for_file(
    *, course_key: str, folder: Path, rel_path: str, alt: str = "", source: Path, field: str
):
    """The Wagtail image for ``folder/rel_path``, created or updated."""
    abs_path = folder / rel_path
    _check(abs_path, rel_path, source, field)
    if is_svg_name(rel_path):
        try:
            check_svg_size(abs_path.stat().st_size)
            check_svg(abs_path.read_bytes())
        except ValidationError as error:
            raise LibraryError(source, field, f"{rel_path}: {error.messages[0]}") from None
    extra = {"description": alt} if alt else {}
    return _store(
        get_image_model(), title=_title(course_key, rel_path), abs_path=abs_path, extra=extra
    )


def document_for_file(*, course_key: str, folder: Path, rel_path: str, source: Path, field: str):
    abs_path = folder / rel_path
    _check(abs_path, rel_path, source, field)
    return _store(
        get_document_model(), title=_title(course_key, rel_path), abs_path=abs_path, extra={}
    )


def export_media(obj, *, course_key: str, folder: Path) -> str:
    """Write an image's or document's file into ``folder`` and return its relative path."""
    prefix = f"{course_key}/"
    if obj.title.startswith(prefix):
        rel_path = obj.title[len(prefix) :]
    else:
        rel_path = f"media/{PurePosixPath(obj.file.name).name}"
    target = folder / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    with obj.file.open("rb") as handle:
        target.write_bytes(handle.read())
    return rel_path
