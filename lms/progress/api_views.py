"""The learning-event batch endpoint: POST /api/v1/events/."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lms.progress import api

MAX_BODY_BYTES = 512 * 1024


class ObjectSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Número de la lección o evaluación (id de página).")


class EventSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="UUID generado por el cliente; reenviarlo no duplica.")
    verb = serializers.ChoiceField(choices=sorted(api.CLIENT_VERBS))
    object = ObjectSerializer()
    timestamp = serializers.DateTimeField(help_text="Hora del cliente, ISO 8601 con zona.")
    result = serializers.DictField(
        required=False,
        help_text='Para «progressed»: {"duration": segundos desde el latido anterior}.',
    )


class BatchSerializer(serializers.Serializer):
    events = EventSerializer(many=True, help_text=f"Hasta {api.MAX_BATCH} eventos.")


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ItemResultSerializer(serializers.Serializer):
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    errors = ItemErrorSerializer(many=True, required=False)


class BatchResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = ItemResultSerializer(many=True)


class EventBatchView(APIView):
    """Receive a batch of learning events from a client (possibly after being offline)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "events"

    @extend_schema(
        operation_id="events_create",
        summary="Enviar eventos de aprendizaje",
        description=(
            "Registra un lote de eventos del educando autenticado. Cada evento se acepta, "
            "se reconoce como duplicado (mismo id) o se rechaza con errores propios; los "
            "eventos malos nunca bloquean a los buenos. Idempotente y sin importar el orden."
        ),
        request=BatchSerializer,
        responses={200: BatchResultSerializer},
        examples=[
            OpenApiExample(
                "Un latido de estudio",
                value={
                    "events": [
                        {
                            "id": "0b0a6f2e-7a38-4c1e-9d54-2f1b6f0e9a11",
                            "verb": "progressed",
                            "object": {"id": 42},
                            "timestamp": "2026-11-28T10:15:00-08:00",
                            "result": {"duration": 30},
                        }
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            return Response(
                {
                    "detail": _("El lote es demasiado grande (máximo %(n)d KB).")
                    % {"n": MAX_BODY_BYTES // 1024}
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        events = request.data.get("events") if isinstance(request.data, dict) else None
        if not isinstance(events, list):
            return Response(
                {"detail": _("Envíe un objeto con la lista «events».")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(events) > api.MAX_BATCH:
            return Response(
                {
                    "detail": _("Demasiados eventos en un lote (máximo %(n)d).")
                    % {"n": api.MAX_BATCH}
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        batch = api.record_events(user=request.user, items=events)
        return Response(
            {
                "accepted": batch.count("accepted"),
                "duplicates": batch.count("duplicate"),
                "rejected": batch.count("rejected"),
                "results": [item.as_dict() for item in batch.items],
            }
        )
