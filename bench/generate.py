"""A realistic data set for the coordinator benchmarks, on PostgreSQL.

20 sedes (Plazas Comunitarias, consulates, partner organisations) with 2–4 grupos each,
10,000 learners spread unevenly over them, 1–2 coordinators per sede
(``coordina-<sede key>``), an asesor per grupo and an administrator (``admin-bench``,
role Administrador); 40 published courses of 12 lessons and a final exam, created as real
Wagtail pages under the catalog; each learner enrolled in 1–15 courses (~100,000
enrollments) with about 1,000,000 learning events over the last six months (many stop
after lesson 1–3, ~15 % complete) and everything derived from them: lesson and course
progress, days of study, completion dates, entry checks (most learners answer one before
the first lesson), final-exam attempts (some failing again and again, each in the
learner's grupo) and certificates for most completed enrollments.

Derived rows are computed here with the rules of ``progress.api`` (``--check`` rebuilds
some learners from the event log and compares) and loaded with COPY: the full set takes
about a minute on two cores, plus ~40 s the first time to create the course pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench .venv/bin/python bench/generate.py
    .venv/bin/python bench/generate.py --scale 0.02 --check 30    # 200 learners, quick
    .venv/bin/python bench/generate.py --reset                    # rebuild from scratch

The database (``aula_bench`` by default) is created if missing. Running again with the same
seed and scale does nothing; another seed or scale replaces the data set (the courses are
kept). Accounts of the data set share the password printed at the end.
"""

import argparse
import json
import math
import os
import random
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from common import BENCH_DATABASE_URL, configure, ensure_database, prepare_site

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
configure()

DATASET = "coordinacion"
# Bump when what the generator makes changes: a data set of another format is rebuilt.
FORMAT = 5
PASSWORD = "aula-bench-2026"  # noqa: S105 - benchmark accounts in a benchmark database
COURSE_PREFIX = "bench-"
LESSONS_PER_COURSE = 12
LEARNERS = 10_000
DAYS = 182
PASS_MARK = 70
MAX_ATTEMPTS = 5

# key | name | kind | city | state | weight (how many learners the sede gets, relatively)
SEDES_TABLE = """
plaza-los-angeles     | Plaza Comunitaria Los Ángeles Centro        | plaza        | Los Ángeles    | California         | 10
consulado-los-angeles | Consulado General de México en Los Ángeles  | consulado    | Los Ángeles    | California         | 8
plaza-pilsen          | Plaza Comunitaria Pilsen                    | plaza        | Chicago        | Illinois           | 7
consulado-chicago     | Consulado General de México en Chicago      | consulado    | Chicago        | Illinois           | 5
consulado-houston     | Consulado General de México en Houston      | consulado    | Houston        | Texas              | 6
plaza-east-end        | Plaza Comunitaria East End                  | plaza        | Houston        | Texas              | 3
consulado-dallas      | Consulado General de México en Dallas       | consulado    | Dallas         | Texas              | 4
centro-westside       | Centro Comunitario Westside                 | organizacion | San Antonio    | Texas              | 2
consulado-phoenix     | Consulado de México en Phoenix              | consulado    | Phoenix        | Arizona            | 3
plaza-san-diego       | Plaza Comunitaria San Diego                 | plaza        | San Diego      | California         | 2
consulado-nueva-york  | Consulado General de México en Nueva York   | consulado    | Nueva York     | Nueva York         | 4
casa-mexicana-bronx   | Casa Mexicana del Bronx                     | organizacion | Nueva York     | Nueva York         | 1.5
plaza-denver          | Plaza Comunitaria Denver                    | plaza        | Denver         | Colorado           | 1.5
consulado-atlanta     | Consulado General de México en Atlanta      | consulado    | Atlanta        | Georgia            | 1.5
alianza-raleigh       | Alianza Latina de Raleigh                   | organizacion | Raleigh        | Carolina del Norte | 1
consulado-seattle     | Consulado de México en Seattle              | consulado    | Seattle        | Washington         | 1
plaza-fresno          | Plaza Comunitaria Fresno                    | plaza        | Fresno         | California         | 1.5
mano-amiga-las-vegas  | Mano Amiga Las Vegas                        | organizacion | Las Vegas      | Nevada             | 1
consulado-miami       | Consulado de México en Miami                | consulado    | Miami          | Florida            | 0.8
centro-wasatch        | Centro Latino Wasatch                       | organizacion | Salt Lake City | Utah               | 0.5
"""  # noqa: E501
SEDES = [
    (*(cell.strip() for cell in line.split("|")[:5]), float(line.split("|")[5]))
    for line in SEDES_TABLE.strip().splitlines()
]
GRUPO_NAMES = ["Grupo matutino", "Grupo vespertino", "Grupo sabatino", "Grupo en línea"]

