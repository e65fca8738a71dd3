"""The de-identified research export (issue 16): who may ask for it, what the ZIP holds,
that no direct identifier leaves Aula, that pseudonyms cannot be joined across exports,
and k-anonymity on every combination of the published quasi-identifiers, on the
benchmark data set's generator (PostgreSQL) as well as on small worlds."""

from __future__ import annotations

import csv
import importlib
import io
import itertools
import json
import os
import random
import sys
import time
import urllib.request
import zipfile
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from stdnum.mx import curp as stdnum_curp

from lms.accounts import roles
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import Enrollment, Grupo, Sede
from lms.exports import research
from lms.exports.models import ExportJob, ExportKind, ExportStatus
from tests.helpers import complete

URL = "/coordinacion/exportar/investigacion/"
JOBS = "/coordinacion/exportar/archivos/"
LEARNER_QIS = ["region", "tipo_de_sede"]
ENROLLMENT_QIS = ["curso", "periodo_inscripcion", "periodo_conclusion"]
ROOT = Path(__file__).resolve().parents[2]


def make_curp(number: int) -> str:
    body = f"ZAQX{number:06d}HNERXN0"
    return body + stdnum_curp.calc_check_digit(body)


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_default_timezone())


# --- Reading a research ZIP ---------------------------------------------------------------


def read_zip(body: bytes) -> dict:
    """{"files": {name: bytes}, "learners": [dict], "enrollments": [dict], "package": dict}"""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}

    def rows(name):
        return list(csv.DictReader(io.StringIO(files[name].decode("utf-8"))))

    return {
        "files": files,
        "learners": rows("educandos.csv"),
        "enrollments": rows("inscripciones.csv"),
        "package": json.loads(files["datapackage.json"]),
    }


def assert_k_anonymous(data: dict, k: int) -> int:
    """Every combination (every non-empty subset) of the quasi-identifiers holds at least
    ``k`` distinct learners: in educandos.csv, in inscripciones.csv, and in each enrollment
    row joined with its learner's row. Computed here from the files, not by the export's
    code. Returns the number of combinations checked."""
    learner_of = {row["seudonimo"]: row for row in data["learners"]}
    joined = [{**learner_of[row["seudonimo"]], **row} for row in data["enrollments"]]
    checked = 0
    for table, columns in (
        (data["learners"], LEARNER_QIS),
        (data["enrollments"], ENROLLMENT_QIS),
        (joined, LEARNER_QIS + ENROLLMENT_QIS),
    ):
        for size in range(1, len(columns) + 1):
            for subset in itertools.combinations(columns, size):
                groups = defaultdict(set)
                for row in table:
                    groups[tuple(row[c] for c in subset)].add(row["seudonimo"])
                small = {key: len(who) for key, who in groups.items() if len(who) < k}
                assert not small, f"{subset}: groups under k={k}: {small}"
                checked += 1
    return checked


