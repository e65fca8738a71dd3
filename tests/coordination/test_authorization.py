"""Who may open every coordinator page and endpoint.

The table below must list every route under /coordinacion/ and /api/v1/coordinacion/
(``test_every_coordinator_route_is_covered`` fails when a new one is added without it).
Each route is tried by every role:

- anonymous visitors are sent to log in (the API answers 401/403);
- educandos, asesores and coordinators without a sede get 403;
- a coordinator of another sede gets 404 for anything that names an object of this sede
  (and for lists, only their own data, which the feature tests check);
- the sede's coordinator and an administrator get through.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.test import Client, TestCase
from django.urls import reverse

from lms.accounts import roles
from lms.certificates.models import Certificate
from lms.enrollment import api as enrollment_api
from lms.enrollment.models import BulkImport, Enrollment, Membership
from lms.evaluation.models import EvaluationReport, ReportStatus
from lms.exports.models import ExportJob
from tests import helpers
from tests.enrollment.conftest import csv_bytes, upload
from tests.helpers import complete
from tests.routes import ROLES, named_routes


@dataclass
class Route:
    method: str
    kwargs: object = None  # function(world) -> URL kwargs
    bound: bool = False  # names an object of the sede: other coordinators get 404
    data: object = None  # function(world) -> POST data
    api: bool = False
    allowed: tuple = ("coordinator", "administrator")
    ok: tuple = (200, 302)
    extra: dict = field(default_factory=dict)
    forbidden: tuple = ()  # roles with a sede that still get 403 (administrators' pages)


ROUTES = {
    "coordination:home": Route("get"),
    "coordination:sede": Route("get", lambda w: {"key": w["sede"].key}, bound=True),
    "coordination:grupo": Route("get", lambda w: {"grupo_id": w["grupo"].pk}, bound=True),
    "coordination:grupo_code": Route("post", lambda w: {"grupo_id": w["grupo"].pk}, bound=True),
    "coordination:course": Route("get", lambda w: {"course_id": w["course"].pk}),
    "coordination:item_analysis": Route(
        "get",
        lambda w: {"course_id": w["course"].pk, "assessment_id": w["course"].final_assessment_id},
    ),
    "coordination:at_risk": Route("get"),
    "coordination:learner": Route("get", lambda w: {"learner_id": w["learner"].pk}, bound=True),
    "coordination:reset_code": Route("post", lambda w: {"learner_id": w["learner"].pk}, bound=True),
    "coordination:move": Route(
        "post",
        lambda w: {"learner_id": w["learner"].pk},
        bound=True,
        data=lambda w: {"grupo": w["grupo"].pk},
    ),
    "coordination:withdraw": Route(
        "post",
        lambda w: {"learner_id": w["learner"].pk, "course_id": w["course"].pk},
        bound=True,
    ),
    "coordination:certificate_revoke": Route(
        "post",
        lambda w: {"certificate_uuid": w["certificate"].uuid},
        bound=True,
        data=lambda w: {"reason": "Prueba de permisos"},
    ),
    "coordination:certificate_reissue": Route(
        "post",
        lambda w: {"certificate_uuid": w["certificate"].uuid},
        bound=True,
        data=lambda w: {"learner_name": "Ana Ruiz", "reason": "Prueba de permisos"},
    ),
    "bulk:upload": Route("get"),
    "bulk:template_csv": Route("get"),
    "bulk:template_xlsx": Route("get"),
    "bulk:preview": Route("get", lambda w: {"pk": w["draft"].uuid}, bound=True),
    "bulk:apply": Route("post", lambda w: {"pk": w["draft"].uuid}, bound=True),
    "bulk:code_sheet": Route("get", lambda w: {"pk": w["applied"].uuid}, bound=True),
    "exports:form": Route("get"),
    "exports:jobs": Route("get"),
    # Only the person who asked for a file may download it (administrators too get 404).
    "exports:download": Route(
        "get", lambda w: {"job_uuid": w["job"].uuid}, bound=True, allowed=("coordinator",)
    ),
    # The research export is the program administrators' alone: 403 for coordinators.
    "exports:research": Route(
        "get", allowed=("administrator",), forbidden=("coordinator", "other_coordinator")
    ),
    "evaluation:program": Route("get"),
    "evaluation:sede": Route("get", lambda w: {"key": w["sede"].key}, bound=True),
    "evaluation:grupo": Route("get", lambda w: {"grupo_id": w["grupo"].pk}, bound=True),
    "evaluation:reports": Route("get"),
    "evaluation:report_request": Route("get"),
    "evaluation:report_pdf": Route("get", lambda w: {"report_uuid": w["report"].uuid}, bound=True),
    "evaluation:report_csv": Route("get", lambda w: {"report_uuid": w["report"].uuid}, bound=True),
    "api-coordinacion-inscripciones": Route("get", api=True),
}


def _coordinator_routes():
    """Every named route whose address starts with coordinacion/ or
    api/v1/coordinacion/."""
    return {
        route.name
        for route in named_routes()
        if route.route.startswith(("coordinacion/", "api/v1/coordinacion/"))
    }


def test_every_coordinator_route_is_covered():
    missing = _coordinator_routes() - set(ROUTES)
    assert not missing, f"add these routes to ROUTES: {sorted(missing)}"


def build_world(sedes, make_learner, make_user, course, django_capture_on_commit_callbacks):
    """A learner of the norte sede with a certificate, the sede's bulk imports (one
    applied, one a draft) and an export its coordinator asked for."""
    sede, coordinator, grupo = sedes["norte"]
    learner = make_learner("ana", grupo, course, display_name="Ana Ruis")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(learner, course)
    # Still enrolled in another course, so "withdraw" has something to do.
    other_course = Enrollment.objects.get(pk=enrollment.pk).course
    users = {
        "anonymous": None,
        "educando": learner,
        "asesor": make_user("asesora", roles.ASESOR),
        "coordinator_without_sede": make_user("sin-sede", roles.COORDINADOR),
        "other_coordinator": sedes["sur"][1],
        "coordinator": coordinator,
        "administrator": make_user("jefa", roles.ADMINISTRADOR),
    }
    client = Client()
    helpers.log_in(client, coordinator)
    rows = [["nuevo-uno", "Uno Nuevo", "", "", "", ""]]
    upload(client, grupo, csv_bytes(rows))
    applied = BulkImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # the task applies it
        client.post(reverse("bulk:apply", kwargs={"pk": applied.uuid}))
    applied.refresh_from_db()
    assert applied.applied_at and applied.code_sheet
    upload(client, grupo, csv_bytes([["nuevo-dos", "", "", "", "", ""]]))
    draft = BulkImport.objects.get(applied_at__isnull=True)
    job = ExportJob.objects.create(
        requested_by=coordinator, kind="inscripciones", format="csv", status="done", rows=1
    )
    job.file.save("prueba.csv", ContentFile(b"sede\r\n"))
    report = EvaluationReport.objects.create(
        sede=sede, year=2026, quarter=1, language="es", status=ReportStatus.DONE
    )
    report.pdf.save("informe.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    report.csv.save("informe.csv", ContentFile(b"seccion\r\n"))
    return {
        "report": report,
        "draft": draft,
        "applied": applied,
        "job": job,
        "sede": sede,
        "grupo": grupo,
        "learner": learner,
        "course": other_course,
        "certificate": Certificate.objects.get(enrollment=enrollment),
        "users": users,
    }


@pytest.fixture
def world(sedes, make_learner, make_user, course, django_capture_on_commit_callbacks):
    """The world, built for one test: for the routes that change something."""
    return build_world(sedes, make_learner, make_user, course, django_capture_on_commit_callbacks)


def _expected(route: Route, role: str):
    if role == "anonymous":
        return (401, 403) if route.api else (302,)
    if role in ("educando", "asesor", "coordinator_without_sede") or role in route.forbidden:
        return (403,)
    if role == "other_coordinator":
        return (404,) if route.bound else (200,)
    return route.ok if role in route.allowed else (404,)


def check_each_role(client, world, name):
    route = ROUTES[name]
    url = reverse(name, kwargs=route.kwargs(world) if route.kwargs else None)
    for role in ROLES:
        client.logout()
        user = world["users"][role]
        if user is not None:
            client.force_login(user)
        data = route.data(world) if route.data else {}
        response = getattr(client, route.method)(url, data)
        expected = _expected(route, role)
        assert response.status_code in expected, (role, url, response.status_code)
        if role == "anonymous" and not route.api:
            assert response["Location"].startswith("/cuenta/entrar/"), url


READING_ROUTES = sorted(name for name, route in ROUTES.items() if route.method == "get")
CHANGING_ROUTES = sorted(name for name, route in ROUTES.items() if route.method != "get")


@pytest.mark.parametrize("name", CHANGING_ROUTES)
def test_each_role(client, world, name):
    check_each_role(client, world, name)


class TestEachRoleReading(TestCase):
    """The GET routes change nothing: they share one world, built once for the class.
    One test per route, ``test_each_role_<route>`` (added below)."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world(
            helpers.make_sedes(),
            helpers.make_learner,
            helpers.make_user,
            helpers.the_course(),
            cls.captureOnCommitCallbacks,
        )