COURSES = [
    "Lectura y escritura en la vida diaria", "Hablemos de números", "Fracciones en la cocina",
    "Medidas y cantidades", "Geometría para el trabajo", "Leer recibos y facturas",
    "Escribir mensajes formales", "Mi salud y la de mi familia", "Alimentación sana y barata",
    "Primeros auxilios en casa", "Salud emocional", "Mis derechos laborales",
    "Seguridad en el trabajo", "Buscar empleo en Estados Unidos", "Entrevista de trabajo",
    "Emprender un negocio pequeño", "Ahorro e inversión básica", "Crédito sin sorpresas",
    "Impuestos para principiantes", "Trámites consulares", "La escuela de mis hijos",
    "Inglés básico para el día a día", "Inglés para el trabajo", "Computación básica",
    "El teléfono inteligente", "Internet seguro", "Historia de México", "Geografía de México",
    "Ciencias de la naturaleza", "El cuerpo humano", "Cuidado del medio ambiente",
    "Vivir en comunidad", "Ser padres hoy", "Violencia familiar: cómo pedir ayuda",
    "Vivienda y renta", "Transporte y manejo", "Matemáticas para la secundaria",
    "Español para la secundaria", "Ciencias para la secundaria", "Preparación para el examen final",
]  # fmt: skip
LESSON_TITLES = [
    "Para empezar", "Palabras clave", "Ejemplos de la vida diaria", "Práctica guiada",
    "Un caso real", "Errores comunes", "Un paso más", "Para resolver en casa",
    "Trabajo en equipo", "Repaso", "Práctica final", "Cierre y siguientes pasos",
]  # fmt: skip
FIRST_NAMES = [
    "María", "José", "Guadalupe", "Juan", "Ana", "Luis", "Rosa", "Carlos", "Margarita",
    "Jesús", "Verónica", "Miguel", "Leticia", "Francisco", "Patricia", "Antonio", "Elena",
    "Pedro", "Alejandra", "Jorge", "Teresa", "Ricardo", "Gabriela", "Manuel", "Silvia",
    "Rafael", "Araceli", "Fernando", "Claudia", "Arturo", "Norma", "Javier", "Yolanda",
]  # fmt: skip
SURNAMES = [
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo",
    "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez",
]  # fmt: skip


@contextmanager
def step(name: str):
    """Print how long a step took (and let it add a note)."""
    notes: list[str] = []
    started = time.perf_counter()
    print(f"… {name}", flush=True)
    yield notes
    elapsed = time.perf_counter() - started
    print(f"  {name}: {elapsed:.1f} s{' — ' + '; '.join(notes) if notes else ''}", flush=True)
    TIMINGS[name] = round(elapsed, 1)


TIMINGS: dict[str, float] = {}


# --- The marker: which data set is in this database ------------------------------------


def marker_read(connection) -> dict | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (name text PRIMARY KEY, "
            "params jsonb NOT NULL, summary jsonb NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute("SELECT params, summary FROM bench_dataset WHERE name = %s", [DATASET])
        row = cursor.fetchone()
    if row is None:
        return None
    params, summary = (json.loads(v) if isinstance(v, str) else v for v in row)
    # Stored as [key, value] pairs: jsonb objects do not keep their keys' order.
    return {"params": params, "summary": dict(summary) if isinstance(summary, list) else summary}


def marker_write(connection, params: dict | None, summary: dict | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_dataset WHERE name = %s", [DATASET])
        if params is not None:
            cursor.execute(
                "INSERT INTO bench_dataset (name, params, summary) VALUES (%s, %s, %s)",
                [DATASET, json.dumps(params), json.dumps(list((summary or {}).items()))],
            )


# --- COPY ------------------------------------------------------------------------------


def _text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return str(value)


class CopyFile:
    """Rows for one table, spooled to a temporary file in COPY text format, then loaded
    in one COPY: a million rows never sit in memory as Python objects."""

    def __init__(self, model, columns: list[str]):
        self.model = model
        self.columns = columns
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by load
        self.rows = 0

    def add(self, *values) -> None:
        self.file.write("\t".join(map(_text, values)) + "\n")
        self.rows += 1

    def load(self, connection) -> int:
        table = self.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in self.columns)
        self.file.seek(0)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy,
        ):
            while chunk := self.file.read(1 << 20):
                copy.write(chunk)
        self.file.close()
        return self.rows


# --- Removing a data set --------------------------------------------------------------


def dataset_users():
    from django.db.models import Q

    from lms.accounts import read_models as accounts_models

    return accounts_models.User.objects.filter(
        Q(username__startswith="educando-")
        | Q(username__startswith="coordina-")
        | Q(username__startswith="asesor-")
        | Q(username="admin-bench")
    )


