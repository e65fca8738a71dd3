"""Building the quarterly reports (the Celery task, eager here): real figures from a small
world, files stored privately, idempotence, failures that leave no half report, the
reports the beat asks for at the end of each quarter."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.test import Client
from pypdf import PdfReader

from lms.accounts import roles
from lms.enrollment.models import Enrollment, Sede
from lms.evaluation import report, report_jobs, tasks
from lms.evaluation.models import EvaluationReport, ReportStatus, quarter_bounds
from tests.factories.pages import add_course
from tests.helpers import make_learner

JULY = datetime(2026, 7, 10, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """A media folder of the test's own, so what is left in it is what the test left."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def world(sedes, catalog):
    """Plaza norte: twelve learners enrolled on 10 July 2026, ten of whom completed the
    course 10, 20, … 100 days later (median 55, quartiles 32.5 and 77.5); three more in
    a second grupo. Plaza sur: two learners (too few for any figure)."""
    norte, _coordinator, grupo = sedes["norte"]
    sur, _sur_coordinator, sur_grupo = sedes["sur"]
    course = add_course(catalog=catalog, slug="informe-curso", title="Curso del informe")
    for n in range(12):
        learner = make_learner(f"norte-{n}", grupo)
        completed = JULY + timedelta(days=10 * (n + 1)) if n < 10 else None
        Enrollment.objects.create(
            user=learner, course=course, enrolled_at=JULY, completed_at=completed
        )
    for n in range(2):
        learner = make_learner(f"sur-{n}", sur_grupo)
        Enrollment.objects.create(user=learner, course=course, enrolled_at=JULY)
    return {"norte": norte, "sur": sur, "course": course}


def ask(sede, language="es", year=2026, quarter=3) -> EvaluationReport:
    made, queue = report_jobs.request_report(
        sede=sede, year=year, quarter=quarter, language=language
    )
    assert queue
    return made


def pdf_text(made: EvaluationReport) -> str:
    with made.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def csv_rows(made: EvaluationReport) -> list[list[str]]:
    with made.csv.open("rb") as handle:
        return list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))


def test_quarters_have_their_first_and_last_day():
    assert quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))
    assert quarter_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_bounds(2026, 2) == (date(2026, 4, 1), date(2026, 6, 30))
    assert quarter_bounds(2026, 3) == (date(2026, 7, 1), date(2026, 9, 30))
    assert quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert report_jobs.previous_quarter(date(2026, 10, 1)) == (2026, 3)
    assert report_jobs.previous_quarter(date(2026, 2, 15)) == (2025, 4)


def test_the_task_builds_a_sede_report_from_the_real_figures(world):
    made = ask(world["norte"])
    assert made.status == ReportStatus.PENDING
    assert tasks.build_report.delay(made.pk).get() is True
    made.refresh_from_db()
    assert made.status == ReportStatus.DONE
    assert made.error == "" and made.finished_at and made.seconds > 0
    assert made.pdf.name.startswith(f"evaluacion/{made.uuid}-")
    assert made.pdf.name.endswith(".pdf")
    assert made.csv.name.startswith(f"evaluacion/{made.uuid}-")
    text = pdf_text(made)
    assert "Plaza norte" in text
    assert "Tercer trimestre de 2026 (del 1 de julio al 30 de septiembre de 2026)" in text
    # Ten completions: 10…100 days.
    assert "Plaza norte 10 55.0 32.5 77.5" in text
    # Twelve learners in the funnel, none with a module (the course has none).
    assert "Educandos 12 100.0" in text
    rows = csv_rows(made)
    assert ["Tiempo hasta concluir un curso", "Plaza norte", "mediana (días)", "55.0", "10"] in rows
    assert ["Camino a la certificación", "Plaza norte", "Educandos", "12", "12"] in rows
    # Nobody took an entry check: the gains are too few.
    assert ["Aprendizaje en total", "Plaza norte", "muy pocos datos", "muy pocos datos", ""] in rows