def _test_each_role(name):
    def test(self):
        check_each_role(self.client, self.world, name)

    test.__name__ = "test_each_role_" + re.sub(r"\W", "_", name)
    test.__qualname__ = f"TestEachRoleReading.{test.__name__}"
    return test


for _name in READING_ROUTES:
    _test = _test_each_role(_name)
    assert not hasattr(TestEachRoleReading, _test.__name__), _name  # two routes, one name
    setattr(TestEachRoleReading, _test.__name__, _test)


# --- Staff in a grupo stay out of every coordinator's reach -------------------------------

LEARNER_ROUTES = sorted(
    name
    for name, route in ROUTES.items()
    if route.bound
    and route.kwargs
    and name.startswith("coordination:")
    and name not in ("coordination:sede", "coordination:grupo", "coordination:grupo_code")
)


def _staff(kind, make_user, sedes):
    if kind == "superuser":
        return make_user("raiz", is_superuser=True, is_staff=True)
    if kind == "administrator":
        return make_user("jefa-de-sistemas", roles.ADMINISTRADOR)
    if kind == "asesor":
        return make_user("asesor-de-norte", roles.ASESOR)
    if kind == "learner_made_staff":
        user = make_user("antes-educanda", roles.EDUCANDO)
        user.is_staff = True
        user.save()
        return user
    return sedes["sur"][1]  # the coordinator of another sede


