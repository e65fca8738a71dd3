"""The de-identified research export: learner-level data a program administrator may hand
to researchers, as a ZIP with two CSV files, a frictionless data package
(``datapackage.json``) describing every field, and a short methodology (``LEEME.txt``).

What it guarantees, and how:

- **No direct identifier.** No name, username, email, phone, CURP, database id, folio,
  sede or grupo name, and no free text: only codes and numbers computed here.
- **Pseudonyms that cannot be joined across exports.** A learner's pseudonym is
  HMAC-SHA256 of their id under a random key made for this export (``secrets``), kept
  only in a local variable and never stored or logged, truncated to 16 hex digits. Within
  one export the same learner has the same pseudonym in every file; two exports give
  unrelated pseudonyms.
- **Coarse dates.** Only the start of a period: the ISO week (its Monday) at the finest,
  in ``settings.TIME_ZONE``.
- **k-anonymity on the quasi-identifiers.** The columns someone could know from outside
  (the region and kind of sede where a person studies, which courses, when they enrolled
  and finished) are the quasi-identifiers (``LEARNER_QIS``, ``ENROLLMENT_QIS``). Every
  combination of them holds at least ``k`` distinct learners (default 5), in
  ``educandos.csv`` and in each enrollment row *joined* with its learner's row (the
  pseudonym joins the files, so that join is published too). The columns are generalised
  first, the same way for every row (period: week → month → quarter → removed; region,
  kind of sede → removed), choosing the least generalisation that keeps the rows removed
  under ``SUPPRESSION_BUDGET``; then the rows of groups still smaller than ``k`` are
  removed (a learner removed from ``educandos.csv`` is removed from every file).
  ``LEEME.txt`` and ``datapackage.json`` say what was generalised and how many rows went.
  A learner's first enrollment and number of courses are not columns of
  ``educandos.csv``: they follow from ``inscripciones.csv``, and as columns of their own
  they would split every group (tried on the benchmark data set: enrollment dates had
  to be removed altogether).

Not covered (``LEEME.txt`` says so): someone who knows *several* of a person's courses and
dates together may find a combination of rows that only one pseudonym has; the files are
for researchers under a data-use agreement, not for publication.

Reads every active plain learner of the program (``enrollment_api.plain_learners``): the
caller must be a program administrator (``may_export``), which the view and the job check.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import itertools
import json
import secrets
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, BinaryIO

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.assessments.read_models import Attempt
from lms.certificates import read_models as certificates_models
from lms.enrollment import api as enrollment_api
from lms.enrollment import read_models as enrollment_models

DEFAULT_K = 5
MIN_K = 5
MAX_K = 50
# The share of rows generalisation may leave to be removed; beyond it, coarser columns.
SUPPRESSION_BUDGET = 0.05
PSEUDONYM_HEX_DIGITS = 16  # 64 bits: no collision in practice for a program's learners
CHUNK_SIZE = 2000
SCORE_PLACES = Decimal("0.01")

LEARNERS_FILE = "educandos.csv"
ENROLLMENTS_FILE = "inscripciones.csv"
DATAPACKAGE_FILE = "datapackage.json"
README_FILE = "LEEME.txt"

SUPPRESSED = None  # a generalised-away value: written as an empty cell

# US Census Bureau regions, by state name in Spanish or English (accents, case ignored).
_REGIONS = {
    "noreste": (
        "connecticut, maine, massachusetts, vermont, rhode island, new hampshire, "
        "nuevo hampshire, new jersey, nueva jersey, new york, nueva york, pennsylvania, "
        "pensilvania"
    ),
    "medio_oeste": (
        "illinois, indiana, michigan, ohio, wisconsin, iowa, kansas, minnesota, missouri, "
        "nebraska, north dakota, dakota del norte, south dakota, dakota del sur"
    ),
    "sur": (
        "delaware, florida, georgia, maryland, virginia, alabama, kentucky, mississippi, "
        "tennessee, arkansas, oklahoma, texas, luisiana, louisiana, north carolina, "
        "carolina del norte, south carolina, carolina del sur, west virginia, "
        "virginia occidental, district of columbia, distrito de columbia"
    ),
    "oeste": (
        "arizona, colorado, idaho, montana, nevada, utah, wyoming, alaska, california, "
        "hawaii, hawai, oregon, washington, new mexico, nuevo mexico"
    ),
}


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


REGION_OF_STATE = {
    name.strip(): region for region, names in _REGIONS.items() for name in names.split(",")
}
REGIONS = [*_REGIONS, "otra", "sin_sede"]


def region_of(state: str | None) -> str:
    """The census region of a sede's state; "otra" if not a US state, "sin_sede"."""
    if state is None:
        return "sin_sede"
    return REGION_OF_STATE.get(_plain(state), "otra")


