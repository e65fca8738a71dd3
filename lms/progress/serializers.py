"""The one schema of ``POST /api/v1/events/``: these serializers document the endpoint
(drf-spectacular reads them for the OpenAPI schema) and validate every request.

A batch is checked as a whole (an object with a list ``events`` of at most ``MAX_BATCH``
items, an optional ``sent_at`` and ``learner``); then every item on its own, so a bad item
is an error of that item with a code and a message, and never blocks the good ones. The
fields accept exactly what they document, whatever JSON a buggy phone or an attacker
sends: wrong types, huge or non-finite numbers, impossible dates, non-ASCII digits, text
PostgreSQL cannot store.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from lms.progress.models import Verb

# Verbs a client may send. Passing or failing an assessment is decided by the server.
CLIENT_VERBS = frozenset({Verb.STARTED, Verb.PROGRESSED, Verb.COMPLETED})
MAX_BATCH = 500
MAX_RESULT_BYTES = 2048
MAX_RESULT_DEPTH = 8
MAX_DURATION_SECONDS = 24 * 3600
MAX_PAGE_ID = 2**31 - 1
MAX_ISO_LENGTH = 40  # "2026-11-28T10:15:00.123456-08:00" is 32
MAX_LEARNER_KEY = 32


def _error(code: str, message: object) -> dict[str, str]:
    return {"code": code, "message": str(message)}


@dataclass
class NewEvent:
    """One valid item, as the client sent it (the clock not yet corrected)."""

    uuid: uuid.UUID
    verb: str
    object_id: int
    timestamp: datetime  # aware, UTC
    result: dict[str, Any]


@dataclass
class ParsedItem:
    """One item of a batch: either ``event`` or ``errors``; ``echo`` is the client's own
    ``id``, returned as it came when it can be returned safely."""

    echo: str | None
    event: NewEvent | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


def safe_echo(value: object) -> str | None:
    """The item's ``id`` as the client sent it, if it is a short string (anything else,
    e.g. text with unpaired surrogates, could break the JSON answer or its schema)."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return value
    return None


@extend_schema_field(OpenApiTypes.UUID)
class ClientUUIDField(serializers.Field):
    """A UUID as text (ASCII only; a number is not a UUID)."""

    default_error_messages = {
        "invalid_uuid": _("«id» debe ser un UUID generado por el cliente."),
    }

    def to_internal_value(self, data: object) -> uuid.UUID:
        if isinstance(data, str) and len(data) <= 45 and data.isascii():
            try:
                return uuid.UUID(data)
            except ValueError:
                pass
        self.fail("invalid_uuid")
        raise AssertionError  # pragma: no cover - fail() raises

    def to_representation(self, value: uuid.UUID) -> str:
        return str(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_PAGE_ID})
class PageIdField(serializers.Field):
    """A page id: a JSON integer (or its ASCII digits as text) from 1 to 2³¹ − 1."""

    default_error_messages = {
        "invalid_object": _("«object.id» debe ser el número de una lección."),
    }

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, str) and 0 < len(data) <= 10 and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, int) and not isinstance(data, bool) and 1 <= data <= MAX_PAGE_ID:
            return data
        self.fail("invalid_object")
        raise AssertionError  # pragma: no cover

    def to_representation(self, value: int) -> int:
        return value


