"""The reports' pages: the list in scope, the request form and its errors, the downloads
and who may have them."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lms.accounts import roles
from lms.evaluation.models import EvaluationReport, ReportStatus

LIST = "/coordinacion/evaluacion/informes/"
REQUEST = "/coordinacion/evaluacion/informes/pedir/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def ready(sede, *, year=2026, quarter=3, language="es") -> EvaluationReport:
    """A report marked ready, with stand-in files (the pages only hand them out)."""
    made = EvaluationReport.objects.create(sede=sede, year=year, quarter=quarter, language=language)
    made.pdf.save(f"{made.uuid}.pdf", ContentFile(b"%PDF-1.4 informe"), save=False)
    made.csv.save(f"{made.uuid}.csv", ContentFile("\ufeffsección\n".encode()), save=False)
    made.status = ReportStatus.DONE
    made.finished_at = timezone.now()
    made.save()
    return made


@pytest.fixture
def reports(sedes):
    return {
        "norte": ready(sedes["norte"][0]),
        "sur": ready(sedes["sur"][0]),
        "programa": ready(None),
        "norte-2": ready(sedes["norte"][0], quarter=2, language="en"),
    }


@pytest.fixture
def admin(make_user):
    return make_user("jefa", roles.ADMINISTRADOR)


def shown(response) -> list[str]:
    assert response.status_code == 200
    return [str(made.uuid) for made in response.context["reports"]]


class TestList:
    def test_a_coordinator_sees_their_sedes_reports_only(self, client, sedes, reports):
        client.force_login(sedes["norte"][1])
        response = client.get(LIST)
        assert shown(response) == [str(reports["norte"].uuid), str(reports["norte-2"].uuid)]
        body = response.content.decode()
        assert f"/coordinacion/evaluacion/informes/{reports['norte'].uuid}/pdf/" in body
        assert f"/coordinacion/evaluacion/informes/{reports['norte'].uuid}/csv/" in body
        assert str(reports["sur"].uuid) not in body
        assert "Todo el programa" not in body

    def test_a_program_administrator_sees_every_report(self, client, admin, reports):
        client.force_login(admin)
        response = client.get(LIST)
        assert set(shown(response)) == {str(made.uuid) for made in reports.values()}
        assert "Todo el programa" in response.content.decode()

    def test_the_list_reads_a_fixed_number_of_queries(
        self, client, admin, sedes, reports, django_assert_num_queries
    ):
        client.force_login(admin)
        client.get(LIST)
        for quarter in (1, 4):
            ready(sedes["sur"][0], year=2025, quarter=quarter)
        # Session, user, the second factor's device, permissions (user, groups), the scope
        # check, the reports with their sedes: as many for two reports as for six.
        with django_assert_num_queries(7):
            response = client.get(LIST)
        assert len(shown(response)) == 6

    def test_a_pending_or_failed_report_offers_nothing_to_download(self, client, sedes):
        EvaluationReport.objects.create(sede=sedes["norte"][0], year=2026, quarter=3)
        EvaluationReport.objects.create(
            sede=sedes["norte"][0],
            year=2026,
            quarter=2,
            status=ReportStatus.FAILED,
            error="No se pudo preparar el informe.",
        )
        client.force_login(sedes["norte"][1])
        body = client.get(LIST).content.decode()
        assert "Preparándose" in body and "Falló" in body
        assert "No se pudo preparar el informe." in body
        assert "/pdf/" not in body and "/csv/" not in body
        assert "Actualizar la lista" in body

    def test_anonymous_visitors_log_in(self, client):
        for url in (LIST, REQUEST):
            response = client.get(url)
            assert response.status_code == 302
            assert "/cuenta/entrar/" in response["Location"] or "login" in response["Location"]

    def test_learners_and_asesores_are_refused(self, client, educando, asesor, coordinador):
        for user in (educando, asesor, coordinador):  # a coordinator with no sede yet too
            client.force_login(user)
            assert client.get(LIST).status_code == 403
            assert client.get(REQUEST).status_code == 403


class TestDownload:
    def test_a_coordinator_downloads_their_report(self, client, sedes, reports):
        client.force_login(sedes["norte"][1])
        made = reports["norte"]
        response = client.get(f"{LIST}{made.uuid}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            'attachment; filename="aula-evaluacion-2026-T3-norte-es.pdf"'
        )
        assert b"".join(response.streaming_content) == b"%PDF-1.4 informe"
        response = client.get(f"{LIST}{made.uuid}/csv/")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")

    def test_another_sedes_or_the_programs_report_is_not_found(self, client, sedes, reports):
        client.force_login(sedes["norte"][1])
        for key in ("sur", "programa"):
            for kind in ("pdf", "csv"):
                assert client.get(f"{LIST}{reports[key].uuid}/{kind}/").status_code == 404
        assert client.get(f"{LIST}00000000-0000-0000-0000-000000000000/pdf/").status_code == 404

    def test_the_administrator_downloads_the_programs_report(self, client, admin, reports):
        client.force_login(admin)
        response = client.get(f"{LIST}{reports['programa'].uuid}/pdf/")
        assert response.status_code == 200
        assert "aula-evaluacion-2026-T3-programa-es.pdf" in response["Content-Disposition"]

    def test_a_report_not_ready_is_not_found(self, client, sedes):
        made = EvaluationReport.objects.create(sede=sedes["norte"][0], year=2026, quarter=3)
        client.force_login(sedes["norte"][1])
        assert client.get(f"{LIST}{made.uuid}/pdf/").status_code == 404

    def test_learners_asesores_and_anonymous(self, client, educando, asesor, reports):
        url = f"{LIST}{reports['norte'].uuid}/pdf/"
        assert client.get(url).status_code == 302
        for user in (educando, asesor):
            client.force_login(user)
            assert client.get(url).status_code == 403

    def test_a_file_gone_from_storage_says_so(self, client, sedes, reports):
        made = reports["norte"]
        made.pdf.storage.delete(made.pdf.name)
        client.force_login(sedes["norte"][1])
        response = client.get(f"{LIST}{made.uuid}/pdf/", follow=True)
        assert "Ese archivo ya no está disponible" in response.content.decode()


class TestRequest:
    def post(self, client, **data):
        return client.post(REQUEST, {"year": "2026", "quarter": "3", "language": "es", **data})

    def test_the_form_offers_the_sedes_in_scope_and_the_last_quarter(self, client, sedes, admin):
        client.force_login(sedes["norte"][1])
        form = client.get(REQUEST).context["form"]
        assert [label for _value, label in form.fields["scope"].choices] == ["Plaza norte"]
        client.force_login(admin)
        form = client.get(REQUEST).context["form"]
        assert [label for _v, label in form.fields["scope"].choices] == [
            "Todo el programa",
            "Plaza norte",
            "Plaza sur",
        ]
        today = timezone.localdate()
        assert (form.fields["year"].initial, form.fields["quarter"].initial) == (
            (today.year - 1, 4) if today.month <= 3 else (today.year, (today.month - 1) // 3)
        )

    def test_a_coordinator_asks_for_their_sedes_report(
        self, client, sedes, django_capture_on_commit_callbacks
    ):
        norte, coordinator, _grupo = sedes["norte"]
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = self.post(client, scope=str(norte.pk), language="en")
        assert response.status_code == 302 and response["Location"] == LIST
        assert len(callbacks) == 1
        made = EvaluationReport.objects.get()
        assert (made.sede, made.year, made.quarter, made.language) == (norte, 2026, 3, "en")
        assert made.requested_by == coordinator
        assert made.status == ReportStatus.DONE  # built at once: eager Celery
        body = client.get(LIST).content.decode()
        assert "El informe se está preparando" in body
        assert f"{made.uuid}/pdf/" in body

    def test_another_sede_is_a_clear_error(self, client, sedes):
        client.force_login(sedes["norte"][1])
        response = self.post(client, scope=str(sedes["sur"][0].pk))
        assert response.status_code == 200
        assert response.context["form"].errors["scope"] == [
            "Esa sede no está entre las que usted puede ver. Elija una de la lista."
        ]
        assert "Revise lo siguiente" in response.content.decode()
        response = self.post(client, scope="programa")
        assert "scope" in response.context["form"].errors
        assert not EvaluationReport.objects.exists()

    def test_a_quarter_that_has_not_begun_is_a_clear_error(self, client, sedes, admin):
        client.force_login(admin)
        today = timezone.localdate()
        response = self.post(client, scope="programa", year=str(today.year + 1), quarter="1")
        assert response.context["form"].errors["quarter"] == [
            "Ese trimestre todavía no empieza: no hay cifras que mostrar. Elija uno que ya "
            "haya terminado."
        ]
        assert not EvaluationReport.objects.exists()

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"year": "dos mil"}, "year"),
            ({"year": "2019"}, "year"),
            ({"quarter": "5"}, "quarter"),
            ({"language": "fr"}, "language"),
            ({"scope": ""}, "scope"),
        ],
    )
    def test_bad_input(self, client, sedes, data, field):
        client.force_login(sedes["norte"][1])
        response = self.post(client, **{"scope": str(sedes["norte"][0].pk), **data})
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert not EvaluationReport.objects.exists()

    def test_the_administrator_asks_for_the_programs_report(
        self, client, admin, sedes, django_capture_on_commit_callbacks
    ):
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(client, scope="programa", year="2026", quarter="2")
        assert response.status_code == 302, response.context["form"].errors
        made = EvaluationReport.objects.get()
        assert made.sede is None and made.status == ReportStatus.DONE
        assert (made.first_day, made.last_day) == (date(2026, 4, 1), date(2026, 6, 30))

    def test_asking_while_it_is_being_prepared_queues_nothing(
        self, client, sedes, django_capture_on_commit_callbacks
    ):
        norte, coordinator, _grupo = sedes["norte"]
        EvaluationReport.objects.create(sede=norte, year=2026, quarter=3)
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = self.post(client, scope=str(norte.pk))
        assert callbacks == []
        assert (
            "Ese informe ya se está preparando."
            in client.get(response["Location"]).content.decode()
        )

    def test_a_broker_that_is_down_marks_the_report_failed(
        self, client, sedes, monkeypatch, django_capture_on_commit_callbacks
    ):
        from lms.evaluation import tasks

        def down(*args, **kwargs):
            raise ConnectionError("broker down")

        monkeypatch.setattr(tasks.build_report, "delay", down)
        norte, coordinator, _grupo = sedes["norte"]
        client.force_login(coordinator)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(client, scope=str(norte.pk))
        assert response.status_code == 302
        made = EvaluationReport.objects.get()
        assert made.status == ReportStatus.FAILED and made.error
