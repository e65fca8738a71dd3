"""Read-only JSON for coordinators: GET /api/v1/coordinacion/inscripciones/.

The same rows and filters as the «inscripciones» export, a page at a time, for the
coordinator's scope only.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.exports.filters import FiltersForm
from lms.exports.models import ExportKind
from lms.exports.queries import build_query

MAX_PAGE = 500


class HasSedesInScope(BasePermission):
    """Coordinators of at least one sede, and administrators."""

    def has_permission(self, request, view) -> bool:
        self.message = _("Esta consulta es solo para la coordinación de sedes.")
        return enrollment_api.sedes_in_scope(user=request.user).exists()


class RowsPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = MAX_PAGE


class InscripcionSerializer(serializers.Serializer):
    """One enrollment of a learner in one grupo of a sede in scope (documentation only:
    the view builds these objects directly from the database rows)."""

    sede = serializers.CharField()
    grupo = serializers.CharField()
    usuario = serializers.CharField()
    nombre = serializers.CharField(help_text="Nombre para constancias, nombre completo o usuario.")
    correo = serializers.CharField(allow_null=True)
    telefono = serializers.CharField(allow_null=True)
    curso = serializers.CharField()
    modulo = serializers.CharField(allow_null=True, help_text="Clave del módulo MEVyT.")
    inscrito_el = serializers.DateTimeField()
    dado_de_baja_el = serializers.DateTimeField(allow_null=True)
    estado = serializers.ChoiceField(choices=["activa", "dada_de_baja", "concluida"])
    avance = serializers.IntegerField(allow_null=True, help_text="Porcentaje del curso, 0–100.")
    lecciones_terminadas = serializers.IntegerField(allow_null=True)
    lecciones_requeridas = serializers.IntegerField(allow_null=True)
    minutos_de_estudio = serializers.IntegerField(allow_null=True)
    ultima_actividad = serializers.DateTimeField(allow_null=True)
    concluido_el = serializers.DateTimeField(allow_null=True)
    calificacion_final = serializers.FloatField(
        allow_null=True, help_text="Mejor calificación (0–100) en el examen final del curso."
    )
    folio = serializers.CharField(allow_null=True, help_text="Folio de la constancia vigente.")


def _filter_parameter(name: str, kind, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description)


class EnrollmentRowsView(APIView):
    """Enrollments of the learners of the caller's sedes."""

    # Personal tokens first, so an anonymous call gets 401 with a WWW-Authenticate header.
    authentication_classes = [
        accounts_api.ApiTokenAuthentication,
        TokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [IsAuthenticated, HasSedesInScope]
    pagination_class = RowsPagination

    @extend_schema(
        operation_id="coordinacion_inscripciones_list",
        summary="Inscripciones de los educandos de mis sedes",
        description=(
            "Una fila por inscripción y por grupo del educando en una sede de quien "
            "consulta (coordinación: sus sedes; administración: todas), con su avance, "
            "su mejor calificación en el examen final y el folio de su constancia vigente. "
            "Los mismos datos que la exportación «inscripciones». Fechas ISO 8601 con la "
            "zona horaria del sitio. Páginas de hasta 500 filas (limit/offset)."
        ),
        parameters=[
            _filter_parameter(
                "desde", OpenApiTypes.DATE, "Inscritos desde este día (incluido), AAAA-MM-DD."
            ),
            _filter_parameter(
                "hasta", OpenApiTypes.DATE, "Inscritos hasta este día (incluido), AAAA-MM-DD."
            ),
            _filter_parameter("sede", OpenApiTypes.INT, "Id de una de sus sedes."),
            _filter_parameter("grupo", OpenApiTypes.INT, "Id de un grupo de sus sedes."),
            _filter_parameter("curso", OpenApiTypes.INT, "Id (de página) de un curso."),
            _filter_parameter("limit", OpenApiTypes.INT, f"Filas por página (máximo {MAX_PAGE})."),
            _filter_parameter("offset", OpenApiTypes.INT, "Filas que se saltan."),
        ],
        responses={
            200: inline_serializer(
                "InscripcionesPage",
                fields={
                    "count": serializers.IntegerField(),
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": InscripcionSerializer(many=True),
                },
            ),
            400: inline_serializer(
                "FiltrosInvalidos",
                fields={
                    "errors": serializers.DictField(child=serializers.ListField()),
                },
            ),
            401: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
        },
    )
    def get(self, request):
        form = FiltersForm(request.query_params, user=request.user)
        if not form.is_valid():
            return Response(
                {"errors": form.errors.get_json_data()}, status=status.HTTP_400_BAD_REQUEST
            )
        query = build_query(kind=ExportKind.ENROLLMENTS, user=request.user, filters=form.filters())
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(query, request, view=self)
        accounts_api.record_access(
            request=request,
            action=accounts_api.AccessAction.EXPORT,
            detail=f"API inscripciones, {len(rows)} filas, {request.get_full_path()}",
        )
        return paginator.get_paginated_response(query.records(rows))