def export(client, *, k: int = 5, capture) -> tuple[ExportJob, dict]:
    """Ask for a research export as the logged-in person, build it (eager Celery, on
    commit), download it and read it."""
    with capture(execute=True):
        response = client.post(URL, {"k": str(k), "acuerdo": "on"})
    assert response.status_code == 302 and response["Location"] == JOBS
    job = ExportJob.objects.filter(kind=ExportKind.RESEARCH).latest("created_at", "id")
    assert job.status == ExportStatus.DONE, job.error
    download = client.get(f"{JOBS}{job.uuid}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert 'filename="aula-investigacion-' in download["Content-Disposition"]
    return job, read_zip(b"".join(download.streaming_content))


# --- A small world ---------------------------------------------------------------------------


@pytest.fixture
def world(sedes, make_learner, make_user, course, monkeypatch):
    """Plaza norte (Texas) with 12 learners, each with a name, email, phone and CURP
    nobody else has, all enrolled in ``course`` the same week (5 of them completed it),
    and Plaza sur (California) with a single learner, whom k = 5 must hide. One learner
    in 13 is more than the 5 % the export removes before it generalises: the budget is
    10 % here, so that the learner is removed rather than the regions generalised."""
    monkeypatch.setattr(research, "SUPPRESSION_BUDGET", 0.1)
    norte, coordinator, grupo = sedes["norte"]
    sur, _sur_coordinator, sur_grupo = sedes["sur"]
    Sede.objects.filter(pk=norte.pk).update(state="Texas", city="Houston")
    Sede.objects.filter(pk=sur.pk).update(state="California", city="Fresno")
    learners = []
    for number in range(12):
        learner = make_learner(
            f"zafiro-{number:02d}-xq",
            grupo,
            course,
            lessons_done=number % 3,
            display_name=f"Quetzalli Ixchel Tlapaltotoli {number:02d}",
            first_name=f"Quetzalli{number:02d}",
            last_name=f"Tlapaltotoli{number:02d}",
            email=f"zafiro{number:02d}@correo-unico.example",
            phone=f"+1 213 555 01{number:02d}",
            curp=make_curp(number),
        )
        learners.append(learner)
    for learner in learners[:5]:
        complete(learner, course)
    alone = make_learner("solitaria-unica", sur_grupo, course, display_name="Yoloxóchitl Única")
    Enrollment.objects.filter(user__in=[*learners, alone]).update(
        enrolled_at=local(2026, 3, 4, 10)  # a Wednesday: week of Monday 2026-03-02
    )
    admin = make_user("jefa-programa", roles.ADMINISTRADOR, email="jefa@example.org")
    return {
        "norte": norte,
        "sur": sur,
        "grupo": grupo,
        "coordinator": coordinator,
        "learners": learners,
        "alone": alone,
        "admin": admin,
        "course": course,
    }


class TestWhoMayAsk:
    def test_anonymous_goes_to_log_in(self, client, world):
        for method in (client.get, client.post):
            response = method(URL)
            assert response.status_code == 302
            assert response["Location"] == f"/cuenta/entrar/?next={URL}"
        assert not ExportJob.objects.exists()

    @pytest.mark.parametrize("who", ["coordinator", "learner", "asesor"])
    def test_coordinators_learners_and_asesores_get_403(self, client, world, asesor, who):
        person = {
            "coordinator": world["coordinator"],
            "learner": world["learners"][0],
            "asesor": asesor,
        }[who]
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"k": "5", "acuerdo": "on"}).status_code == 403
        assert not ExportJob.objects.exists()

    def test_coordinators_are_not_offered_it_on_their_export_page(self, client, world):
        client.force_login(world["coordinator"])
        page = client.get("/coordinacion/exportar/").content.decode()
        assert URL not in page and "investigacion" not in page
        response = client.post(
            "/coordinacion/exportar/", {"tipo": "investigacion", "formato": "zip"}
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert errors["tipo"] == ["Elija una de las exportaciones de la lista."]
        assert errors["formato"] == ["Elija CSV o Excel (XLSX)."]
        assert not ExportJob.objects.exists()

    def test_program_administrator_and_superuser_may(self, client, world, make_user):
        client.force_login(world["admin"])
        assert URL in client.get("/coordinacion/exportar/").content.decode()
        page = client.get(URL)
        assert page.status_code == 200
        assert "Datos para investigación" in page.content.decode()
        root = make_user("raiz", is_superuser=True, is_staff=True)
        client.force_login(root)
        assert client.get(URL).status_code == 200

    def test_page_queries_are_pinned(self, client, world, django_assert_num_queries):
        client.force_login(world["admin"])
        client.get(URL)
        # session, user, the user's permissions (group and own), the second factor.
        with django_assert_num_queries(5):
            assert client.get(URL).status_code == 200

    def test_a_coordinator_cannot_download_an_administrators_file(
        self, client, world, django_capture_on_commit_callbacks
    ):
        client.force_login(world["admin"])
        job, _data = export(client, capture=django_capture_on_commit_callbacks)
        client.force_login(world["coordinator"])
        assert client.get(f"{JOBS}{job.uuid}/").status_code == 404

    def test_an_administrator_who_lost_the_role_gets_no_file(
        self, client, world, django_capture_on_commit_callbacks
    ):
        admin = world["admin"]
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(URL, {"k": "5", "acuerdo": "on"})
        job = ExportJob.objects.get(requested_by=admin)
        admin.groups.clear()
        world["norte"].coordinators.add(admin)  # still a coordinator: passes the list's gate
        for callback in callbacks:
            callback()
        job.refresh_from_db()
        assert job.status == ExportStatus.FAILED and not job.file
        assert job.error == "La cuenta que pidió este archivo ya no administra el programa."
        admin = type(admin).objects.get(pk=admin.pk)  # no cached permissions
        client.force_login(admin)
        assert client.get(URL).status_code == 403
        ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.DONE, file="x.zip")
        assert client.get(f"{JOBS}{job.uuid}/").status_code == 403


