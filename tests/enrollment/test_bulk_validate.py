"""Checking every row before anything is written: what each row would do, and a specific
Spanish message for each problem, naming the field and the value."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import CoursePage
from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from lms.enrollment import bulk, tasks
from lms.enrollment.models import Grupo

from .conftest import BAD_CURP, CURPS, csv_bytes


def _check(rows, grupo, by, headers=None):
    content = csv_bytes(rows, **({"headers": headers} if headers else {}))
    parsed = bulk.parse_file(name="lista.csv", content=content)
    return bulk.validate_rows(rows=parsed, grupo=grupo, by=by)


def _course(slug):
    return CoursePage.objects.get(slug=slug)


def _set(slug, **fields):
    CoursePage.objects.filter(slug=slug).update(**fields)


def _errors(check, number):
    return next(row.errors for row in check.rows if row.number == number)


class TestNewLearners:
    def test_valid_rows_say_what_will_happen(self, norte):
        _sede, coordinator, grupo = norte
        check = _check(
            [
                ["maria.lopez", "María López", "maria@example.org", "", CURPS[0], "B3MFP"],
                ["(213) 555-0101", "", "", "213 555 0101", "", ""],
                ["jose", "José", "", "", "", "fracciones-y-porcentajes; SALUD-Y-PREVENCIÓN"],
            ],
            grupo,
            coordinator,
        )
        assert not check.has_errors
        assert [row.status for row in check.rows] == ["new", "new", "new"]
        assert check.rows[1].username == "2135550101"
        assert [c.slug for c in check.rows[2].enroll_in] == [
            "fracciones-y-porcentajes",
            "salud-y-prevencion",
        ]
        assert check.counts() == {
            "rows": 3,
            "new_accounts": 3,
            "existing": 0,
            "unchanged": 0,
            "errors": 0,
            "new_enrollments": 3,
            "new_memberships": 3,
            "codes": 2,
            "emails": 1,
        }

    def test_each_field_error_names_the_field_and_the_value(self, norte):
        _sede, coordinator, grupo = norte
        check = _check(
            [
                ["ma ría", "", "", "", "", ""],
                ["ana", "", "ana@", "", "", ""],
                ["beto", "", "", "12", "", ""],
                ["carla", "", "", "", BAD_CURP, ""],
                ["dani", "", "", "", "", ""],
            ],
            grupo,
            coordinator,
        )
        assert _errors(check, 2) == [
            "Usuario «ma ría»: Use solo letras, números, punto (.), guion (-) o guion bajo (_), "
            "sin espacios. También puede usar su número de teléfono."
        ]
        assert _errors(check, 3) == [
            "Correo «ana@»: Introduzca una dirección de correo electrónico válida."
        ]
        assert _errors(check, 4) == [
            "Teléfono «12»: Escriba solo el número de teléfono, con 7 a 15 números. Puede usar "
            "espacios, guiones y el signo +."
        ]
        assert _errors(check, 5) == [
            f"CURP «{BAD_CURP}»: Esta CURP no es válida. Revísela letra por letra con su "
            "constancia de CURP, o deje el campo en blanco: no es obligatoria."
        ]
        assert _errors(check, 6) == []
        assert check.counts()["errors"] == 4
        assert [row.number for row in check.rows_for_display] == [2, 3, 4, 5, 6]
        assert check.rows[-1].status == "new"

    def test_errors_come_first_in_the_display(self, norte):
        _sede, coordinator, grupo = norte
        check = _check([["ana"], ["x y"], ["beto"]], grupo, coordinator, headers=["usuario"])
        assert [row.number for row in check.rows_for_display] == [3, 2, 4]

    def test_a_missing_username(self, norte):
        _sede, coordinator, grupo = norte
        check = _check([["", "Ana"]], grupo, coordinator, headers=["usuario", "nombre"])
        assert _errors(check, 2) == ["Falta el usuario: escriba con qué nombre de usuario entrará."]

    def test_a_username_twice_in_the_file_in_any_case(self, norte):
        _sede, coordinator, grupo = norte
        check = _check([["ana"], ["beto"], ["ANA"]], grupo, coordinator, headers=["usuario"])
        assert _errors(check, 2) == []
        assert _errors(check, 4) == [
            "Usuario «ANA»: se repite en el archivo (ya está en la fila 2)."
        ]

    def test_a_curp_twice_in_the_file(self, norte):
        _sede, coordinator, grupo = norte
        check = _check(
            [["ana", CURPS[0]], ["beto", CURPS[0].lower()]],
            grupo,
            coordinator,
            headers=["usuario", "curp"],
        )
        assert _errors(check, 2) == []
        assert _errors(check, 3) == [
            f"CURP «{CURPS[0].lower()}»: se repite en el archivo (ya está en la fila 2)."
        ]

    def test_a_curp_of_another_account(self, norte, make_user):
        _sede, coordinator, grupo = norte
        make_user("alguien", curp=CURPS[1])
        check = _check([["ana", CURPS[1]]], grupo, coordinator, headers=["usuario", "curp"])
        assert _errors(check, 2) == [
            f"CURP «{CURPS[1]}»: ya está registrada en otra cuenta. Si es la misma persona, "
            "escriba en «usuario» el usuario que ya tiene."
        ]

    def test_cells_beyond_the_columns(self, norte):
        _sede, coordinator, grupo = norte
        parsed = bulk.parse_file(name="a.csv", content=b"usuario,nombre\nana,Pena,Ana\n")
        check = bulk.validate_rows(rows=parsed, grupo=grupo, by=coordinator)
        assert _errors(check, 2) == [
            "La fila tiene datos de más, fuera de las columnas: «Ana». Revise que ningún dato "
            "tenga una coma o un punto y coma de más."
        ]


class TestCourses:
    def test_slug_or_module_key_in_any_case_or_accents(self, norte):
        _sede, coordinator, grupo = norte
        check = _check(
            [["ana", "b3mfp, Finanzas-Personales; B2CVM"]],
            grupo,
            coordinator,
            headers=["usuario", "cursos"],
        )
        assert [c.slug for c in check.rows[0].enroll_in] == [
            "fracciones-y-porcentajes",
            "finanzas-personales",
            "salud-y-prevencion",
        ]

    def test_unknown_course(self, norte):
        _sede, coordinator, grupo = norte
        check = _check([["ana", "B3MFP; quimica"]], grupo, coordinator, ["usuario", "cursos"])
        assert _errors(check, 2) == [
            "Cursos «quimica»: no existe ese curso. Copie el código de la hoja «Cursos» de la "
            "plantilla."
        ]
        assert check.rows[0].course_labels == ["Fracciones y porcentajes", "quimica"]

    def test_empty_courses_only_join_the_grupo(self, norte):
        _sede, coordinator, grupo = norte
        check = _check([["ana", ""]], grupo, coordinator, ["usuario", "cursos"])
        assert check.rows[0].enroll_in == [] and check.rows[0].joins_grupo

    def test_full_course_errors_on_the_rows_beyond_capacity(self, norte, make_learner):
        _sede, coordinator, grupo = norte
        _set("fracciones-y-porcentajes", capacity=3)
        make_learner("ya-inscrita", grupo, _course("fracciones-y-porcentajes"))
        rows = [["ana", "B3MFP"], ["beto", "salud-y-prevencion"], ["carla", "B3MFP"]]
        rows += [["dani", "B3MFP"], ["eli", "B3MFP"]]
        check = _check(rows, grupo, coordinator, ["usuario", "cursos"])
        full = (
            "Curso «Fracciones y porcentajes»: ya no hay lugares. Tiene cupo para 3 personas y "
            "no alcanza para todas las filas de este archivo."
        )
        assert [row.errors for row in check.rows] == [[], [], [], [full], [full]]

    def test_enrollment_window(self, norte):
        _sede, coordinator, grupo = norte
        opens = timezone.now() + timedelta(days=3)
        _set("fracciones-y-porcentajes", enrollment_opens_at=opens)
        _set("salud-y-prevencion", enrollment_closes_at=timezone.now() - timedelta(days=1))
        check = _check(
            [["ana", "B3MFP"], ["beto", "salud-y-prevencion"]],
            grupo,
            coordinator,
            ["usuario", "cursos"],
        )
        date = timezone.localtime(opens).strftime("%d/%m/%Y")
        assert _errors(check, 2) == [
            f"Curso «Fracciones y porcentajes»: la inscripción abre el {date}."
        ]
        assert _errors(check, 3) == ["Curso «Salud y prevención»: la inscripción ya cerró."]

    def test_coordinator_only_courses_are_open_to_coordinators(self, norte, make_user):
        sede, coordinator, grupo = norte
        _set("fracciones-y-porcentajes", enrollment_policy="coordinator")
        check = _check([["ana", "B3MFP"]], grupo, coordinator, ["usuario", "cursos"])
        assert not check.has_errors
        # Someone named coordinator of the sede without the Coordinador role.
        helper = make_user("ayudante")
        sede.coordinators.add(helper)
        helper = get_user_model().objects.get(pk=helper.pk)
        check = _check([["ana", "B3MFP"]], grupo, helper, ["usuario", "cursos"])
        assert _errors(check, 2) == [
            "Curso «Fracciones y porcentajes»: solo la coordinación puede inscribir a este "
            "curso y su cuenta no tiene ese permiso."
        ]

    def test_unpublished_course(self, norte):
        _sede, coordinator, grupo = norte
        CoursePage.objects.get(slug="finanzas-personales").unpublish()
        check = _check([["ana", "finanzas-personales"]], grupo, coordinator, ["usuario", "cursos"])
        assert _errors(check, 2) == ["Curso «Finanzas personales»: no está publicado."]


class TestExistingAccounts:
    def test_a_learner_of_the_coordinators_sedes(self, norte, make_learner):
        sede, coordinator, grupo = norte
        other_grupo = Grupo.objects.create(sede=sede, name="Grupo 2")
        course = _course("fracciones-y-porcentajes")
        make_learner("en-otro-grupo", other_grupo, course, email="x@example.org")
        make_learner("ya-esta", grupo, course)
        check = _check(
            [
                ["EN-OTRO-GRUPO", "Nombre nuevo", "", "", "", "B3MFP; salud-y-prevencion"],
                ["ya-esta", "", "", "", "", "B3MFP"],
                ["ya-esta-no", "", "", "", "", ""],
            ],
            grupo,
            coordinator,
        )
        first, second, third = check.rows
        assert (first.status, first.status_label) == ("existing", "Ya tiene cuenta")
        assert first.username == "en-otro-grupo" and first.joins_grupo
        assert [c.slug for c in first.enroll_in] == ["salud-y-prevencion"]
        assert [c.slug for c in first.already_in] == ["fracciones-y-porcentajes"]
        assert not first.gets_code and not first.gets_email
        assert (second.status, second.status_label) == ("unchanged", "Sin cambios")
        assert third.status == "new"
        totals = check.counts()
        assert (totals["existing"], totals["unchanged"], totals["new_enrollments"]) == (1, 1, 1)

    def test_someone_elses_account_is_a_duplicate(self, norte, sedes, make_learner, make_user):
        _sede, coordinator, grupo = norte
        make_learner("de-sur", sedes["sur"][2])
        make_learner("sin-grupo")
        make_user("asesora", accounts_api.roles.ASESOR)
        staff = make_learner("educanda-asesora", grupo)
        staff.groups.add(accounts_api.ensure_roles()[accounts_api.roles.ASESOR])
        check = _check(
            [["de-sur"], ["sin-grupo"], ["Asesora"], ["educanda-asesora"], ["coordina-norte"]],
            grupo,
            coordinator,
            ["usuario"],
        )
        for row, typed in zip(
            check.rows,
            ["de-sur", "sin-grupo", "Asesora", "educanda-asesora", "coordina-norte"],
            strict=True,
        ):
            assert row.errors == [
                f"Usuario «{typed}»: usuario duplicado: ya lo usa otra persona. Elija otro; "
                "por ejemplo, agréguele un número. Si es la misma persona y ya tiene cuenta, "
                "quítela de la lista y dele el código del grupo para que se una ella misma."
            ]

    def test_a_deactivated_account(self, norte, make_learner):
        _sede, coordinator, grupo = norte
        learner = make_learner("inactiva", grupo)
        learner.is_active = False
        learner.save()
        check = _check([["inactiva"]], grupo, coordinator, ["usuario"])
        assert _errors(check, 2) == [
            "Usuario «inactiva»: esta cuenta está desactivada; no se puede inscribir."
        ]

    def test_an_administrator_has_every_sede(self, norte, sedes, make_learner, admin):
        _sede, _coordinator, grupo = norte
        make_learner("de-sur", sedes["sur"][2])
        check = _check([["de-sur"]], grupo, admin, ["usuario"])
        assert check.rows[0].status == "existing"

    def test_withdrawn_counts_as_a_new_enrollment(self, norte, make_learner):
        _sede, coordinator, grupo = norte
        course = _course("fracciones-y-porcentajes")
        learner = make_learner("se-fue", grupo, course)
        enrollment_api.withdraw(user=learner, course=course)
        check = _check([["se-fue", "B3MFP"]], grupo, coordinator, ["usuario", "cursos"])
        assert check.rows[0].status == "existing"
        assert [c.slug for c in check.rows[0].enroll_in] == ["fracciones-y-porcentajes"]


class TestConfusableUsernames:
    """Sign-up's rule against usernames that could pass for another, row by row."""

    LOOKALIKE = (
        "se parece demasiado al de una cuenta que ya existe y se podrían confundir. Elija "
        "otro; por ejemplo, agréguele un número. Si es la misma persona y ya tiene cuenta, "
        "escriba su usuario exactamente como lo tiene."
    )

    def test_a_look_alike_of_an_existing_account(self, norte, make_user, make_learner):
        _sede, coordinator, grupo = norte
        make_user("admin")
        make_learner("rosa", grupo)
        check = _check(
            [["adrnin"], ["r0sa"], ["ROSA"], ["admín"], ["rosá"]],
            grupo,
            coordinator,
            ["usuario"],
        )
        assert _errors(check, 2) == [f"Usuario «adrnin»: {self.LOOKALIKE}"]
        assert _errors(check, 3) == [f"Usuario «r0sa»: {self.LOOKALIKE}"]
        # The same account in capitals is the learner, not a look-alike; accents make
        # other names.
        assert check.rows[2].status == "unchanged" and check.rows[2].username == "rosa"
        assert [check.rows[3].status, check.rows[4].status] == ["new", "new"]

    def test_two_rows_that_look_alike(self, norte):
        _sede, coordinator, grupo = norte
        check = _check(
            [["Ivan"], ["jose"], ["lvan"], ["josé"], ["1van"]],
            grupo,
            coordinator,
            ["usuario"],
        )
        assert _errors(check, 2) == [] and _errors(check, 3) == [] and _errors(check, 5) == []
        for number, typed in ((4, "lvan"), (6, "1van")):
            assert _errors(check, number) == [
                f"Usuario «{typed}»: se parece demasiado al usuario de la fila 2 y se podrían "
                "confundir. Elija otro; por ejemplo, agréguele un número."
            ]

    def test_mixed_alphabets_and_other_digits(self, norte):
        _sede, coordinator, grupo = norte
        check = _check(
            [["p\u0430blo"], ["juan\u0663"], ["juan\uff13"]], grupo, coordinator, ["usuario"]
        )
        assert _errors(check, 2) == [
            "Usuario «p\u0430blo»: Use letras de un solo alfabeto. Este nombre mezcla letras "
            "de alfabetos distintos que se ven iguales (por ejemplo, una «а» rusa entre letras "
            "latinas); bórrelo y escríbalo de nuevo con su teclado."
        ]
        digits = (
            "Use solo los números del 0 al 9. Este nombre tiene números de otro tipo o de otro "
            "idioma; bórrelos y escríbalos de nuevo con su teclado."
        )
        assert _errors(check, 3) == [f"Usuario «juan\u0663»: {digits}"]
        assert _errors(check, 4) == [f"Usuario «juan\uff13»: {digits}"]

    def test_applying_refuses_a_look_alike_made_after_the_preview(self, norte, make_user):
        _sede, coordinator, grupo = norte
        bulk_import = bulk.create_import(
            grupo=grupo,
            uploaded_by=coordinator,
            filename="a.csv",
            content=csv_bytes([["lvan"]], headers=["usuario"]),
        )
        assert not bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=coordinator).has_errors
        make_user("Ivan")
        with pytest.raises(bulk.ApplyFailed) as caught:
            bulk.apply_import(
                bulk_import=bulk_import,
                by=coordinator,
                base_url="http://testserver",
                queue_welcome_email=tasks.send_welcome_email_task.delay,
            )
        assert caught.value.check.rows[0].errors == [f"Usuario «lvan»: {self.LOOKALIKE}"]
        assert not get_user_model().objects.filter(username="lvan").exists()