def test_a_small_sede_shows_muy_pocos_datos(world):
    made = ask(world["sur"])
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    text = pdf_text(made)
    assert "Plaza sur" in text
    assert "Plaza sur: muy pocos datos" in text  # the funnel: two learners
    assert "Plaza sur muy pocos datos" in text  # time to completion
    assert "Julio de 2026 muy pocos datos" in text  # the cohort
    for hint in ("Plaza sur 2", "n = 2", "Julio de 2026 2", "/ 2"):
        assert hint not in text


def test_the_program_report_covers_every_sede(world):
    made = ask(None)
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    text = pdf_text(made)
    assert "Todo el programa" in text
    assert "Educandos 14 100.0" in text
    assert made.file_stem() == "aula-evaluacion-2026-T3-programa-es"


def test_the_english_report_is_built_in_english(world):
    made = ask(world["norte"], language="en")
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    assert "July 1 " in pdf_text(made)
    assert made.file_stem() == "aula-evaluacion-2026-T3-norte-en"


def test_files_are_private(world, client, settings):
    """Nothing under evaluacion/ is served as media, to anyone."""
    made = ask(world["norte"])
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    assert default_storage.exists(made.pdf.name)
    admin = Client()
    from tests.helpers import make_user

    admin.force_login(make_user("jefa", roles.ADMINISTRADOR, is_superuser=True, is_staff=True))
    for who in (client, admin):
        for name in (made.pdf.name, made.csv.name):
            assert who.get(settings.MEDIA_URL + name).status_code == 404


def test_building_twice_changes_nothing(world):
    made = ask(world["norte"])
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    names = (made.pdf.name, made.csv.name)
    assert report_jobs.build_report(report_id=made.pk) is None
    assert report_jobs.build_report(report_id=987654) is None
    made.refresh_from_db()
    assert (made.pdf.name, made.csv.name) == names
    assert sorted(default_storage.listdir("evaluacion")[1]) == sorted(
        name.split("/")[1] for name in names
    )


def test_asking_again_rebuilds_and_replaces_the_files(world):
    made = ask(world["norte"])
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    old = (made.pdf.name, made.csv.name)
    # Pending: asking again queues nothing more.
    again, queue = report_jobs.request_report(
        sede=world["norte"], year=2026, quarter=3, language="es"
    )
    assert (again.pk, again.status) == (made.pk, ReportStatus.PENDING) and queue
    assert (
        report_jobs.request_report(sede=world["norte"], year=2026, quarter=3, language="es")[1]
        is False
    )
    import time

    time.sleep(1.1)  # a new second: new names
    tasks.build_report.delay(made.pk)
    made.refresh_from_db()
    assert made.status == ReportStatus.DONE
    assert (made.pdf.name, made.csv.name) != old
    assert not any(default_storage.exists(name) for name in old)
    assert EvaluationReport.objects.count() == 1


def test_a_failed_build_is_marked_and_leaves_no_file(world, monkeypatch):
    made = ask(world["norte"])

    def broken(figures, out):
        out.write(b"%PDF-1.4 half")
        raise ValueError("boom")

    monkeypatch.setattr(report, "write_pdf", broken)
    tasks.queue_report(made.pk)  # eager: the failure is recorded, not raised
    made.refresh_from_db()
    assert made.status == ReportStatus.FAILED
    assert made.error.startswith("No se pudo preparar el informe. Pídalo de nuevo")
    assert not made.pdf and not made.csv
    assert not default_storage.exists("evaluacion") or default_storage.listdir("evaluacion") == (
        [],
        [],
    )
    # Asking again after a failure queues it again.
    again, queue = report_jobs.request_report(
        sede=world["norte"], year=2026, quarter=3, language="es"
    )
    assert queue and again.status == ReportStatus.PENDING and again.error == ""


