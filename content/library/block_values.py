"""StreamField block values between their file form (readable: media as paths, lists as
lists) and their stored form (raw StreamField JSON), both ways."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

# Namespace for block ids derived from a position when a hand-written file leaves them out.
_ID_NAMESPACE = uuid.UUID("9b7f6c1e-3c1a-4f0e-9a55-5b1d2c3e4f60")


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
    if isinstance(block, blocks.IntegerBlock):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise error(where, _("Debe ser un número entero."))
        return value
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
        # Fields added to the format later (an option's ``pinned``) are written only when
        # set (true, not empty), so files written before them stay canonical.
        optional = getattr(block, "omitted_in_files_unless_set", ())
        values = {
            name: (child, raw.get(name, child.get_prep_value(child.get_default())))
            for name, child in block.child_blocks.items()
        }
        return {
            name: block_to_file(child, value, media=media)
            for name, (child, value) in values.items()
            if name not in optional or value
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