@pytest.mark.parametrize("view", [False, True])
def test_queries_do_not_grow_with_rows(norte, make_learner, client, view):
    """The preview of 30 rows costs the same queries as the preview of 3."""
    sede, coordinator, grupo = norte
    _set("fracciones-y-porcentajes", capacity=100)
    other = Grupo.objects.create(sede=sede, name="Grupo 2")
    course = _course("salud-y-prevencion")
    existing = [make_learner(f"ya-{i}", other, course) for i in range(10)]

    def rows(count):
        made = []
        for i in range(count):
            if i % 3 == 0:
                made.append([existing[i // 3].username, "", "", "", "", "B3MFP; B2CVM"])
            else:
                made.append([f"nueva-{count}-{i}", f"Nueva {i}", "", "", "", "B3MFP"])
        made[1][4] = CURPS[0]
        return made

    def count(n):
        content = csv_bytes(rows(n))
        by = get_user_model().objects.get(pk=coordinator.pk)  # no permission cache
        bulk_import = bulk.create_import(
            grupo=grupo, uploaded_by=by, filename="a.csv", content=content
        )
        if view:
            client.force_login(by)
            url = f"/coordinacion/inscripcion/{bulk_import.uuid}/"
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200
            assert response.context["totals"]["rows"] == n
        else:
            with CaptureQueriesContext(connection) as queries:
                check = bulk.validate_rows(rows=bulk_import.rows, grupo=grupo, by=by)
            assert not check.has_errors and len(check.rows) == n
        return len(queries)

    assert count(3) == count(30)
