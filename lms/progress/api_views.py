"""The learning-event batch endpoint: POST /api/v1/events/."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lms.progress import api
from lms.progress.parsers import MAX_BODY_BYTES, EventsJSONParser
from lms.progress.serializers import (
    BatchResultSerializer,
    BatchSerializer,
    RequestErrorSerializer,
    validate_batch,
)


def _request_error(code: str, message: str, status_code: int, errors: Any = None) -> Response:
    body: dict[str, Any] = {"detail": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code)


def _whole_request_error(errors: dict[str, Any]) -> Response:
    """The batch as a whole is wrong: say what, in the user's language."""
    events = errors.get("events")
    if isinstance(events, list) and events and getattr(events[0], "code", "") == "too_many_events":
        return _request_error(
            "too_many_events", str(events[0]), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if "sent_at" in errors:
        return _request_error(
            "invalid_sent_at",
            _("«sent_at» debe ser la hora del teléfono al enviar, ISO 8601 con zona horaria."),
            status.HTTP_400_BAD_REQUEST,
        )
    return _request_error(
        "invalid_batch",
        _("Envíe un objeto JSON con la lista «events» (hasta %(n)d eventos).")
        % {"n": api.MAX_BATCH},
        status.HTTP_400_BAD_REQUEST,
        errors,
    )


_ERROR = RequestErrorSerializer


class EventBatchView(APIView):
    """Receive a batch of learning events from a client (possibly after being offline)."""

    parser_classes = [EventsJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "events"

    @extend_schema(
        operation_id="events_create",
        summary="Enviar eventos de aprendizaje",
        description=(
            "Registra un lote de eventos del educando autenticado. Cada evento se acepta, "
            "se reconoce como duplicado (mismo id del mismo educando), se rechaza con "
            "errores propios, o se devuelve para reintentar («retry»: su hora es imposible "
            "aun corrigiendo el reloj del teléfono con «sent_at»). Los eventos malos nunca "
            "bloquean a los buenos. Idempotente y sin importar el orden. Cuerpo de hasta "
            f"{MAX_BODY_BYTES // 1024} KB."
        ),
        request=BatchSerializer,
        responses={
            200: BatchResultSerializer,
            400: OpenApiResponse(_ERROR, description="El cuerpo no es un lote válido."),
            401: OpenApiResponse(_ERROR, description="Sin credenciales (token o sesión)."),
            403: OpenApiResponse(_ERROR, description="Sesión sin token CSRF válido."),
            409: OpenApiResponse(
                _ERROR, description="«learner» no es el educando autenticado: nada se guarda."
            ),
            413: OpenApiResponse(_ERROR, description="Cuerpo o lote demasiado grande."),
            415: OpenApiResponse(_ERROR, description="El cuerpo no es application/json."),
            429: OpenApiResponse(_ERROR, description="Demasiados lotes seguidos."),
        },
        examples=[
            OpenApiExample(
                "Un latido de estudio",
                value={
                    "sent_at": "2026-11-28T10:15:02-08:00",
                    "learner": "u42",
                    "events": [
                        {
                            "id": "0b0a6f2e-7a38-4c1e-9d54-2f1b6f0e9a11",
                            "verb": "progressed",
                            "object": {"id": 42},
                            "timestamp": "2026-11-28T10:15:00-08:00",
                            "result": {"duration": 30},
                        }
                    ],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        try:
            data = validate_batch(request.data)
        except ValidationError as invalid:
            return _whole_request_error(invalid.detail)
        learner = data.get("learner")
        if learner is not None and learner != api.queue_key(user_id=request.user.pk):
            return _request_error(
                "other_learner",
                _(
                    "Estos eventos son de otra persona que usó este teléfono; se enviarán "
                    "cuando esa persona vuelva a entrar."
                ),
                status.HTTP_409_CONFLICT,
            )
        result = api.record_parsed(
            user=request.user, items=data["events"], sent_at=data.get("sent_at")
        )
        return Response(
            {
                "accepted": result.count("accepted"),
                "duplicates": result.count("duplicate"),
                "rejected": result.count("rejected"),
                "retry": result.count("retry"),
                "results": [item.as_dict() for item in result.items],
            }
        )