def remove_dataset(connection, *, courses: bool) -> list[str]:
    """Delete everything the generator made (and, with ``courses``, its course pages).
    The big tables are emptied with one DELETE each; the ORM does the rest."""
    from courses import read_models as courses_models
    from lms.assessments import read_models as assessments_models
    from lms.assessments.models import ItemResponse
    from lms.certificates import read_models as certificates_models
    from lms.enrollment import read_models as enrollment_models
    from lms.progress import read_models as progress_models
    from lms.progress.models import LearningEvent

    notes = []
    users_sql, users_params = dataset_users().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        for model in (
            certificates_models.Certificate,
            ItemResponse,  # before the attempts they belong to
            assessments_models.Attempt,
            assessments_models.EntryCheck,
            LearningEvent,
            progress_models.LessonProgress,
            progress_models.CourseProgress,
            progress_models.DailyActivity,
            enrollment_models.Enrollment,
            enrollment_models.Membership,
        ):
            cursor.execute(
                f'DELETE FROM "{model._meta.db_table}" WHERE user_id IN ({users_sql})',  # noqa: S608
                users_params,
            )
            if cursor.rowcount:
                notes.append(f"{cursor.rowcount:,} {model._meta.model_name}")
    enrollment_models.Sede.objects.filter(key__in=[s[0] for s in SEDES]).delete()
    deleted, _by_model = dataset_users().delete()
    if deleted:
        notes.append(f"users and their rows: {deleted:,}")
    if courses:
        bench_courses = courses_models.CoursePage.objects.filter(slug__startswith=COURSE_PREFIX)
        count = 0
        for course in bench_courses:
            course.delete()
            count += 1
        if count:
            notes.append(f"{count} course trees")
    return notes


# --- Courses ---------------------------------------------------------------------------


@dataclass
class Course:
    pk: int
    title: str
    lessons: list[int]
    final: int
    revision: int
    questions: list[tuple[str, str]]  # (block id, block type) of the final exam
    module_code: str
    module_name: str
    hours: int


def _slugify(text: str) -> str:
    from django.utils.text import slugify

    return slugify(text.replace("ñ", "n"))


def load_courses() -> list[Course] | None:
    """The generator's courses if all of them are there and complete, else None."""
    from courses import api as courses_api
    from courses import read_models as courses_models

    pages = list(
        courses_models.CoursePage.objects.live()
        .filter(slug__startswith=COURSE_PREFIX)
        .select_related("module", "final_assessment")
        .order_by("slug")
    )
    if len(pages) != len(COURSES):
        return None
    steps = courses_api.course_steps(course_ids=[p.pk for p in pages])
    result = []
    for page in pages:
        final = page.final_assessment
        lessons = [s.page_id for s in steps[page.pk].steps if s.kind == "lesson"]
        if (
            final is None
            or final.live_revision_id is None
            or len(lessons) != LESSONS_PER_COURSE
            or len(steps[page.pk].required_ids) != LESSONS_PER_COURSE + 1
        ):
            return None
        result.append(
            Course(
                pk=page.pk,
                title=page.title,
                lessons=lessons,
                final=final.pk,
                revision=final.live_revision_id,
                questions=[(b.id, b.block_type) for b in final.questions],
                module_code=page.module.code if page.module else "",
                module_name=page.module.name if page.module else "",
                hours=page.estimated_hours,
            )
        )
    return result


def create_courses() -> None:
    """40 published courses under the catalog, each with 12 lessons and a final exam,
    made the way the library importer makes pages (``add_child``, then a published
    revision), with lesson bodies and exam questions borrowed from the shipped library.
    Runs when no course of the generator is left (``remove_dataset(courses=True)``)."""
    from courses import api as courses_api
    from courses import read_models as courses_models

    catalog = courses_models.CatalogPage.objects.get()
    bodies = [
        courses_models.LessonPage.body.field.stream_block.get_prep_value(page.body)
        for page in courses_models.LessonPage.objects.live().order_by("path")
    ]
    exam = (
        courses_models.AssessmentPage.objects.live()
        .filter(kind=courses_api.AssessmentKind.FINAL)
        .order_by("path")
        .first()
    )
    if not bodies or exam is None:
        raise SystemExit("The shipped course library is missing: run `library import` first.")
    questions = courses_models.AssessmentPage.questions.field.stream_block.get_prep_value(
        exam.questions
    )
    for question in questions:
        # The shipped final's questions name its course's outcomes; bench courses have none.
        question["value"].pop("outcome", None)
    modules = list(
        courses_models.Module.objects.filter(level__isnull=False)
        .select_related("level")
        .order_by("level__sort_order", "name")
    )

    def publish(page):
        page.save_revision(log_action=False).publish(log_action=False)

    for number, title in enumerate(COURSES, 1):
        module = modules[(number - 1) % len(modules)] if modules else None
        course = courses_models.CoursePage(
            title=title,
            slug=f"{COURSE_PREFIX}{number:02d}-{_slugify(title)}"[:80],
            summary=f"Curso de práctica para medir la coordinación: {title.lower()}.",
            module=module,
            level=module.level if module else None,
            alignment="corresponde" if module else "",
            live=False,
        )
        catalog.add_child(instance=course)
        for index, lesson_title in enumerate(LESSON_TITLES):
            lesson = courses_models.LessonPage(
                title=f"{index + 1}. {lesson_title}",
                slug=f"leccion-{index + 1:02d}",
                summary=f"{lesson_title} — {title}.",
                estimated_minutes=10 + (index * 7) % 25,
                required=True,
                body=bodies[(number + index) % len(bodies)],
                live=False,
            )
            course.add_child(instance=lesson)
            publish(lesson)
        final = courses_models.AssessmentPage(
            title=f"Examen final: {title}",
            slug="examen-final",
            kind=courses_api.AssessmentKind.FINAL,
            pass_mark=PASS_MARK,
            max_attempts=MAX_ATTEMPTS,
            questions=questions,
            live=False,
        )
        course.add_child(instance=final)
        publish(final)
        course.final_assessment = final
        publish(course)