def may_export(user: Any) -> bool:
    """Only a program administrator: a superuser, or whoever sees every sede
    (``enrollment.view_all_sedes``, the Administrador role). Coordinators of some sedes may
    not: the export holds the whole program."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_perm("enrollment.view_all_sedes"))
    )


# --- Periods -------------------------------------------------------------------------------

PERIOD_LEVELS = ["semana", "mes", "trimestre", "suprimido"]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _period(day: date | None, level: int) -> date | None:
    if day is None:
        return None
    if level == 0:
        return week_start(day)
    if level == 1:
        return day.replace(day=1)
    if level == 2:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return SUPPRESSED


def _local_day(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


# --- Reading the program -------------------------------------------------------------------


@dataclass
class _Learner:
    pseudonym: str
    region: str
    kind: str


@dataclass
class _Enrollment:
    learner: int  # index into the learners list
    course: str
    module: str
    enrolled: date
    completed: date | None
    withdrawn: bool
    percent: int
    done: int
    required: int | None
    minutes: int
    first_score: Decimal | None
    attempts: int
    certificate: bool


def _read(pseudonym: Callable[[int], str]) -> tuple[list[_Learner], list[_Enrollment]]:
    """Every active plain learner with at least one enrollment, and their enrollments:
    three queries, whatever the size."""
    learners_qs = enrollment_api.plain_learners()
    # A learner's sede: the grupo they joined first (a learner usually has one).
    place: dict[int, tuple[str, str]] = {}
    memberships = (
        enrollment_models.Membership.objects.filter(user__in=learners_qs)
        .order_by("user_id", "joined_at", "pk")
        .values_list("user_id", "grupo__sede__kind", "grupo__sede__state")
    )
    for user_id, kind, state in memberships.iterator(chunk_size=CHUNK_SIZE):
        place.setdefault(user_id, (kind, region_of(state)))

    first_attempt = Attempt.objects.filter(
        user_id=OuterRef("user_id"),
        course_id=OuterRef("course_id"),
        assessment_id=OuterRef("course__final_assessment_id"),
        number=1,
    ).values("score")[:1]
    attempts = (
        Attempt.objects.filter(
            user_id=OuterRef("user_id"),
            course_id=OuterRef("course_id"),
            assessment_id=OuterRef("course__final_assessment_id"),
        )
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    certificate = certificates_models.Certificate.objects.filter(
        enrollment_id=OuterRef("pk"), revoked_at__isnull=True
    )
    rows = (
        enrollment_models.Enrollment.objects.filter(user__in=learners_qs)
        .annotate(
            cp=FilteredRelation(
                "user__course_progress",
                condition=Q(user__course_progress__course_id=F("course_id")),
            ),
            first_score=Subquery(first_attempt),
            attempts=Subquery(attempts),
            certificate=Exists(certificate),
        )
        .order_by("user_id", "enrolled_at", "pk")
        .values_list(
            "user_id",
            "course__slug",
            "course__module__key",
            "enrolled_at",
            "completed_at",
            "withdrawn_at",
            "cp__percent",
            "cp__required_done",
            "cp__required_total",
            "cp__time_spent_seconds",
            "first_score",
            "attempts",
            "certificate",
        )
    )
    learners: list[_Learner] = []
    enrollments: list[_Enrollment] = []
    index: dict[int, int] = {}
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        (user_id, slug, module, enrolled_at, completed_at, withdrawn_at) = row[:6]
        (percent, done, required, seconds, score, tries, has_certificate) = row[6:]
        enrolled = _local_day(enrolled_at)
        assert enrolled is not None  # the column is not nullable
        position = index.get(user_id)
        if position is None:
            kind, region = place.get(user_id, ("sin_sede", "sin_sede"))
            position = index[user_id] = len(learners)
            learners.append(_Learner(pseudonym(user_id), region, kind))
        enrollments.append(
            _Enrollment(
                learner=position,
                course=slug,
                module=module or "",
                enrolled=enrolled,
                completed=_local_day(completed_at),
                withdrawn=withdrawn_at is not None,
                # No progress row: the learner never opened the course.
                percent=percent or 0,
                done=done or 0,
                required=required,
                minutes=round((seconds or 0) / 60),
                first_score=None if score is None else Decimal(str(score)).quantize(SCORE_PLACES),
                attempts=tries or 0,
                certificate=bool(has_certificate),
            )
        )
    return learners, enrollments


# --- Generalisation and suppression ----------------------------------------------------------

# (column, levels) of the quasi-identifiers, in the files' column order.
LEARNER_QIS = [
    ("region", ["region", "suprimido"]),
    ("tipo_de_sede", ["tipo", "suprimido"]),
]
ENROLLMENT_QIS = [
    ("curso", ["curso"]),
    ("periodo_inscripcion", PERIOD_LEVELS),
    ("periodo_conclusion", PERIOD_LEVELS),
]


def _learner_values(learner: _Learner, levels: Sequence[int]) -> tuple[Any, ...]:
    region, kind = levels
    return (
        learner.region if region == 0 else SUPPRESSED,
        learner.kind if kind == 0 else SUPPRESSED,
    )


def _enrollment_values(enrollment: _Enrollment, levels: Sequence[int]) -> tuple[Any, ...]:
    _course, enrolled, completed = levels
    return (
        enrollment.course,
        _period(enrollment.enrolled, enrolled),
        _period(enrollment.completed, completed),
    )


def _lattice(qis: list[tuple[str, list[str]]]) -> list[tuple[int, ...]]:
    """Every vector of generalisation levels, least information lost first (each column's
    level as a share of its coarsest, summed; ties: the earlier columns kept finer)."""
    ranges = [range(len(levels)) for _name, levels in qis]

    def loss(vector: tuple[int, ...]) -> tuple[float, tuple[int, ...]]:
        shares = sum(
            level / (len(levels) - 1) if len(levels) > 1 else 0
            for level, (_name, levels) in zip(vector, qis, strict=True)
        )
        return (round(shares, 6), vector)

    return sorted(itertools.product(*ranges), key=loss)


def _small(keys: Iterable[tuple[Any, ...]], k: int) -> set[tuple[Any, ...]]:
    """The keys held by fewer than ``k`` distinct learners; ``keys`` are (class, learner)."""
    counts = Counter(cls for cls, _learner in set(keys))
    return {cls for cls, count in counts.items() if count < k}


@dataclass
class Plan:
    """What the export published: the levels chosen and the rows removed."""

    k: int
    learner_levels: tuple[int, ...]
    enrollment_levels: tuple[int, ...]
    learners_total: int = 0
    learners_removed: int = 0
    enrollments_total: int = 0
    enrollments_removed: int = 0  # rows removed from inscripciones.csv by their own check
    enrollments_of_removed_learners: int = 0
    learner_rows: list[tuple[Any, ...]] = field(default_factory=list)
    enrollment_rows: list[tuple[Any, ...]] = field(default_factory=list)

    def level_names(self) -> dict[str, str]:
        named = zip(LEARNER_QIS, self.learner_levels, strict=True)
        names = {column: levels[level] for (column, levels), level in named}
        for (column, levels), level in zip(ENROLLMENT_QIS, self.enrollment_levels, strict=True):
            names[column] = levels[level]
        return names


def anonymise(learners: list[_Learner], enrollments: list[_Enrollment], *, k: int) -> Plan:
    """Choose the generalisation levels of every quasi-identifier at once (``_lattice``
    order over the columns of both files: the first vector whose removals stay within
    ``SUPPRESSION_BUDGET`` of the learners and of the enrollment rows, else the one removing
    fewest rows), then remove the rows of groups smaller than ``k``."""
    learner_budget = SUPPRESSION_BUDGET * len(learners)
    enrollment_budget = SUPPRESSION_BUDGET * len(enrollments)
    rows_of = Counter(one.learner for one in enrollments)
    split = len(LEARNER_QIS)
    best: tuple[int, tuple[int, ...]] | None = None
    chosen: tuple[int, ...] | None = None
    for vector in _lattice(LEARNER_QIS + ENROLLMENT_QIS):
        learner_levels, enrollment_levels = vector[:split], vector[split:]
        keys = [_learner_values(one, learner_levels) for one in learners]
        small = _small(((key, i) for i, key in enumerate(keys)), k)
        removed = {i for i, key in enumerate(keys) if key in small}
        joined = [
            (keys[one.learner] + _enrollment_values(one, enrollment_levels), one.learner)
            for one in enrollments
            if one.learner not in removed
        ]
        small_joined = _small(joined, k)
        lost = sum(1 for cls, _learner in joined if cls in small_joined)
        if len(removed) <= learner_budget and lost <= enrollment_budget:
            chosen = vector
            break
        total = len(removed) + sum(rows_of[i] for i in removed) + lost
        if best is None or total < best[0]:
            best = (total, vector)
    if chosen is None:
        assert best is not None  # the lattice is never empty
        chosen = best[1]
    return _apply(learners, enrollments, k=k, levels=(chosen[:split], chosen[split:]))


def _apply(
    learners: list[_Learner],
    enrollments: list[_Enrollment],
    *,
    k: int,
    levels: tuple[tuple[int, ...], tuple[int, ...]],
) -> Plan:
    learner_levels, enrollment_levels = levels
    plan = Plan(
        k=k,
        learner_levels=learner_levels,
        enrollment_levels=enrollment_levels,
        learners_total=len(learners),
        enrollments_total=len(enrollments),
    )
    keys = [_learner_values(one, learner_levels) for one in learners]
    small = _small(((key, i) for i, key in enumerate(keys)), k)
    kept = {i for i, key in enumerate(keys) if key not in small}
    plan.learners_removed = len(learners) - len(kept)
    joined = []
    for one in enrollments:
        if one.learner not in kept:
            plan.enrollments_of_removed_learners += 1
            continue
        joined.append((keys[one.learner] + _enrollment_values(one, enrollment_levels), one))
    small_joined = _small(((cls, one.learner) for cls, one in joined), k)
    for cls, one in joined:
        if cls in small_joined:
            plan.enrollments_removed += 1
            continue
        own = cls[len(LEARNER_QIS) :]
        plan.enrollment_rows.append(
            (
                learners[one.learner].pseudonym,
                *own[:1],
                one.module or None,
                *own[1:],
                one.withdrawn,
                one.percent,
                one.done,
                one.required,
                one.minutes,
                one.first_score,
                one.attempts,
                one.certificate,
            )
        )
    plan.learner_rows = sorted((learners[i].pseudonym, *keys[i]) for i in sorted(kept))
    plan.enrollment_rows.sort(key=lambda row: (row[0], row[1]))
    return plan


# --- The files ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _csv(header: list[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _period_description(level: str) -> tuple[str, str]:
    spanish = {
        "semana": _("el lunes de la semana ISO"),
        "mes": _("el primer día del mes"),
        "trimestre": _("el primer día del trimestre"),
    }
    english = {
        "semana": "the Monday of the ISO week",
        "mes": "the first day of the month",
        "trimestre": "the first day of the quarter",
    }
    return spanish.get(level, ""), english.get(level, "")


def _qi_note(level: str) -> tuple[str, str]:
    if level == "suprimido":
        return (
            _(" Columna suprimida en esta exportación para proteger la privacidad: vacía."),
            " Suppressed in this export to protect privacy: empty.",
        )
    return "", ""


def _date_field(name: str, level: str, spanish: str, english: str) -> dict[str, Any]:
    when_es, when_en = _period_description(level)
    note_es, note_en = _qi_note(level)
    return {
        "name": name,
        "type": "date",
        "format": "default",
        "description": f"{spanish} ({when_es})." if when_es else f"{spanish}.{note_es}",
        "description_en": f"{english} ({when_en})." if when_en else f"{english}.{note_en}",
        "granularity": level,
        "quasiIdentifier": True,
    }


def _schemas(plan: Plan, courses: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    names = plan.level_names()
    pseudonym: dict[str, Any] = {
        "name": "seudonimo",
        "type": "string",
        "description": _(
            "Seudónimo del educando en esta exportación (HMAC-SHA256 con una clave que se "
            "desechó). Cambia de una exportación a otra."
        ),
        "description_en": (
            "Learner pseudonym in this export (HMAC-SHA256 under a discarded key). It "
            "changes from one export to the next."
        ),
        "constraints": {"required": True, "pattern": f"[0-9a-f]{{{PSEUDONYM_HEX_DIGITS}}}"},
    }
    region: dict[str, Any] = {
        "name": "region",
        "type": "string",
        "description": _(
            "Región censal de EE. UU. del estado de la sede del educando (otra: fuera de EE. "
            "UU. o sin dato; sin_sede: no está en ningún grupo)."
        ),
        "description_en": (
            "US Census region of the state of the learner's site (otra: outside the US or "
            "unknown; sin_sede: in no group)."
        ),
        "constraints": {"enum": REGIONS},
        "quasiIdentifier": True,
    }
    kinds = [str(value) for value in enrollment_api.SedeKind.values] + ["sin_sede"]
    kind: dict[str, Any] = {
        "name": "tipo_de_sede",
        "type": "string",
        "description": _(
            "Tipo de sede: plaza (Plaza Comunitaria), consulado, organizacion (organización "
            "aliada) o sin_sede."
        ),
        "description_en": (
            "Kind of site: plaza (community learning centre), consulado (consulate), "
            "organizacion (partner organisation) or sin_sede (none)."
        ),
        "constraints": {"enum": kinds},
        "quasiIdentifier": True,
    }
    for column, spec in (("region", region), ("tipo_de_sede", kind)):
        if names[column] == "suprimido":
            note_es, note_en = _qi_note("suprimido")
            spec["description"] += note_es
            spec["description_en"] += note_en
            del spec["constraints"]
        spec["granularity"] = names[column]
    learners = {
        "fields": [pseudonym, region, kind],
        "primaryKey": ["seudonimo"],
        "missingValues": [""],
    }

    def number(
        name: str, kind_: str, spanish: str, english: str, **constraints: int
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "name": name,
            "type": kind_,
            "description": spanish,
            "description_en": english,
        }
        if constraints:
            spec["constraints"] = constraints
        return spec

    enrollments = {
        "fields": [
            {
                **pseudonym,
                "description": _("Seudónimo del educando (ver educandos.csv)."),
                "description_en": "Learner pseudonym (see educandos.csv).",
            },
            {
                "name": "curso",
                "type": "string",
                "description": _("Clave (slug) del curso en Aula."),
                "description_en": "Course key (slug) in Aula.",
                "constraints": {"required": True, "enum": courses},
                "quasiIdentifier": True,
            },
            number(
                "modulo_mevyt",
                "string",
                _("Clave del módulo MEVyT del INEA al que corresponde el curso, si hay."),
                "Key of the INEA MEVyT module the course corresponds to, if any.",
            ),
            _date_field(
                "periodo_inscripcion",
                names["periodo_inscripcion"],
                _("Inicio del periodo en que se inscribió al curso"),
                "Start of the period of enrollment in the course",
            ),
            _date_field(
                "periodo_conclusion",
                names["periodo_conclusion"],
                _("Inicio del periodo en que concluyó el curso; vacío si no lo ha concluido"),
                "Start of the period the course was completed; empty if not completed",
            ),
            number(
                "dado_de_baja",
                "boolean",
                _("Si el educando se dio de baja del curso."),
                "Whether the learner withdrew from the course.",
            ),
            number(
                "avance",
                "integer",
                _("Avance en el curso, en porcentaje de los pasos requeridos."),
                "Progress in the course, percent of the required steps.",
                minimum=0,
                maximum=100,
            ),
            number(
                "lecciones_terminadas",
                "integer",
                _("Pasos requeridos terminados (lecciones y examen final)."),
                "Required steps done (lessons and final exam).",
                minimum=0,
            ),
            number(
                "lecciones_requeridas",
                "integer",
                _("Pasos requeridos del curso; vacío si el educando no lo ha empezado."),
                "Required steps of the course; empty if the learner has not started it.",
                minimum=0,
            ),
            number(
                "minutos_de_estudio",
                "integer",
                _("Minutos de estudio registrados en el curso."),
                "Minutes of study recorded in the course.",
                minimum=0,
            ),
            number(
                "calificacion_primer_intento",
                "number",
                _("Calificación (0–100) del primer intento del examen final; vacía si no lo hizo."),
                "Score (0–100) of the first attempt at the final exam; empty if none.",
                minimum=0,
                maximum=100,
            ),
            number(
                "intentos_examen_final",
                "integer",
                _("Intentos del examen final."),
                "Attempts at the final exam.",
                minimum=0,
            ),
            number(
                "constancia",
                "boolean",
                _("Si tiene una constancia de conclusión vigente de este curso."),
                "Whether a valid completion certificate was issued for the course.",
            ),
        ],
        "primaryKey": ["seudonimo", "curso"],
        "foreignKeys": [
            {
                "fields": ["seudonimo"],
                "reference": {"resource": "educandos", "fields": ["seudonimo"]},
            }
        ],
        "missingValues": [""],
    }
    return learners, enrollments


def _datapackage(plan: Plan, created: datetime, courses: list[str]) -> dict[str, Any]:
    learners_schema, enrollments_schema = _schemas(plan, courses)
    dialect = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}

    def resource(
        name: str, path: str, title: str, description: str, schema: dict[str, Any], quasi: list[str]
    ) -> dict[str, Any]:
        return {
            "profile": "tabular-data-resource",
            "name": name,
            "path": path,
            "title": title,
            "description": description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": dialect,
            "schema": schema,
            "quasiIdentifiers": quasi,
        }

    return {
        "profile": "tabular-data-package",
        "name": "aula-investigacion",
        "title": _("Aula: datos desidentificados para investigación"),
        "description": _(
            "Datos por educando y por inscripción del programa, sin identificadores directos, "
            "con seudónimos propios de esta exportación, fechas agrupadas y k-anonimato. "
            "Vea LEEME.txt."
        ),
        "created": created.isoformat(timespec="seconds"),
        "anonymisation": {
            "k": plan.k,
            "pseudonym": "HMAC-SHA256, per-export random key (discarded), "
            f"{PSEUDONYM_HEX_DIGITS} hex digits",
            "generalisation": plan.level_names(),
            "learners_total": plan.learners_total,
            "learners_removed": plan.learners_removed,
            "enrollments_total": plan.enrollments_total,
            "enrollments_removed_with_their_learner": plan.enrollments_of_removed_learners,
            "enrollments_removed": plan.enrollments_removed,
        },
        "resources": [
            resource(
                "educandos",
                LEARNERS_FILE,
                _("Educandos"),
                _("Un renglón por educando con al menos una inscripción."),
                learners_schema,
                [name for name, _levels in LEARNER_QIS],
            ),
            resource(
                "inscripciones",
                ENROLLMENTS_FILE,
                _("Inscripciones"),
                _("Un renglón por inscripción de un educando en un curso."),
                enrollments_schema,
                [name for name, _levels in LEARNER_QIS + ENROLLMENT_QIS],
            ),
        ],
    }


def _readme(plan: Plan, created: datetime) -> str:
    names = plan.level_names()
    level_words = {
        "semana": _("semana ISO (lunes)"),
        "mes": _("mes"),
        "trimestre": _("trimestre"),
        "suprimido": _("suprimida"),
        "region": _("región censal"),
        "tipo": _("tipo de sede"),
        "curso": _("curso"),
    }
    levels = "\n".join(f"  - {column}: {level_words[level]}" for column, level in names.items())
    return _(
        "Aula: datos desidentificados para investigación\n"
        "Preparados el %(created)s.\n"
        "\n"
        "Archivos\n"
        "  - educandos.csv: un renglón por educando.\n"
        "  - inscripciones.csv: un renglón por inscripción en un curso.\n"
        "  - datapackage.json: diccionario de datos (Frictionless Data Package) con el "
        "tipo, la descripción y las restricciones de cada columna.\n"
        "\n"
        "Método\n"
        "  1. Sin identificadores directos: no hay nombres, usuarios, correos, teléfonos, "
        "CURP, folios, sedes ni grupos por nombre, ni texto libre.\n"
        "  2. Seudónimos: HMAC-SHA256 del número interno del educando con una clave al azar "
        "creada para esta exportación y desechada después; nadie la guarda. El mismo "
        "educando tiene el mismo seudónimo en los dos archivos, pero otro en cada "
        "exportación: dos exportaciones no se pueden unir.\n"
        "  3. Fechas: solo el inicio del periodo (lunes de la semana ISO, o mes o trimestre "
        "si hizo falta), en la zona horaria del programa.\n"
        "  4. k-anonimato con k = %(k)s: las columnas que alguien podría conocer por fuera "
        "(cuasi-identificadores: región, tipo de sede, curso, periodos de inscripción y de "
        "conclusión) se agruparon igual para todos los "
        "renglones y luego se quitaron los renglones de los grupos con menos de %(k)s "
        "educandos. Toda combinación de esas columnas, en educandos.csv y en cada "
        "inscripción unida a su educando, tiene al menos %(k)s educandos.\n"
        "\n"
        "Agrupación usada en esta exportación\n"
        "%(levels)s\n"
        "\n"
        "Renglones quitados\n"
        "  - Educandos: %(learners_removed)s de %(learners_total)s (y sus %(with_learner)s "
        "inscripciones).\n"
        "  - Inscripciones en grupos pequeños: %(enrollments_removed)s de "
        "%(enrollments_total)s.\n"
        "\n"
        "Límites\n"
        "  Quien conozca varias inscripciones de una persona a la vez (varios cursos con "
        "sus fechas, o cuántos cursos tomó) podría reconocer su combinación de renglones. "
        "Use estos datos solo "
        "dentro de un acuerdo de uso de datos, no los publique ni intente reidentificar a "
        "nadie, y guárdelos en un lugar seguro.\n"
    ) % {
        "created": created.strftime("%Y-%m-%d"),
        "k": plan.k,
        "levels": levels,
        "learners_removed": plan.learners_removed,
        "learners_total": plan.learners_total,
        "with_learner": plan.enrollments_of_removed_learners,
        "enrollments_removed": plan.enrollments_removed,
        "enrollments_total": plan.enrollments_total,
    }


LEARNER_HEADER = ["seudonimo", *(name for name, _levels in LEARNER_QIS)]
ENROLLMENT_HEADER = [
    "seudonimo",
    "curso",
    "modulo_mevyt",
    "periodo_inscripcion",
    "periodo_conclusion",
    "dado_de_baja",
    "avance",
    "lecciones_terminadas",
    "lecciones_requeridas",
    "minutos_de_estudio",
    "calificacion_primer_intento",
    "intentos_examen_final",
    "constancia",
]


def build_plan(*, k: int = DEFAULT_K) -> Plan:
    """Read the program and anonymise it (the files' rows and what was done). The key
    of the pseudonyms lives only in this call."""
    if not MIN_K <= k <= MAX_K:
        raise ValueError(f"k must be between {MIN_K} and {MAX_K}")
    key = secrets.token_bytes(32)

    def pseudonym(user_id: int) -> str:
        digest = hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()
        return digest[:PSEUDONYM_HEX_DIGITS]

    learners, enrollments = _read(pseudonym)
    return anonymise(learners, enrollments, k=k)


def write_zip(*, k: int = DEFAULT_K, out: BinaryIO) -> int:
    """Write the research ZIP to the binary file ``out``; returns the learners published.
    Caller checks ``may_export`` (the program's data, whoever asks)."""
    plan = build_plan(k=k)
    created = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    courses = sorted({row[1] for row in plan.enrollment_rows})
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(LEARNERS_FILE, _csv(LEARNER_HEADER, plan.learner_rows))
        archive.writestr(ENROLLMENTS_FILE, _csv(ENROLLMENT_HEADER, plan.enrollment_rows))
        archive.writestr(
            DATAPACKAGE_FILE,
            json.dumps(_datapackage(plan, created, courses), ensure_ascii=False, indent=2),
        )
        archive.writestr(README_FILE, _readme(plan, created))
    return len(plan.learner_rows)