@pytest.mark.parametrize(
    "kind",
    ["superuser", "administrator", "asesor", "other_coordinator", "learner_made_staff"],
)
def test_staff_who_joined_a_grupo_are_404_on_every_learner_route(
    client, sedes, make_user, course, kind, django_capture_on_commit_callbacks
):
    """However a staff account came to be in a grupo (joined with the code before that was
    refused, or a learner later given a role), the sede's coordinator can neither see it
    nor hand it a reset code, withdraw, move it or touch its certificates."""
    _sede, coordinator, grupo = sedes["norte"]
    staff = _staff(kind, make_user, sedes)
    Membership.objects.create(user=staff, grupo=grupo)
    enrollment_api.enroll(user=staff, course=course)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(staff, course)
    certificate = Certificate.objects.get(enrollment=enrollment)
    world = {
        "learner": staff,
        "grupo": grupo,
        "course": course,
        "certificate": certificate,
    }
    client.force_login(coordinator)
    for name in LEARNER_ROUTES:
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(world))
        data = route.data(world) if route.data else {}
        response = getattr(client, route.method)(url, data)
        assert response.status_code == 404, (kind, name, response.status_code)
    # Nothing happened to the account or its certificate.
    assert not staff.reset_codes.exists()
    assert enrollment_api.is_enrolled(user=staff, course_id=course.pk)
    certificate.refresh_from_db()
    assert certificate.is_valid
    # Nor does it show up in the grupo's list, the figures or the at-risk list.
    page = client.get(reverse("coordination:grupo", kwargs={"grupo_id": grupo.pk}))
    assert staff.username not in page.content.decode()
    assert page.context["total"].enrolled == 0
    assert enrollment_api.learner_in_scope(user=coordinator, learner_id=staff.pk) is None


def test_a_learner_given_a_role_drops_out_of_scope_and_comes_back(sedes, make_learner):
    _sede, coordinator, grupo = sedes["norte"]
    learner = make_learner("cambia-de-papel", grupo)
    assert enrollment_api.learner_in_scope(user=coordinator, learner_id=learner.pk)
    asesores = roles_group(roles.ASESOR)
    learner.groups.add(asesores)
    assert enrollment_api.learner_in_scope(user=coordinator, learner_id=learner.pk) is None
    learner.groups.remove(asesores)
    assert enrollment_api.learner_in_scope(user=coordinator, learner_id=learner.pk)
    grupo.asesores.add(learner)  # an asesor of a grupo is staff too, whatever their groups
    assert enrollment_api.learner_in_scope(user=coordinator, learner_id=learner.pk) is None


def roles_group(name):
    from lms.accounts import api as accounts_api

    return accounts_api.ensure_roles()[name]


@pytest.mark.parametrize("kind", ["superuser", "administrator", "asesor", "other_coordinator"])
def test_staff_cannot_join_a_grupo_with_its_code(client, sedes, make_user, kind):
    _sede, _coordinator, grupo = sedes["norte"]
    staff = _staff(kind, make_user, sedes)
    code = enrollment_api.join_code_for(grupo=grupo)
    client.force_login(staff)
    response = client.post("/mis-cursos/grupo/", {"code": code})
    assert response.status_code == 200
    assert "personal de Aula" in str(response.context["form"].errors["code"])
    assert not Membership.objects.filter(user=staff).exists()
    with pytest.raises(enrollment_api.EnrollmentError):
        enrollment_api.add_to_grupo(grupo=grupo, user=staff)