class TestBadInput:
    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"k": "3", "acuerdo": "on"}, "k", "k debe ser al menos 5: con grupos más pequeños "
             "se podría reconocer a alguien."),
            ({"k": "500", "acuerdo": "on"}, "k", "k puede ser a lo más 50."),
            ({"k": "cinco", "acuerdo": "on"}, "k", "Escriba un número entero, por ejemplo 5."),
            ({"k": "", "acuerdo": "on"}, "k", "Escriba el tamaño mínimo de grupo, por ejemplo 5."),
            ({"k": "5"}, "acuerdo", "Para preparar el archivo, confirme que lo entregará solo "
             "bajo un acuerdo de uso de datos."),
        ],
    )  # fmt: skip
    def test_is_explained_in_spanish_and_nothing_is_queued(
        self, client, world, data, field, message
    ):
        client.force_login(world["admin"])
        response = client.post(URL, data)
        assert response.status_code == 200
        assert response.context["form"].errors[field] == [message]
        assert message in response.content.decode()
        assert "Revise lo siguiente:" in response.content.decode()
        assert not ExportJob.objects.exists()

    def test_build_plan_refuses_a_small_k(self):
        with pytest.raises(ValueError):
            research.build_plan(k=4)


class TestTheFiles:
    def test_contents_data_dictionary_and_methodology(
        self, client, world, django_capture_on_commit_callbacks
    ):
        client.force_login(world["admin"])
        job, data = export(client, capture=django_capture_on_commit_callbacks)
        assert set(data["files"]) == {
            "educandos.csv",
            "inscripciones.csv",
            "datapackage.json",
            "LEEME.txt",
        }
        # The twelve learners of Plaza norte are published, the one of Plaza sur is not.
        assert job.rows == 12 and len(data["learners"]) == 12
        assert {(r["region"], r["tipo_de_sede"]) for r in data["learners"]} == {("sur", "plaza")}
        enrollments = data["enrollments"]
        assert len(enrollments) == 12
        assert {r["curso"] for r in enrollments} == {world["course"].slug}
        assert {r["periodo_inscripcion"] for r in enrollments} == {"2026-03-02"}
        done = [r for r in enrollments if r["periodo_conclusion"]]
        assert len(done) == 5 and {r["avance"] for r in done} == {"100"}
        for row in done:
            assert date.fromisoformat(row["periodo_conclusion"]).weekday() == 0
        assert {r["constancia"] for r in enrollments} <= {"true", "false"}
        assert {r["lecciones_terminadas"] for r in enrollments} >= {"0", "1", "2"}
        assert {r["dado_de_baja"] for r in enrollments} == {"false"}
        # The data dictionary: a frictionless tabular data package whose schemas match
        # the files, every field typed and described in Spanish and English.
        package = data["package"]
        assert package["profile"] == "tabular-data-package"
        assert package["anonymisation"]["k"] == 5
        assert package["anonymisation"]["learners_removed"] == 1
        assert package["anonymisation"]["enrollments_removed_with_their_learner"] == 1
        resources = {r["name"]: r for r in package["resources"]}
        assert set(resources) == {"educandos", "inscripciones"}
        for resource in resources.values():
            assert resource["profile"] == "tabular-data-resource"
            assert resource["encoding"] == "utf-8" and resource["format"] == "csv"
            header = data["files"][resource["path"]].decode().splitlines()[0].split(",")
            fields = resource["schema"]["fields"]
            assert [f["name"] for f in fields] == header
            for spec in fields:
                assert spec["type"] in {"string", "integer", "number", "boolean", "date"}
                assert spec["description"] and spec["description_en"]
            assert set(resource["quasiIdentifiers"]) <= set(header) | set(LEARNER_QIS)
        assert resources["educandos"]["schema"]["primaryKey"] == ["seudonimo"]
        assert resources["inscripciones"]["schema"]["foreignKeys"] == [
            {
                "fields": ["seudonimo"],
                "reference": {"resource": "educandos", "fields": ["seudonimo"]},
            }
        ]
        by_name = {f["name"]: f for f in resources["inscripciones"]["schema"]["fields"]}
        assert by_name["avance"]["constraints"] == {"minimum": 0, "maximum": 100}
        assert by_name["periodo_inscripcion"]["granularity"] == "semana"
        assert "lunes de la semana ISO" in by_name["periodo_inscripcion"]["description"]
        readme = data["files"]["LEEME.txt"].decode()
        assert "k = 5" in readme
        assert "Educandos: 1 de 13 (y sus 1 inscripciones)" in readme
        assert "periodo_inscripcion: semana ISO (lunes)" in readme
        assert_k_anonymous(data, 5)

    def test_no_direct_identifier_appears_in_any_file(
        self, client, world, django_capture_on_commit_callbacks
    ):
        client.force_login(world["admin"])
        _job, data = export(client, capture=django_capture_on_commit_callbacks)
        assert len(data["learners"]) == 12  # they are in the files, but not who they are
        secrets = [world["norte"].name, world["sur"].name, world["grupo"].name, "Houston"]
        for learner in [*world["learners"], world["alone"]]:
            secrets += [
                learner.username,
                learner.display_name,
                learner.first_name,
                learner.last_name,
                learner.email,
                learner.email.split("@")[0],
                learner.phone,
                learner.phone.replace(" ", ""),
                "555 01",
                learner.curp,
            ]
        secrets = [s for s in secrets if s]
        for name, body in data["files"].items():
            text = body.decode("utf-8").lower()
            for secret in secrets:
                assert secret.lower() not in text, f"{secret!r} in {name}"
        ids = {str(learner.pk) for learner in [*world["learners"], world["alone"]]}
        for row in data["learners"] + data["enrollments"]:
            assert row["seudonimo"] not in ids
            assert len(row["seudonimo"]) == 16 and int(row["seudonimo"], 16) >= 0
        # Not a plain hash of the id either (anyone could rebuild that).
        import hashlib

        plain = {hashlib.sha256(i.encode()).hexdigest()[:16] for i in ids}
        assert not plain & {row["seudonimo"] for row in data["learners"]}

    def test_pseudonyms_join_the_files_but_never_two_exports(
        self, client, world, django_capture_on_commit_callbacks
    ):
        client.force_login(world["admin"])
        _first_job, first = export(client, capture=django_capture_on_commit_callbacks)
        _second_job, second = export(client, capture=django_capture_on_commit_callbacks)
        for data in (first, second):
            learners = [row["seudonimo"] for row in data["learners"]]
            assert len(set(learners)) == len(learners) == 12
            assert {row["seudonimo"] for row in data["enrollments"]} == set(learners)
        one = {row["seudonimo"] for row in first["learners"]}
        other = {row["seudonimo"] for row in second["learners"]}
        assert not one & other
        # Nothing in the database remembers the key or the pseudonyms.
        jobs = list(ExportJob.objects.values_list("filters", "error"))
        assert all(str(p) not in json.dumps(jobs) for p in one | other)

    def test_a_learner_alone_in_a_group_is_removed_everywhere(self, world):
        plan = research.build_plan(k=5)
        published = {row[0] for row in plan.learner_rows}
        assert len(published) == 12
        assert {row[0] for row in plan.enrollment_rows} == published
        assert plan.learners_removed == 1 and plan.enrollments_of_removed_learners == 1

    def test_listed_with_the_other_files(self, client, world, django_capture_on_commit_callbacks):
        client.force_login(world["admin"])
        job, _data = export(client, k=7, capture=django_capture_on_commit_callbacks)
        html = client.get(JOBS).content.decode()
        assert "Datos desidentificados para investigación" in html
        assert "todo el programa, k = 7" in html
        assert f"{JOBS}{job.uuid}/" in html