# --- People and places -----------------------------------------------------------------


@dataclass
class Grupo:
    pk: int
    sede_key: str
    coordinator_id: int
    bulk: bool  # enrolled by the coordinator (enrolled_by set)
    weight: float


@dataclass
class People:
    grupos: list[Grupo] = field(default_factory=list)
    # (user id, display name, grupo id, date joined)
    learners: list[tuple[int, str, int, datetime]] = field(default_factory=list)
    coordinators: int = 0
    asesores: int = 0


def _split(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    """``total`` items over buckets in proportion to ``weights`` (largest remainder),
    jittered so no two data sets are exactly proportional."""
    jittered = [w * rng.uniform(0.8, 1.2) for w in weights]
    scale = total / sum(jittered)
    shares = [w * scale for w in jittered]
    counts = [math.floor(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def make_people(rng: random.Random, *, learners: int, now: datetime) -> People:
    """Sedes, grupos, coordinators, asesores, the administrator and the learners."""
    from django.contrib.auth.hashers import make_password

    from lms.accounts import api as accounts_api
    from lms.accounts import read_models as accounts_models
    from lms.enrollment import read_models as enrollment_models

    User = accounts_models.User
    roles = accounts_api.roles
    groups = accounts_api.ensure_roles()
    password = make_password(PASSWORD)
    people = People()
    role_links = []

    admin = User.objects.create(
        username="admin-bench",
        password=password,
        display_name="Administración Aula",
        email="admin-bench@example.org",
    )
    role_links.append((admin.pk, groups[roles.ADMINISTRADOR].pk))

    staff = []
    for key, name, kind, city, state, weight in SEDES:
        sede = enrollment_models.Sede.objects.create(
            key=key, name=name, kind=kind, city=city, state=state
        )
        coordinators = [
            User(
                username=f"coordina-{key}" + (f"-{n}" if n > 1 else ""),
                password=password,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(SURNAMES),
                email=f"coordina-{key}-{n}@example.org",
            )
            for n in range(1, (2 if weight >= 3 or rng.random() < 0.3 else 1) + 1)
        ]
        User.objects.bulk_create(coordinators)
        sede.coordinators.add(*coordinators)
        role_links += [(c.pk, groups[roles.COORDINADOR].pk) for c in coordinators]
        people.coordinators += len(coordinators)
        count = 4 if weight >= 5 else 3 if weight >= 1.5 else 2
        for index, grupo_name in enumerate(GRUPO_NAMES[:count]):
            grupo = enrollment_models.Grupo.objects.create(sede=sede, name=grupo_name)
            asesor = User(
                username=f"asesor-{key}-{index + 1}",
                password=password,
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(SURNAMES),
            )
            staff.append((grupo, asesor))
            people.grupos.append(
                Grupo(
                    grupo.pk,
                    key,
                    rng.choice(coordinators).pk,
                    bulk=rng.random() < 0.5,
                    weight=weight * rng.uniform(0.3, 1.7),
                )
            )
    User.objects.bulk_create([asesor for _grupo, asesor in staff])
    for grupo, asesor in staff:
        grupo.asesores.add(asesor)
    role_links += [(a.pk, groups[roles.ASESOR].pk) for _g, a in staff]
    people.asesores = len(staff)

    per_grupo = _split(rng, learners, [g.weight for g in people.grupos])
    users, placement = [], []
    number = 0
    for grupo, count in zip(people.grupos, per_grupo, strict=True):
        for _ in range(count):
            number += 1
            first = rng.choice(FIRST_NAMES)
            last = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
            username = f"educando-{number:05d}"
            joined = now - timedelta(seconds=rng.randrange(DAYS * 86400))
            users.append(
                User(
                    username=username,
                    password=password,
                    first_name=first,
                    last_name=last,
                    display_name=f"{first} {last}",
                    email=f"{username}@example.org" if rng.random() < 0.45 else "",
                    phone=f"(213) 555-{rng.randrange(10000):04d}" if rng.random() < 0.35 else "",
                    reminders_opt_out=rng.random() < 0.08,
                    date_joined=joined,
                )
            )
            placement.append(grupo.pk)
    User.objects.bulk_create(users, batch_size=2000)
    enrollment_models.Membership.objects.bulk_create(
        [
            enrollment_models.Membership(user_id=u.pk, grupo_id=g)
            for u, g in zip(users, placement, strict=True)
        ],
        batch_size=5000,
    )
    role_links += [(u.pk, groups[roles.EDUCANDO].pk) for u in users]
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=u, group_id=g) for u, g in role_links], batch_size=5000
    )
    people.learners = [
        (u.pk, u.display_name, g, u.date_joined) for u, g in zip(users, placement, strict=True)
    ]
    return people


