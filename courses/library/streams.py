"""StreamField data of library pages, shared by the importer and the exporter.

File blocks become validated raw stored data (with the editor's rules, their media paths
resolved to images and documents by ``_ImportMedia``); a page's current raw data is read
back for comparing and exporting; a page is published only when something changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.models import Page

from content.api import (
    CourseFolder,
    LibraryError,
    MediaResolver,
    block_from_file,
    document_for_file,
    image_for_file,
)


class _ImportMedia(MediaResolver):
    def __init__(self, folder: CourseFolder):
        self.folder = folder
        self.source = folder.path / "course.yaml"

    def use(self, source: Path) -> _ImportMedia:
        self.source = source
        return self

    def image_id(self, path: str, where: str) -> int:
        return image_for_file(
            course_key=self.folder.slug,
            folder=self.folder.path,
            rel_path=path,
            source=self.source,
            field=where,
        ).pk

    def document_id(self, path: str, where: str) -> int:
        return document_for_file(
            course_key=self.folder.slug,
            folder=self.folder.path,
            rel_path=path,
            source=self.source,
            field=where,
        ).pk


def _first_error(error: ValidationError, prefix: str) -> tuple[str, str]:
    """The first (field path, message) inside a possibly nested block validation error."""
    block_errors = getattr(error, "block_errors", None)
    if block_errors:
        items = block_errors.items() if isinstance(block_errors, dict) else enumerate(block_errors)
        for key, nested in items:
            if nested:
                return _first_error(nested, f"{prefix}.{key}" if prefix else str(key))
    non_block = getattr(error, "non_block_errors", None)
    if non_block:
        return prefix, " ".join(str(m) for e in non_block for m in e.messages)
    return prefix, " ".join(str(m) for m in error.messages)


def _stream(
    page_class: type[Page],
    field_name: str,
    data: list,
    *,
    folder: CourseFolder,
    file: Path,
    where: str,
    seed: str,
    media: _ImportMedia,
) -> list[dict]:
    """File blocks → validated, normalized raw StreamField data."""
    stream_block = page_class._meta.get_field(field_name).stream_block

    def error(field_path: str, message: str) -> LibraryError:
        return LibraryError(file, field_path, message)

    raw = block_from_file(
        stream_block, data, media=media.use(file), where=where, id_seed=seed, error=error
    )
    value = stream_block.to_python(raw)
    for index, child in enumerate(value):
        try:
            child.block.clean(child.value)
        except ValidationError as exc:
            path, message = _first_error(exc, f"{where}[{index}].value")
            raise LibraryError(file, path, message) from None
    if stream_block.meta.min_num and len(value) < stream_block.meta.min_num:
        raise LibraryError(file, where, _("Hace falta al menos un bloque."))
    return stream_block.get_prep_value(value)


def _current_raw(page: Page, field_name: str) -> list[dict]:
    stream_block = page._meta.get_field(field_name).stream_block
    return stream_block.get_prep_value(getattr(page, field_name))


def _apply(page: Page, values: dict[str, Any], stream_fields: dict[str, list], file: Path) -> bool:
    """Set ``values`` on ``page`` and publish a revision, if anything differs."""
    changed = (
        any(getattr(page, k) != v for k, v in values.items())
        or any(_current_raw(page, k) != v for k, v in stream_fields.items())
        or not page.live
    )
    if not changed:
        return False
    for key, value in values.items():
        setattr(page, key, value)
    for key, raw in stream_fields.items():
        setattr(page, key, page._meta.get_field(key).stream_block.to_python(raw))
    try:
        page.full_clean()
    except ValidationError as exc:
        name, messages = next(iter(exc.message_dict.items()))
        raise LibraryError(file, name, " ".join(messages)) from None
    page.save_revision(log_action=False).publish(log_action=False)
    return True