class TestAnonymisation:
    def test_week_starts_and_regions(self):
        assert research.week_start(date(2026, 3, 4)) == date(2026, 3, 2)
        assert research.week_start(date(2026, 3, 2)) == date(2026, 3, 2)
        assert research.region_of("Nueva York") == "noreste"
        assert research.region_of("  carolina del NORTE ") == "sur"
        assert research.region_of("Nuevo México") == "oeste"
        assert research.region_of("Jalisco") == "otra"
        assert research.region_of(None) == "sin_sede"

    def test_dates_are_generalised_before_rows_are_removed(self):
        """Learners spread over many weeks: week by week every group is small, so the
        export coarsens the periods (the same way for every row) instead of dropping
        almost everyone."""
        learners = [research._Learner(f"{i:016x}", "sur", "plaza") for i in range(40)]
        # 16 weeks from Monday 2026-01-05, two or three learners a week.
        enrollments = [
            research._Enrollment(
                learner=i,
                course="curso-a",
                module="",
                enrolled=date(2026, 1, 5) + timedelta(days=7 * (i % 16)),
                completed=None,
                withdrawn=False,
                percent=0,
                done=0,
                required=13,
                minutes=0,
                first_score=None,
                attempts=0,
                certificate=False,
            )
            for i in range(40)
        ]
        plan = research.anonymise(learners, enrollments, k=5)
        assert plan.level_names()["periodo_inscripcion"] == "mes"
        assert plan.enrollments_removed == 0 and len(plan.enrollment_rows) == 40
        assert {row[3] for row in plan.enrollment_rows} == {
            date(2026, month, 1) for month in (1, 2, 3, 4)
        }

    def test_the_number_of_queries_does_not_grow_with_the_learners(
        self, world, make_learner, course
    ):
        with CaptureQueriesContext(connection) as few:
            research.build_plan(k=5)
        for number in range(10):
            make_learner(f"otra-{number}", world["grupo"], course, lessons_done=1)
        with CaptureQueriesContext(connection) as many:
            plan = research.build_plan(k=5)
        assert len(plan.learner_rows) == 22
        assert len(many.captured_queries) == len(few.captured_queries) <= 4


