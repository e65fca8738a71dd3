"""The events endpoint's JSON parser: whole-request problems are a JSON 4xx, never a 500.

Django REST framework's parser lets a few bodies through to a crash or a slow path: nesting
deep enough to exhaust Python's recursion, integers of thousands of digits, a body larger
than announced. Here the body is read up to a limit, decoded strictly, and parsed so that
huge numbers become a value the item's validation rejects (the batch's good items still
count), and nesting beyond ``MAX_DEPTH`` is refused as a whole.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

MAX_BODY_BYTES = 512 * 1024
MAX_DEPTH = 16
MAX_INT_DIGITS = 20


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def _number(text: str) -> float | int:
    # An integer too long to be any id or duration is "infinite": the field rejects it.
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else float("inf")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return deepest


class EventsJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_BODY_BYTES:
            raise RequestTooLarge(
                _("El lote es demasiado grande (máximo %(n)d KB).") % {"n": MAX_BODY_BYTES // 1024}
            )
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError(_("El cuerpo de la petición no es texto UTF-8.")) from exc
        try:
            data = json.loads(text, parse_int=_number)
        except RecursionError as exc:
            raise ParseError(_("El JSON está anidado a demasiada profundidad.")) from exc
        except ValueError as exc:
            raise ParseError(_("El cuerpo de la petición no es JSON válido.")) from exc
        if _depth(data) > MAX_DEPTH:
            raise ParseError(
                _("El JSON está anidado a demasiada profundidad (máximo %(n)d niveles).")
                % {"n": MAX_DEPTH}
            )
        return data