@extend_schema_field(OpenApiTypes.DATETIME)
class ClientDateTimeField(serializers.Field):
    """An ISO 8601 date and time with its zone (``Z`` or ``-08:00``); returned in UTC."""

    default_error_messages = {
        "invalid_timestamp": _("«{name}» debe ser una fecha ISO 8601 con zona horaria."),
    }

    def to_internal_value(self, data: object) -> datetime:
        if isinstance(data, str) and len(data) <= MAX_ISO_LENGTH and data.isascii():
            try:
                parsed = parse_datetime(data)
                if parsed is not None and parsed.tzinfo is not None:
                    return parsed.astimezone(UTC)
            except (ValueError, OverflowError):
                pass
        self.fail("invalid_timestamp", name=self.field_name)
        raise AssertionError  # pragma: no cover

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def _result_problem(result: Mapping[str, Any]) -> str | None:
    """The code of what PostgreSQL's JSON (or the size limit) cannot take, or None."""
    stack: list[tuple[object, int]] = [(result, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_RESULT_DEPTH:
            return "invalid_result"
        if isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, depth))
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and not math.isfinite(value):
            return "invalid_result"
        elif isinstance(value, str):
            if "\x00" in value:
                return "invalid_result"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "invalid_result"
    if len(json.dumps(result, separators=(",", ":"), ensure_ascii=False)) > MAX_RESULT_BYTES:
        return "payload_too_large"
    return None


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": True,
        "properties": {
            "duration": {"type": "number", "minimum": 0, "maximum": MAX_DURATION_SECONDS}
        },
    }
)
class ResultField(serializers.Field):
    """xAPI's ``result``: a small JSON object; ``duration`` in seconds for heartbeats."""

    default_error_messages = {
        "invalid_result": _("«result» debe ser un objeto JSON pequeño, sin textos inválidos."),
        "payload_too_large": _("«result» es demasiado grande (máximo {n} bytes)."),
        "invalid_duration": _("«result.duration» debe ser un número de segundos."),
    }

    def to_internal_value(self, data: object) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.fail("invalid_result")
            raise AssertionError  # pragma: no cover
        problem = _result_problem(data)
        if problem:
            self.fail(problem, n=MAX_RESULT_BYTES)
        duration = data.get("duration")
        if "duration" in data and not (
            isinstance(duration, int | float)
            and not isinstance(duration, bool)
            and 0 <= duration <= MAX_DURATION_SECONDS
        ):
            self.fail("invalid_duration")
        return data

    def to_representation(self, value: dict[str, Any]) -> dict[str, Any]:
        return value


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            "id": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PAGE_ID,
                "description": "Número de la lección o evaluación (id de página).",
            }
        },
        "required": ["id"],
    }
)
class ObjectField(PageIdField):
    """xAPI's ``object``: ``{"id": <page id>}`` (a field, not a nested serializer: it is
    validated for every event of every batch)."""

    def to_internal_value(self, data: object) -> int:  # type: ignore[override]
        if not isinstance(data, dict):
            self.fail("invalid_object")
        return super().to_internal_value(data.get("id"))


class EventListSerializer(serializers.ListSerializer):
    """A list of events validated one by one: the result is one ``ParsedItem`` per item,
    in order, valid or with its errors; only the list itself can fail as a whole."""

    def to_internal_value(self, data: object) -> list[ParsedItem]:  # type: ignore[override]
        if not isinstance(data, list):
            raise ValidationError(
                [ErrorDetail(_("«events» debe ser una lista."), code="not_a_list")]
            )
        if len(data) > MAX_BATCH:
            message = _("Demasiados eventos en un lote (máximo %(n)d).") % {"n": MAX_BATCH}
            raise ValidationError([ErrorDetail(message, code="too_many_events")])
        return [parse_item(self.child, item) for item in data]


# What each field's generic failures (missing, null, wrong choice, not an object) mean.
_FIELD_ERRORS = {
    "id": ("invalid_uuid", _("«id» debe ser un UUID generado por el cliente.")),
    "verb": ("invalid_verb", _("Verbo no válido. Use uno de: %(verbs)s.")),
    "object": ("invalid_object", _("«object.id» debe ser el número de una lección.")),
    "timestamp": (
        "invalid_timestamp",
        _("«timestamp» debe ser una fecha ISO 8601 con zona horaria."),
    ),
    "result": ("invalid_result", _("«result» debe ser un objeto JSON.")),
}
_SPECIFIC_CODES = {
    "invalid_uuid",
    "invalid_object",
    "invalid_timestamp",
    "invalid_result",
    "payload_too_large",
    "invalid_duration",
}


def _first_detail(detail: object) -> ErrorDetail | None:
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    return detail if isinstance(detail, ErrorDetail) else None