def test_a_storage_failure_on_the_annex_deletes_the_pdf(world, monkeypatch):
    made = ask(world["norte"])
    real_save = FileSystemStorage.save

    def save(storage, name, content, max_length=None):
        if name.endswith(".csv"):
            raise OSError("disco lleno")
        return real_save(storage, name, content, max_length=max_length)

    monkeypatch.setattr(FileSystemStorage, "save", save)
    with pytest.raises(OSError):
        report_jobs.build_report(report_id=made.pk)
    made.refresh_from_db()
    assert made.status == ReportStatus.PENDING  # the task retries it
    assert not made.pdf
    assert default_storage.listdir("evaluacion") == ([], [])
    # After the retries, the task marks it failed with the storage message.
    monkeypatch.setattr(tasks.build_report, "max_retries", 0)
    tasks.queue_report(made.pk)
    made.refresh_from_db()
    assert made.status == ReportStatus.FAILED
    assert "el almacenamiento no respondió" in made.error
    assert default_storage.listdir("evaluacion") == ([], [])


def test_a_ready_report_is_never_marked_failed(world):
    made = ask(world["norte"])
    tasks.build_report.delay(made.pk)
    report_jobs.fail_report(report_id=made.pk)
    made.refresh_from_db()
    assert made.status == ReportStatus.DONE and made.error == ""


def test_the_beat_asks_for_the_quarter_just_ended(world, django_capture_on_commit_callbacks):
    Sede.objects.create(key="cerrada", name="Sede cerrada", kind="plaza", active=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = report_jobs.request_quarter_reports(today=date(2026, 10, 1))
    assert len(queued) == len(callbacks) == 3  # the program, norte and sur; not the closed one
    reports = EvaluationReport.objects.all()  # the program's first, then by sede
    assert [(r.sede.name if r.sede else None, r.year, r.quarter, r.language) for r in reports] == [
        (None, 2026, 3, "es"),
        ("Plaza norte", 2026, 3, "es"),
        ("Plaza sur", 2026, 3, "es"),
    ]
    assert {r.status for r in reports} == {ReportStatus.DONE}
    # Twice (beat restarted, or run by hand): nothing new, nothing rebuilt.
    names = set(reports.values_list("pdf", flat=True))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert report_jobs.request_quarter_reports(today=date(2026, 10, 2)) == []
    assert callbacks == []
    assert set(reports.values_list("pdf", flat=True)) == names


def test_the_beat_schedule_runs_the_reports_task_each_quarter(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["informes-de-evaluacion"]
    assert entry["task"] == tasks.quarterly_reports.name == "evaluation.quarterly_reports"
    schedule = entry["schedule"]
    assert schedule.month_of_year == {1, 4, 7, 10} and schedule.day_of_month == {1}


def test_a_quarter_constraint_and_one_report_per_scope(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationReport.objects.create(sede=None, year=2026, quarter=5)
    EvaluationReport.objects.create(sede=None, year=2026, quarter=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationReport.objects.create(sede=None, year=2026, quarter=3)
    EvaluationReport.objects.create(sede=world["norte"], year=2026, quarter=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluationReport.objects.create(sede=world["norte"], year=2026, quarter=3)
    EvaluationReport.objects.create(sede=world["norte"], year=2026, quarter=3, language="en")


def test_the_management_command_builds_reports_now(world):
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command(
        "evaluation_report",
        "--year",
        "2026",
        "--quarter",
        "3",
        "--sede",
        "norte",
        "--programa",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "aula-evaluacion-2026-T3-programa-es",
        "aula-evaluacion-2026-T3-norte-es",
    ]
    assert all(" Listo en " in line for line in lines)
    assert set(EvaluationReport.objects.values_list("status", flat=True)) == {ReportStatus.DONE}
    with pytest.raises(CommandError, match="ninguna sede"):
        call_command("evaluation_report", "--sede", "nadie")
    with pytest.raises(CommandError, match="juntos"):
        call_command("evaluation_report", "--year", "2026")