# --- The benchmark data set's generator (PostgreSQL) ----------------------------------------


@pytest.fixture
def generator():
    """bench/generate.py as a module. Importing it points its process at the benchmark
    database (environment variables): they are put back at once, the test database is
    the one already connected."""
    environment, path = dict(os.environ), list(sys.path)
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        module = importlib.import_module("generate")
    finally:
        os.environ.clear()
        os.environ.update(environment)
        sys.path[:] = path
    return module


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the benchmark generator loads with COPY: this runs in the PostgreSQL pass",
)
def test_k_anonymity_on_the_benchmark_data_set(
    db, client, generator, monkeypatch, django_capture_on_commit_callbacks
):
    """The coordinators' benchmark data set, made by bench/generate.py's own functions at
    ``--scale 0.02`` (200 learners over its 20 sedes, 1–15 courses each, six months of
    learning) into the test database, with 15 of its 40 courses (a learner takes at most
    15, so the number of courses per learner is distributed as in the full set) to keep
    the test short. Then: k-anonymity on every combination of quasi-identifiers, most
    learners published, and none of the generator's names, usernames, emails or phones
    anywhere."""
    monkeypatch.setattr(generator, "COURSES", generator.COURSES[:15])
    generator.create_courses()
    courses = generator.load_courses()
    assert courses is not None and len(courses) == 15
    rng = random.Random(5)
    now = timezone.now().replace(microsecond=0)
    people = generator.make_people(rng, learners=200, now=now)
    totals = generator.learn(rng, people, courses, now, connection)
    assert totals.enrollments > 1000 and totals.completed > 0 and totals.certificates > 0
    admin = generator.dataset_users().get(username="admin-bench")
    client.force_login(admin)
    started = time.perf_counter()
    job, data = export(client, capture=django_capture_on_commit_callbacks)
    elapsed = time.perf_counter() - started
    print(f"research export of 200 benchmark learners: {elapsed:.2f} s")
    anonymisation = data["package"]["anonymisation"]
    assert anonymisation["learners_total"] == 200
    assert anonymisation["enrollments_total"] == totals.enrollments
    assert assert_k_anonymous(data, 5) == 3 + 7 + 31
    # Generalisation kept most of the data: removals within the budget.
    assert len(data["learners"]) >= 0.95 * 200
    assert len(data["enrollments"]) >= 0.9 * totals.enrollments
    # No identifier of the generator's people anywhere.
    users = generator.dataset_users().values_list(
        "username", "display_name", "email", "phone", "pk"
    )
    blob = b"\n".join(data["files"].values()).decode().lower()
    pseudonyms = {row["seudonimo"] for row in data["learners"]}
    for username, name, email, phone, pk in users:
        assert username.lower() not in blob
        assert not name or name.lower() not in blob
        assert not email or email.lower() not in blob
        assert not phone or phone not in blob
        assert str(pk) not in pseudonyms
    for _key, sede_name, *_rest in generator.SEDES:
        assert sede_name.lower() not in blob
    assert job.rows == len(data["learners"])


