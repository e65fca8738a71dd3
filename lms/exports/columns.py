"""The columns of each export: the JSON API's key, the Spanish header of the files and
how a value is written. The order here is the order of the files and of the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from lms.exports.models import ExportKind


@dataclass(frozen=True)
class Column:
    key: str  # the JSON API's name for it
    header: Any  # Spanish header (lazy)
    type: str = "text"  # text | number | datetime | status


STATUS_LABELS = {
    "activa": gettext_lazy("activa"),
    "dada_de_baja": gettext_lazy("dada de baja"),
    "concluida": gettext_lazy("concluida"),
    "empezada": gettext_lazy("empezada"),
    "terminada": gettext_lazy("terminada"),
    "vigente": gettext_lazy("vigente"),
    "anulada": gettext_lazy("anulada"),
}

ENROLLMENT_COLUMNS = [
    Column("sede", gettext_lazy("sede")),
    Column("grupo", gettext_lazy("grupo")),
    Column("usuario", pgettext_lazy("columna de exportación", "usuario")),
    Column("nombre", gettext_lazy("nombre")),
    Column("correo", gettext_lazy("correo")),
    Column("telefono", gettext_lazy("teléfono")),
    Column("curso", gettext_lazy("curso")),
    Column("modulo", gettext_lazy("módulo MEVyT")),
    Column("inscrito_el", gettext_lazy("inscrito el"), "datetime"),
    Column("dado_de_baja_el", gettext_lazy("dado de baja el"), "datetime"),
    Column("estado", pgettext_lazy("columna de exportación", "estado"), "status"),
    Column("avance", gettext_lazy("avance %"), "number"),
    Column("lecciones_terminadas", gettext_lazy("lecciones terminadas"), "number"),
    Column("lecciones_requeridas", gettext_lazy("lecciones requeridas"), "number"),
    Column("minutos_de_estudio", gettext_lazy("minutos de estudio"), "number"),
    Column("ultima_actividad", gettext_lazy("última actividad"), "datetime"),
    Column("concluido_el", gettext_lazy("concluido el"), "datetime"),
    Column("calificacion_final", gettext_lazy("mejor calificación del examen final"), "number"),
    Column("folio", gettext_lazy("folio de constancia vigente")),
]

PROGRESS_COLUMNS = [
    Column("sede", gettext_lazy("sede")),
    Column("grupo", gettext_lazy("grupo")),
    Column("usuario", pgettext_lazy("columna de exportación", "usuario")),
    Column("curso", gettext_lazy("curso")),
    Column("leccion", gettext_lazy("lección")),
    Column("estado", pgettext_lazy("columna de exportación", "estado"), "status"),
    Column("empezada", gettext_lazy("empezada"), "datetime"),
    Column("terminada", gettext_lazy("terminada"), "datetime"),
    Column("minutos", gettext_lazy("minutos"), "number"),
]

CERTIFICATE_COLUMNS = [
    Column("sede", gettext_lazy("sede")),
    Column("grupo", gettext_lazy("grupo")),
    Column("usuario", pgettext_lazy("columna de exportación", "usuario")),
    Column("nombre_en_constancia", gettext_lazy("nombre en la constancia")),
    Column("curso", gettext_lazy("curso")),
    Column("folio", gettext_lazy("folio")),
    Column("emitida_el", gettext_lazy("emitida el"), "datetime"),
    Column("estado", pgettext_lazy("columna de exportación", "estado"), "status"),
    Column("anulada_el", gettext_lazy("anulada el"), "datetime"),
    Column("verificacion", gettext_lazy("dirección de verificación")),
]


SHEET_TITLES = {
    ExportKind.ENROLLMENTS: gettext_lazy("Inscripciones"),
    ExportKind.PROGRESS: gettext_lazy("Avance por lección"),
    ExportKind.CERTIFICATES: gettext_lazy("Constancias"),
}