def parse_item(child: serializers.BaseSerializer, item: object) -> ParsedItem:
    """Validate one item with the event serializer."""
    if not isinstance(item, dict):
        message = _("Cada evento debe ser un objeto JSON.")
        return ParsedItem(None, errors=[_error("invalid_item", message)])
    echo = safe_echo(item.get("id"))
    try:
        data = child.run_validation(item)
    except ValidationError as exc:
        errors = []
        details = exc.detail if isinstance(exc.detail, dict) else {"": exc.detail}
        for name, detail in details.items():
            first = _first_detail(detail)
            code, message = _FIELD_ERRORS.get(
                str(name), ("invalid_item", _("Cada evento debe ser un objeto JSON."))
            )
            if first is not None and first.code in _SPECIFIC_CODES:
                code, message = str(first.code), str(first)
            else:
                message = str(message) % {"verbs": ", ".join(sorted(CLIENT_VERBS))}
            errors.append(_error(code, message))
        return ParsedItem(echo, errors=errors)
    event = NewEvent(
        uuid=data["id"],
        verb=data["verb"],
        object_id=data["object"],
        timestamp=data["timestamp"],
        result=data.get("result") or {},
    )
    return ParsedItem(echo, event=event)


class EventSerializer(serializers.Serializer):
    """One learning event, xAPI-shaped. Unknown fields are ignored (newer clients)."""

    id = ClientUUIDField(
        help_text="UUID generado por el cliente; reenviarlo no duplica. Cada educando tiene "
        "sus propios ids: el mismo UUID enviado por dos educandos son dos eventos distintos."
    )
    verb = serializers.ChoiceField(choices=sorted(CLIENT_VERBS))
    object = ObjectField()
    timestamp = ClientDateTimeField(
        help_text="Hora del reloj del teléfono cuando ocurrió, ISO 8601 con zona."
    )
    result = ResultField(
        required=False,
        help_text='Para «progressed»: {"duration": segundos estudiados hasta «timestamp»}.',
    )

    class Meta:
        list_serializer_class = EventListSerializer


class BatchSerializer(serializers.Serializer):
    sent_at = ClientDateTimeField(
        required=False,
        help_text="Hora del reloj del teléfono al enviar el lote. Con ella el servidor corrige "
        "la hora de cada evento si el reloj del teléfono está adelantado o atrasado.",
    )
    learner = serializers.CharField(
        required=False,
        max_length=MAX_LEARNER_KEY,
        help_text="De quién es la cola de eventos (la clave que la página dio al cliente). "
        "Si no es el educando autenticado, el lote se rechaza completo con 409.",
    )
    events = EventSerializer(many=True, help_text=f"Hasta {MAX_BATCH} eventos.")


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ItemResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True, help_text="El «id» del evento, como llegó.")
    status = serializers.ChoiceField(
        choices=["accepted", "duplicate", "rejected", "retry"],
        help_text="accepted, duplicate y rejected: listo, puede borrarlo de la cola. retry: "
        "no se guardó (su hora es imposible aun corrigiendo el reloj); consérvelo y "
        "vuelva a enviarlo más tarde.",
    )
    errors = ItemErrorSerializer(many=True, required=False)


class BatchResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    retry = serializers.IntegerField()
    results = ItemResultSerializer(many=True)


class RequestErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Qué está mal, en el idioma del usuario.")
    code = serializers.CharField(required=False)


# Validation keeps nothing on the serializer (``run_validation`` returns the data or raises
# the errors), so one instance serves every request. A new ``BatchSerializer`` per batch
# deep-copied its eleven fields first: a tenth of a heartbeat's CPU (``bench/capacity.py``).
@cache
def _batch_serializer() -> BatchSerializer:
    serializer = BatchSerializer()
    serializer.fields["events"].child.fields  # noqa: B018 (bound now, not by two threads)
    return serializer


def validate_batch(data: object) -> dict[str, Any]:
    """``data`` as ``BatchSerializer`` validates it (``events``: one ``ParsedItem`` per
    item); raises ``ValidationError`` with its errors when the batch as a whole is wrong."""
    try:
        validated: dict[str, Any] = _batch_serializer().run_validation(data)
    except ValidationError as invalid:
        if isinstance(invalid.detail, dict):
            raise
        # A body of ``null``: errors by field, as ``Serializer.errors`` gives them.
        raise ValidationError({api_settings.NON_FIELD_ERRORS_KEY: invalid.detail}) from invalid
    return validated


def parse_events(items: object) -> list[ParsedItem]:
    """Validate a list of raw items, item by item (what the endpoint does)."""
    parsed: list[ParsedItem] = _batch_serializer().fields["events"].run_validation(items)
    return parsed
