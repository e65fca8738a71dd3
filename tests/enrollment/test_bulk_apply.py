"""Applying a bulk upload: all or nothing, idempotent, codes on a printable sheet that
really work, welcome emails with a link that really sets a password; and the clean-up."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from courses.models import CatalogPage, CoursePage
from lms.accounts import api as accounts_api
from lms.accounts.models import ResetCode
from lms.enrollment import api as enrollment_api
from lms.enrollment import bulk, tasks
from lms.enrollment.bulk import applying
from lms.enrollment.models import BulkImport, Enrollment, Grupo, Membership, Sede
from lms.enrollment.tasks import cleanup_task
from tests.conftest import in_threads
from tests.factories.pages import add_course

from .conftest import CURPS, csv_bytes

BASE_URL = "https://aula.example.org"
NEW_PASSWORD = "luna-verde-en-casa"
CODE_RE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b")


def _course(slug):
    return CoursePage.objects.get(slug=slug)


def _import(grupo, by, rows, headers=None):
    content = csv_bytes(rows, **({"headers": headers} if headers else {}))
    return bulk.create_import(grupo=grupo, uploaded_by=by, filename="lista.csv", content=content)


def _apply(bulk_import, by):
    return bulk.apply_import(
        bulk_import=bulk_import,
        by=by,
        base_url=BASE_URL,
        queue_welcome_email=tasks.send_welcome_email_task.delay,
    )


def _footprint() -> dict[str, int]:
    """How much of what applying writes exists now."""
    return {
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "codes": ResetCode.objects.count(),
    }


def _pdf_text(bulk_import) -> str:
    with bulk_import.code_sheet.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


ROWS = [
    ["maria.lopez", "María López", "maria@example.org", "213 555 0101", CURPS[0], "B3MFP"],
    ["jose", "José Ñúñez", "", "", "", "fracciones-y-porcentajes; salud-y-prevencion"],
    ["2135550199", "", "", "", "", ""],
]


class TestApply:
    def test_creates_accounts_memberships_enrollments_codes_and_emails(
        self, norte, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        with django_capture_on_commit_callbacks(execute=True):
            applied = _apply(bulk_import, coordinator)
        assert not applied.already
        users = get_user_model().objects
        maria, jose, phone = (users.get(username=u) for u in ("maria.lopez", "jose", "2135550199"))
        assert (maria.display_name, maria.email, maria.phone, maria.curp) == (
            "María López",
            "maria@example.org",
            "213 555 0101",
            CURPS[0],
        )
        for learner in (maria, jose, phone):
            assert not learner.has_usable_password()
            assert accounts_api.user_has_role(learner, accounts_api.roles.EDUCANDO)
            assert Membership.objects.filter(user=learner, grupo=grupo).exists()
        enrollments = Enrollment.objects.filter(user__in=[maria, jose, phone])
        assert sorted((e.user.username, e.course.slug) for e in enrollments) == [
            ("jose", "fracciones-y-porcentajes"),
            ("jose", "salud-y-prevencion"),
            ("maria.lopez", "fracciones-y-porcentajes"),
        ]
        assert {e.enrolled_by for e in enrollments} == {coordinator}
        # Codes only for those without email; a welcome email for the one with email.
        assert not maria.reset_codes.exists()
        assert jose.reset_codes.get().created_by == coordinator
        assert phone.reset_codes.count() == 1
        assert [m.to for m in mail.outbox] == [["maria@example.org"]]

        bulk_import.refresh_from_db()
        assert bulk_import.rows == []
        assert bulk_import.applied_at is not None
        assert bulk_import.code_sheet.name.startswith("codigos/")
        assert bulk_import.summary["new_accounts"] == 3
        assert bulk_import.summary["new_enrollments"] == 3
        assert bulk_import.summary["codes"] == 2 and bulk_import.summary["emails"] == 1

    def test_existing_learners_join_and_enroll_but_keep_their_profile(self, norte, make_learner):
        sede, coordinator, grupo = norte
        other = Grupo.objects.create(sede=sede, name="Grupo 2")
        learner = make_learner(
            "ya-tiene", other, _course("fracciones-y-porcentajes"), display_name="Ya Tiene"
        )
        bulk_import = _import(
            grupo,
            coordinator,
            [["YA-TIENE", "Otro Nombre", "otro@example.org", "", "", "B3MFP; B2CVM"]],
        )
        before = ResetCode.objects.count()
        _apply(bulk_import, coordinator)
        learner.refresh_from_db()
        assert (learner.display_name, learner.email) == ("Ya Tiene", "")
        assert learner.has_usable_password()
        assert set(learner.grupos.all()) == {other, grupo}
        assert enrollment_api.enrolled_course_ids(
            user_id=learner.pk, course_ids=[c.pk for c in CoursePage.objects.all()]
        ) == {_course("fracciones-y-porcentajes").pk, _course("salud-y-prevencion").pk}
        assert ResetCode.objects.count() == before
        assert not bulk_import.code_sheet

    def test_the_code_sheet_has_every_learner_and_codes_that_work(self, norte, client):
        _sede, coordinator, grupo = norte
        rows = [[f"persona{i}", f"Persona Número {i}"] for i in range(10)]
        bulk_import = _import(grupo, coordinator, rows, headers=["usuario", "nombre"])
        _apply(bulk_import, coordinator)
        bulk_import.refresh_from_db()
        with bulk_import.code_sheet.open("rb") as handle:
            data = handle.read()
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 2  # eight cards a page
        # Every font embedded: not even reportlab's starting Helvetica is referenced.
        assert b"Helvetica" not in data
        fonts = reader.pages[0]["/Resources"]["/Font"]
        assert fonts and all(
            "/FontFile2" in font.get_object()["/FontDescriptor"] for font in fonts.values()
        )
        assert [float(v) for v in reader.pages[0].mediabox[2:]] == [612.0, 792.0]  # letter
        text = _pdf_text(bulk_import)
        assert "aula.example.org/cuenta/codigo/" in text
        expires = (timezone.localtime() + timedelta(days=7)).strftime("%d/%m/%Y")
        assert f"Vence el {expires}" in text
        cards = text.split("Aula · Su acceso")[1:]
        assert len(cards) == 10
        for i, card in enumerate(cards):
            assert f"Persona Número {i}" in card and f"persona{i}" in card
        # Every code on the sheet sets that learner's password, once.
        for i in (0, 9):
            code = CODE_RE.search(cards[i]).group(1)
            user = accounts_api.redeem_reset_code(
                username=f"persona{i}", code=code, new_password=NEW_PASSWORD
            )
            assert user.check_password(NEW_PASSWORD)
        # The page a learner goes to is the one printed on the card.
        assert client.get("/cuenta/codigo/").status_code == 200

    def test_the_welcome_email_link_lets_the_learner_choose_a_password(
        self, norte, client, django_capture_on_commit_callbacks
    ):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, [ROWS[0]])
        with django_capture_on_commit_callbacks(execute=True):
            _apply(bulk_import, coordinator)
        (message,) = mail.outbox
        assert message.subject == "Su cuenta de Aula está lista"
        assert "Hola, María López:" in message.body
        assert "La coordinación de Plaza norte le creó una cuenta en Aula" in message.body
        assert "Su nombre de usuario es: maria.lopez" in message.body
        assert "- Fracciones y porcentajes" in message.body
        link = re.search(r"https://aula\.example\.org(/cuenta/recuperar/\S+/)", message.body)
        response = client.get(link.group(1))
        assert response.status_code == 302  # Django hides the token in the session
        form_url = response["Location"]
        response = client.post(
            form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
        assert response.status_code == 302
        assert get_user_model().objects.get(username="maria.lopez").check_password(NEW_PASSWORD)

    def test_no_welcome_email_once_the_learner_has_a_password(self, make_learner):
        learner = make_learner("con-clave", email="c@example.org")
        assert not bulk.send_welcome_email(
            user_id=learner.pk, base_url=BASE_URL, sede_name="Plaza norte"
        )
        assert mail.outbox == []


class TestAllOrNothing:
    def test_a_course_filled_since_the_preview(self, norte, make_learner):
        _sede, coordinator, grupo = norte
        course = _course("fracciones-y-porcentajes")
        CoursePage.objects.filter(pk=course.pk).update(capacity=3)
        rows = [["uno", "B3MFP"], ["dos", ""], ["tres", "B3MFP"], ["cuatro", "B3MFP"]]
        bulk_import = _import(grupo, coordinator, rows, headers=["usuario", "cursos"])
        assert not bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=coordinator).has_errors
        make_learner("se-adelanto", grupo, course)  # meanwhile, someone takes a seat
        before = _footprint()
        with pytest.raises(bulk.ApplyFailed) as caught:
            _apply(bulk_import, coordinator)
        assert [row.number for row in caught.value.check.error_rows] == [5]
        assert _footprint() == before
        bulk_import.refresh_from_db()
        assert bulk_import.applied_at is None and len(bulk_import.rows) == 4

    def test_a_failure_while_writing_the_last_row_undoes_the_others(
        self, norte, make_learner, monkeypatch, django_capture_on_commit_callbacks
    ):
        """The preview said yes; by the time the last row is written its course is full
        (as when two coordinators apply at once). Everything written before is undone."""
        _sede, coordinator, grupo = norte
        course = _course("salud-y-prevencion")
        CoursePage.objects.filter(pk=course.pk).update(capacity=3)
        rows = [
            ["con-correo", "A", "a@example.org", "", "", "B2CVM"],
            ["sin-correo", "B", "", "", "", "B2CVM"],
            ["ultima", "C", "", "", "", "B2CVM"],
        ]
        bulk_import = _import(grupo, coordinator, rows)
        stale = bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=coordinator)
        make_learner("se-adelanto", grupo, course)
        real = bulk.validate_rows
        calls = []

        def validate_as_at_preview(**kwargs):
            calls.append(1)
            return stale if len(calls) == 1 else real(**kwargs)

        monkeypatch.setattr(applying, "validate_rows", validate_as_at_preview)
        files_before = (
            default_storage.listdir("codigos")[1] if default_storage.exists("codigos") else []
        )
        before = _footprint()
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(bulk.ApplyFailed) as caught,
        ):
            _apply(bulk_import, coordinator)
        (failed,) = caught.value.check.error_rows
        assert failed.number == 4
        assert "Curso «Salud y prevención»: El curso ya no tiene lugares disponibles." in (
            failed.errors
        )
        assert _footprint() == before
        assert not get_user_model().objects.filter(username__in=["con-correo", "sin-correo"])
        assert mail.outbox == []
        files_after = (
            default_storage.listdir("codigos")[1] if default_storage.exists("codigos") else []
        )
        assert files_after == files_before
        bulk_import.refresh_from_db()
        assert bulk_import.applied_at is None

    def test_a_username_taken_at_the_last_moment(self, norte, make_user, monkeypatch):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, [["primera"], ["tomada"]], ["usuario"])
        stale = bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=coordinator)
        make_user("TOMADA")
        real = bulk.validate_rows
        calls = []
        monkeypatch.setattr(
            applying,
            "validate_rows",
            lambda **kw: (calls.append(1), stale if len(calls) == 1 else real(**kw))[1],
        )
        before = _footprint()
        with pytest.raises(bulk.ApplyFailed) as caught:
            _apply(bulk_import, coordinator)
        (failed,) = caught.value.check.error_rows
        assert failed.number == 3
        assert _footprint() == before


class TestIdempotent:
    def test_the_same_file_again_creates_nothing(self, norte, django_capture_on_commit_callbacks):
        _sede, coordinator, grupo = norte
        first = _import(grupo, coordinator, ROWS)
        with django_capture_on_commit_callbacks(execute=True):
            _apply(first, coordinator)
        mail.outbox.clear()
        before = _footprint()

        again = _import(grupo, coordinator, ROWS)
        check = bulk.validate_rows(rows=again.rows, grupo=grupo, by=coordinator)
        assert [row.status for row in check.rows] == ["unchanged"] * 3
        assert not check.has_changes
        assert bulk.earlier_application(again) == first
        with django_capture_on_commit_callbacks(execute=True):
            _apply(again, coordinator)
        assert _footprint() == before
        assert mail.outbox == []
        again.refresh_from_db()
        assert not again.code_sheet
        assert again.summary["new_accounts"] == 0 and again.summary["unchanged"] == 3

    def test_applying_an_applied_import_does_nothing(self, norte):
        _sede, coordinator, grupo = norte
        bulk_import = _import(grupo, coordinator, ROWS)
        _apply(bulk_import, coordinator)
        before = _footprint()
        assert _apply(bulk_import, coordinator).already
        assert _footprint() == before


class TestCleanup:
    def test_old_unapplied_uploads_and_expired_code_sheets_go(self, norte):
        _sede, coordinator, grupo = norte
        now = timezone.now()
        old = _import(grupo, coordinator, [["vieja"]], ["usuario"])
        recent = _import(grupo, coordinator, [["reciente"]], ["usuario"])
        BulkImport.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=1, minutes=1))
        expired = _import(grupo, coordinator, [["ana1"]], ["usuario"])
        current = _import(grupo, coordinator, [["ana2"]], ["usuario"])
        _apply(expired, coordinator)
        _apply(current, coordinator)
        expired.refresh_from_db()
        current.refresh_from_db()
        sheet = expired.code_sheet.name
        assert default_storage.exists(sheet)
        # Applied (and its codes issued) more than AULA_RESET_CODE_DAYS ago.
        BulkImport.objects.filter(pk=expired.pk).update(
            applied_at=now - timedelta(days=accounts_api.reset_code_days(), minutes=1),
            created_at=now - timedelta(days=30),
        )

        assert cleanup_task.delay().get() == {"unapplied_deleted": 1, "code_sheets_deleted": 1}
        remaining = set(BulkImport.objects.values_list("pk", flat=True))
        assert old.pk not in remaining and {recent.pk, expired.pk, current.pk} <= remaining
        expired.refresh_from_db()
        current.refresh_from_db()
        assert not expired.code_sheet and not default_storage.exists(sheet)
        assert current.code_sheet and default_storage.exists(current.code_sheet.name)
        assert expired.summary["codes"] == 1  # the counts stay


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks need PostgreSQL; SQLite serialises writers anyway",
)
class TestConcurrency:
    """Two requests at once, each with its own database connection (data committed)."""

    @pytest.fixture
    def setting(self, committed):
        sede = Sede.objects.create(key="carrera", name="Plaza carrera", kind="plaza")
        committed.append(sede)
        coordinator = get_user_model().objects.create_user(username="coordina-carrera")
        committed.append(coordinator)
        coordinator.groups.add(accounts_api.ensure_roles()[accounts_api.roles.COORDINADOR])
        sede.coordinators.add(coordinator)
        grupo = Grupo.objects.create(sede=sede, name="Grupo 1")
        course = add_course(catalog=CatalogPage.objects.get(), slug="cupo-carrera", capacity=3)
        committed.append(course)
        yield coordinator, grupo, course
        get_user_model().objects.filter(username__startswith="carrera-").delete()

    def test_the_same_upload_applied_twice_at_once(self, setting):
        coordinator, grupo, _course = setting
        bulk_import = _import(grupo, coordinator, [["carrera-1"], ["carrera-2"]], ["usuario"])
        outcomes = []
        in_threads(lambda _: outcomes.append(_apply(bulk_import, coordinator).already), [1, 2])
        assert sorted(outcomes) == [False, True]
        assert get_user_model().objects.filter(username__startswith="carrera-").count() == 2
        assert ResetCode.objects.filter(user__username="carrera-1").count() == 1

    def test_two_uploads_racing_for_the_last_seats(self, setting):
        """Each fits at its preview; together they do not. One is applied whole, the other
        not at all."""
        coordinator, grupo, course = setting
        first = _import(grupo, coordinator, [["carrera-a1"], ["carrera-a2"]], ["usuario"])
        second = _import(grupo, coordinator, [["carrera-b1"], ["carrera-b2"]], ["usuario"])
        for bulk_import in (first, second):
            BulkImport.objects.filter(pk=bulk_import.pk).update(
                rows=[{**row, "courses": "cupo-carrera"} for row in bulk_import.rows]
            )
        outcomes = []

        def apply(bulk_import):
            try:
                _apply(bulk_import, coordinator)
                outcomes.append("ok")
            except bulk.ApplyFailed as failed:
                outcomes.append(failed.check.error_rows[0].errors[0])

        in_threads(apply, [first, second])
        assert sorted(outcomes, key=len) == [
            "ok",
            "Curso «Curso de prueba»: ya no hay lugares. Tiene cupo para 3 personas y no "
            "alcanza para todas las filas de este archivo.",
        ]
        assert Enrollment.objects.filter(course_id=course.pk).count() == 2
        created = get_user_model().objects.filter(username__startswith="carrera-")
        assert created.count() == 2
        assert len({user.username[:9] for user in created}) == 1  # both from one upload