# --- Learning: events and everything derived from them -----------------------------------

# Columns loaded with COPY (user_id first: ``check`` compares the rest).
# fmt: off
ENROLLMENT_COLUMNS = ["user_id", "course_id", "uuid", "enrolled_at", "enrolled_by_id",
                      "withdrawn_at", "completed_at"]
EVENT_COLUMNS = ["user_id", "uuid", "verb", "object_id", "course_id", "result",
                 "client_timestamp", "received_at", "source", "schema_version",
                 "clock_correction"]
LESSON_COLUMNS = ["user_id", "page_id", "course_id", "status", "started_at", "completed_at",
                  "last_activity_at", "time_spent_seconds"]
COURSE_COLUMNS = ["user_id", "course_id", "required_total", "required_done", "percent",
                  "last_page_id", "last_activity_at", "time_spent_seconds"]
# fmt: on
DAY_COLUMNS = ["user_id", "course_id", "day"]


@dataclass
class Totals:
    enrollments: int = 0
    withdrawn: int = 0
    started: int = 0
    completed: int = 0
    events: int = 0
    attempts: int = 0
    entry_checks: int = 0
    certificates: int = 0
    lesson_rows: int = 0
    course_rows: int = 0
    day_rows: int = 0
    simulate_seconds: float = 0.0
    load_seconds: float = 0.0


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """``k`` distinct items, each picked with probability proportional to its weight
    (Efraimidis–Spirakis)."""
    keys = sorted(((rng.random() ** (1 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _key, i in keys[:k]]


def _journey(rng: random.Random, course: Course, start: datetime, now: datetime):
    """One learner's path through one course: the events (verb, page, time, result) and
    the attempts at the final exam. Stops at ``now``: recent learners are mid-course."""
    events: list[tuple[str, int, datetime, dict]] = []
    attempts: dict[int, int] = {}  # attempt number → right answers
    r = rng.random()
    if r < 0.12:
        reached = 0  # enrolled, never opened a lesson
    elif r < 0.60:
        reached = rng.randint(1, 3)
    elif r < 0.79:
        reached = rng.randint(4, 11)
    else:
        reached = LESSONS_PER_COURSE
    t = start + timedelta(seconds=rng.randint(60, 3 * 86400))
    finished_lessons = 0
    for index in range(reached):
        page = course.lessons[index]
        if t > now:
            return events, attempts
        events.append(("started", page, t, {}))
        length = rng.randint(4 * 60, 25 * 60)
        beats = rng.choices((0, 1, 2, 3), (70, 18, 8, 4))[0]
        for beat in range(beats):
            when = t + timedelta(seconds=length * (beat + 1) // (beats + 1))
            if when > now:
                return events, attempts
            events.append(("progressed", page, when, {"duration": rng.choice((30, 45, 60))}))
        last = index == reached - 1
        if not last or reached == LESSONS_PER_COURSE or rng.random() < 0.5:
            when = t + timedelta(seconds=length)
            if when > now:
                return events, attempts
            events.append(("completed", page, when, {}))
            finished_lessons += 1
        if rng.random() < 0.45:
            gap = rng.randint(60, 15 * 60)  # straight on to the next lesson
        else:
            gap = 3600 + int(rng.expovariate(1 / (2.5 * 86400)))
        t += timedelta(seconds=length + gap)
    if finished_lessons < LESSONS_PER_COURSE:
        return events, attempts
    # The final exam: most pass at once, some after failing, some keep failing.
    questions = len(course.questions)
    needed = math.ceil(questions * PASS_MARK / 100)
    r = rng.random()
    failures = 0 if r < 0.70 else rng.randint(1, 2) if r < 0.86 else rng.randint(1, 4)
    passes = r < 0.86
    for number in range(1, failures + 2 if passes else failures + 1):
        if t > now:
            break
        passed = passes and number == failures + 1
        right = rng.randint(needed, questions) if passed else rng.randint(needed // 3, needed - 1)
        attempts[number] = right
        events.append(("passed" if passed else "failed", course.final, t, {"attempt": number}))
        t += timedelta(seconds=rng.randint(3600, 5 * 86400))
    return events, attempts


def learn(rng: random.Random, people: People, courses: list[Course], now: datetime, connection):
    """Enrollments, events and derived rows for every learner, then loaded."""
    from django.utils import timezone

    from lms.assessments import read_models as assessments_models
    from lms.certificates import folio as folios
    from lms.certificates import read_models as certificates_models
    from lms.certificates.models import IssuerSettings
    from lms.enrollment import read_models as enrollment_models
    from lms.progress import read_models as progress_models
    from lms.progress.models import LearningEvent

    tz = timezone.get_default_timezone()
    grupos = {g.pk: g for g in people.grupos}
    enrollments = CopyFile(enrollment_models.Enrollment, ENROLLMENT_COLUMNS)
    events = CopyFile(LearningEvent, EVENT_COLUMNS)
    lessons = CopyFile(progress_models.LessonProgress, LESSON_COLUMNS)
    course_rows = CopyFile(progress_models.CourseProgress, COURSE_COLUMNS)
    days = CopyFile(progress_models.DailyActivity, DAY_COLUMNS)
    attempts: list = []
    entry_checks: list = []  # (user id, course, when, score, grupo id)
    certificates: list[tuple] = []  # (user id, course, learner name, completed_at, issued_at)
    totals = Totals()
    weights = [1 / (1 + 0.12 * i) for i in range(len(courses))]
    required_total = LESSONS_PER_COURSE + 1
    started = time.perf_counter()

    for user_id, name, grupo_id, joined in people.learners:
        grupo = grupos[grupo_id]
        count = min(max(round(rng.triangular(1, 15, 14)), 1), 15)
        for course in _weighted_sample(rng, courses, weights, count):
            window = max((now - joined).total_seconds(), 1)
            enrolled_at = joined + timedelta(seconds=rng.randrange(int(min(window, 21 * 86400))))
            journey, tries = _journey(rng, course, enrolled_at, now)
            totals.enrollments += 1
            # Derived rows, by the rules of progress.api._recompute.
            by_page: dict[int, dict] = {}
            studied = set()
            for verb, page, when, result in journey:
                source = "api"
                if verb in ("passed", "failed"):  # graded on the server, as submit_attempt does
                    number, source = result["attempt"], "server"
                    right = tries[number]
                    score = (Decimal(100) * right / len(course.questions)).quantize(Decimal("0.01"))
                    attempt_uuid = _uuid(rng)
                    result = {"score": float(score), "attempt": str(attempt_uuid)}
                    attempts.append(
                        (user_id, course, number, when, right, attempt_uuid, score, verb, grupo_id)
                    )
                received = min(when + timedelta(seconds=rng.randint(0, 8)), now)
                events.add(
                    user_id, _uuid(rng), verb, page, course.pk,
                    json.dumps(result, separators=(",", ":")), when, received, source, 1,
                    "0",  # no clock correction: the simulated phones' clocks are right
                )  # fmt: skip
                totals.events += 1
                studied.add(when.astimezone(tz).date())
                row = by_page.setdefault(
                    page, {"first": when, "last": when, "done": None, "beats": {}}
                )
                row["first"] = min(row["first"], when)
                row["last"] = max(row["last"], when)
                if verb in ("completed", "passed"):
                    row["done"] = when if row["done"] is None else min(row["done"], when)
                if verb == "progressed":
                    minute = when.replace(second=0, microsecond=0)
                    seconds = min(float(result.get("duration") or 0), 60)
                    row["beats"][minute] = max(row["beats"].get(minute, 0.0), seconds)
            # Most who open a lesson answer the entry check first (before their first event).
            if journey and rng.random() < 0.7:
                first = min(e[2] for e in journey)
                pre = (Decimal(100) * Decimal(rng.betavariate(2, 4))).quantize(Decimal("0.01"))
                when = max(first - timedelta(seconds=rng.randint(60, 900)), enrolled_at)
                entry_checks.append((user_id, course, when, pre, grupo_id))
            completed_at = None
            if by_page:
                totals.started += 1
                spent_total = 0
                done = []
                for page, row in by_page.items():
                    spent = round(sum(row["beats"].values()))
                    spent_total += spent
                    if row["done"] is not None:
                        done.append(row["done"])
                    lessons.add(
                        user_id, page, course.pk,
                        "completed" if row["done"] else "started",
                        row["first"], row["done"], row["last"], spent,
                    )  # fmt: skip
                last_page = max(by_page, key=lambda p: (by_page[p]["last"], p))
                course_rows.add(
                    user_id, course.pk, required_total, len(done),
                    100 * len(done) // required_total, last_page, by_page[last_page]["last"],
                    spent_total,
                )  # fmt: skip
                for day in sorted(studied):
                    days.add(user_id, course.pk, day)
                if len(done) == required_total:
                    completed_at = max(done)
            withdrawn_at = None
            if completed_at is None and rng.random() < 0.04:
                last = max((e[2] for e in journey), default=enrolled_at)
                withdrawn_at = last + timedelta(seconds=rng.randint(86400, 20 * 86400))
                if withdrawn_at > now:
                    withdrawn_at = None
            if withdrawn_at:
                totals.withdrawn += 1
            if completed_at is not None:
                totals.completed += 1
                if rng.random() < 0.92:
                    issued = min(completed_at + timedelta(seconds=rng.randint(5, 900)), now)
                    certificates.append((user_id, course, name, completed_at, issued))
            enrollments.add(
                user_id, course.pk, _uuid(rng), enrolled_at,
                grupo.coordinator_id if grupo.bulk else None, withdrawn_at, completed_at,
            )  # fmt: skip

    totals.lesson_rows, totals.course_rows, totals.day_rows = (
        lessons.rows, course_rows.rows, days.rows
    )  # fmt: skip
    totals.simulate_seconds = time.perf_counter() - started
    for table in (enrollments, events, lessons, course_rows, days):
        table.load(connection)

    # Attempts and certificates, through the ORM (tens of thousands of rows).
    attempt_rows = []
    for user_id, course, number, when, right, attempt_uuid, score, verb, grupo_id in attempts:
        correct = set(rng.sample(range(len(course.questions)), right))
        attempt_rows.append(
            assessments_models.Attempt(
                uuid=attempt_uuid,
                user_id=user_id,
                assessment_id=course.final,
                course_id=course.pk,
                revision_id=course.revision,
                number=number,
                submitted_at=when,
                answers={},
                results={
                    block_id: {
                        "kind": kind,
                        "answered": True,
                        "correct": i in correct,
                        "feedback": [],
                        "topic": "",
                    }
                    for i, (block_id, kind) in enumerate(course.questions)
                },
                score=score,
                passed=verb == "passed",
                grupo_id=grupo_id,
            )
        )
    assessments_models.Attempt.objects.bulk_create(attempt_rows, batch_size=2000)
    totals.attempts = len(attempt_rows)
    entry_rows = [
        assessments_models.EntryCheck(
            uuid=_uuid(rng),
            user_id=user_id,
            course_id=course.pk,
            assessment_id=course.final,
            revision_id=course.revision,
            submitted_at=when,
            question_ids=[],
            score=pre,
            grupo_id=grupo_id,
        )
        for user_id, course, when, pre, grupo_id in entry_checks
    ]
    assessments_models.EntryCheck.objects.bulk_create(entry_rows, batch_size=5000)
    totals.entry_checks = len(entry_rows)

    enrollment_ids = dict(
        (((u, c), pk) for u, c, pk in enrollment_models.Enrollment.objects.filter(
            user_id__in=[u for u, *_rest in certificates]
        ).values_list("user_id", "course_id", "pk"))
    )  # fmt: skip
    taken = set(certificates_models.Certificate.objects.values_list("folio", flat=True))
    issuer = IssuerSettings.load().name
    rows = []
    for user_id, course, name, completed_at, issued in certificates:
        while True:
            body = "".join(rng.choice(folios.ALPHABET) for _ in range(folios.BODY_LENGTH))
            folio = f"{body[:4]}-{body[4:]}-{folios.check_char(body)}"
            if folio not in taken:
                taken.add(folio)
                break
        certificate_uuid = _uuid(rng)
        rows.append(
            certificates_models.Certificate(
                uuid=certificate_uuid,
                folio=folio,
                enrollment_id=enrollment_ids[(user_id, course.pk)],
                user_id=user_id,
                learner_name=name,
                course_title=course.title,
                course_id=course.pk,
                module_code=course.module_code,
                module_name=course.module_name,
                hours=course.hours,
                completed_on=completed_at.astimezone(tz).date(),
                issuer_name=issuer,
                issued_at=issued.replace(microsecond=0),
                # No PDF is rendered (bench/certificates.py measures that): a placeholder.
                pdf=f"constancias/{certificate_uuid}.pdf",
                credential={"bench": True, "folio": folio},
            )
        )
    certificates_models.Certificate.objects.bulk_create(rows, batch_size=2000)
    totals.certificates = len(rows)
    totals.load_seconds = time.perf_counter() - started - totals.simulate_seconds
    return totals


# --- Checking the derived rows against progress.api --------------------------------------


def check(learners: int) -> str:
    """Rebuild ``learners`` learners' progress from their events with
    ``progress_api.rebuild_progress`` (in a transaction rolled back afterwards) and compare
    with what the generator wrote."""
    from django.db import transaction

    from lms.enrollment import read_models as enrollment_models
    from lms.progress import api as progress_api
    from lms.progress import read_models as progress_models

    ids = list(
        dataset_users()
        .filter(username__startswith="educando-", learning_events__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[:learners]
    )

    def snapshot(user_id):
        return tuple(
            sorted(model.objects.filter(user_id=user_id).values_list(*columns[1:]))
            for model, columns in (
                (progress_models.LessonProgress, LESSON_COLUMNS),
                (progress_models.CourseProgress, COURSE_COLUMNS),
                (progress_models.DailyActivity, DAY_COLUMNS),
            )
        )

    mismatches = []

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            for user_id in ids:
                before = snapshot(user_id)
                completed = set(
                    enrollment_models.Enrollment.objects.filter(
                        user_id=user_id, completed_at__isnull=False
                    ).values_list("course_id", flat=True)
                )
                progress_api.rebuild_progress(user_id=user_id)
                after = snapshot(user_id)
                full = {row[0] for row in after[1] if row[2] == row[1]}
                if before != after or completed != full:
                    mismatches.append(user_id)
            raise Rollback
    except Rollback:
        pass
    if mismatches:
        raise SystemExit(f"derived rows differ from progress.api for learners {mismatches[:10]}")
    return f"{len(ids)} learners rebuilt from their events by progress.api: identical"


# --- Main ----------------------------------------------------------------------------


def print_summary(summary: dict) -> None:
    for key, value in summary.items():
        print(f"  {key}: {value:,}" if isinstance(value, int) else f"  {key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10,000 learners")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--reset", action="store_true", help="rebuild, courses included")
    parser.add_argument(
        "--check", type=int, default=0, metavar="N", help="then verify N learners' progress"
    )
    args = parser.parse_args()
    total_start = time.perf_counter()

    ensure_database()
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone

    if connection.vendor != "postgresql":
        raise SystemExit("The generator loads with COPY: set DATABASE_URL to PostgreSQL.")
    with step("site (migrate, bootstrap, library)"):
        prepare_site()

    params = {"seed": args.seed, "scale": args.scale, "format": FORMAT}
    current = marker_read(connection)
    if current and current["params"] == params and not args.reset:
        print(f"data set already there ({params}); --reset rebuilds it")
        print_summary(current["summary"])
        if args.check:
            print(check(args.check))
        return

    rng = random.Random(args.seed)
    now = timezone.now().replace(microsecond=0)
    learners = max(round(LEARNERS * args.scale), 20)
    with step("remove the previous data set") as notes:
        marker_write(connection, None)
        notes += remove_dataset(connection, courses=args.reset)
    with step("courses") as notes:
        courses = load_courses()
        if courses is None:
            remove_dataset(connection, courses=True)
            create_courses()
            courses = load_courses()
            notes.append(f"created {len(COURSES)} courses of {LESSONS_PER_COURSE} lessons")
        else:
            notes.append("reused")
    with transaction.atomic():
        with step("sedes, grupos and people") as notes:
            people = make_people(rng, learners=learners, now=now)
            notes.append(
                f"{len(SEDES)} sedes, {len(people.grupos)} grupos, {len(people.learners):,} "
                f"learners, {people.coordinators} coordinators, {people.asesores} asesores"
            )
        with step("enrollments, events and derived rows") as notes:
            totals = learn(rng, people, courses, now, connection)
            notes.append(
                f"{totals.events:,} events, {totals.enrollments:,} enrollments; simulated in "
                f"{totals.simulate_seconds:.1f} s, loaded (COPY, bulk_create) in "
                f"{totals.load_seconds:.1f} s"
            )
        with step("analyze"), connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        summary = {
            "generated": now.isoformat(),
            "sedes": len(SEDES),
            "grupos": len(people.grupos),
            "learners": len(people.learners),
            "courses": len(courses),
            "enrollments": totals.enrollments,
            "withdrawn": totals.withdrawn,
            "started": totals.started,
            "completed": totals.completed,
            "completion_rate": f"{100 * totals.completed / max(totals.enrollments, 1):.1f} %",
            "learning_events": totals.events,
            "lesson_progress": totals.lesson_rows,
            "course_progress": totals.course_rows,
            "daily_activity": totals.day_rows,
            "attempts": totals.attempts,
            "entry_checks": totals.entry_checks,
            "certificates": totals.certificates,
            "seconds": ", ".join(
                f"{name} {seconds:.1f} s"
                for name, seconds in [
                    *TIMINGS.items(),
                    ("total", time.perf_counter() - total_start),
                ]
            ),
        }
        marker_write(connection, params, summary)
    print(f"data set {params}:")
    print_summary(summary)
    print(
        f"accounts: admin-bench (Administrador), coordina-<sede key> (Coordinador), "
        f"asesor-<sede key>-<n>, educando-00001…; password for all: {PASSWORD}"
    )
    if args.check:
        with step("check"):
            print(check(args.check))


if __name__ == "__main__":
    main()