# --- A real worker on Redis and S3 (PostgreSQL pass), as the other exports ------------------


@pytest.fixture
def committed_admin(committed):
    """A committed program administrator and ten committed learners in one sede."""
    from django.contrib.auth import get_user_model

    from courses import api as courses_api
    from lms.accounts import api as accounts_api

    users = get_user_model().objects
    stamp = time.monotonic_ns()
    sede = Sede.objects.create(
        key=f"investiga-{stamp}", name="Plaza de la investigación", state="Illinois"
    )
    committed.append(sede)
    admin = users.create_user(username=f"jefa-{stamp}")
    admin.groups.add(accounts_api.ensure_roles()[roles.ADMINISTRADOR])
    committed.append(admin)
    grupo = Grupo.objects.create(sede=sede, name="Grupo de investigación")
    course = courses_api.CoursePage.objects.get(slug="nuestros-documentos")
    for index in range(10):
        learner = users.create_user(username=f"sujeto-{stamp}-{index}", display_name="Nadia Ruiz")
        learner.groups.add(accounts_api.ensure_roles()[roles.EDUCANDO])
        committed.append(learner)
        enrollment_api.add_to_grupo(grupo=grupo, user=learner)
        enrollment_api.enroll(user=learner, course=course)
    yield admin


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)
def test_built_by_a_real_worker_and_served_from_s3(broker, committed_admin):
    from tests.services import Worker, wait_for

    worker = Worker(
        database_name=connection.settings_dict["NAME"], env=broker.env(), concurrency=1
    ).start()
    client = Client()
    client.force_login(committed_admin)
    try:
        response = client.post(URL, {"k": "5", "acuerdo": "on"})
        assert response.status_code == 302
        job = ExportJob.objects.get(requested_by=committed_admin)
        try:
            job = wait_for(
                lambda: ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).first(),
                60,
                "the research export to be built",
            )
        except AssertionError:
            print(worker.log.read_text()[-4000:])
            raise
    finally:
        worker.stop()
    assert "reports.build_export" in worker.log.read_text()
    response = client.get(f"{JOBS}{job.uuid}/")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(broker.endpoint) and "X-Amz-Signature=" in location
    with urllib.request.urlopen(location) as download:  # noqa: S310 (local test server)
        data = read_zip(download.read())
    assert job.rows == len(data["learners"]) >= 10
    assert "nadia" not in b"".join(data["files"].values()).decode().lower()
    assert_k_anonymous(data, 5)
    broker.client().delete_object(Bucket="aula-media", Key=job.file.name)
