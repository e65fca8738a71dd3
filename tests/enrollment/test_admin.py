"""Sedes and grupos in the Wagtail admin: every view, for every role, within scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.accounts import api as accounts_api
from lms.accounts import roles
from lms.accounts.models import User
from lms.enrollment import api
from lms.enrollment.admin_forms import (
    GRUPO_NAME_TAKEN,
    NOT_A_COORDINATOR,
    NOT_AN_ASESOR,
    NOT_YOUR_SEDE,
)
from lms.enrollment.models import Grupo, Membership, Sede

SEDE = "wagtailsnippets_enrollment_sede"
GRUPO = "wagtailsnippets_enrollment_grupo"
SEDE_CHOOSER = "wagtailsnippetchoosers_enrollment_sede"
GRUPO_CHOOSER = "wagtailsnippetchoosers_enrollment_grupo"
OBJECT_VIEWS = ("inspect", "edit", "delete", "history", "usage")


def url(namespace, view, *args):
    return reverse(f"{namespace}:{view}", args=args)


def denied(response) -> bool:
    """Wagtail's admin answers PermissionDenied with a redirect to its home page and an
    error message (a real 403 only to XMLHttpRequest)."""
    return response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")


def to_login(response) -> bool:
    return response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.fixture
def administrador(make_user):
    return make_user("administra1", roles.ADMINISTRADOR)


@pytest.fixture
def norte(sedes):
    return sedes["norte"]


@pytest.fixture
def sur(sedes):
    return sedes["sur"]


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


# --- Who may open which view ----------------------------------------------------------------

# (role, object's sede) -> expected outcome per view, for sedes and for grupos.
SEDE_EXPECTED = {
    "administrador": dict.fromkeys(OBJECT_VIEWS, 200) | {"delete": "denied"},
    "own": {
        "inspect": 200,
        "edit": "denied",
        "delete": "denied",
        "history": "denied",
        "usage": "denied",
    },
    "other": dict.fromkeys(OBJECT_VIEWS, 404),
    "asesor": dict.fromkeys(OBJECT_VIEWS, "denied"),
    "educando": dict.fromkeys(OBJECT_VIEWS, "login"),
    "anonymous": dict.fromkeys(OBJECT_VIEWS, "login"),
}
GRUPO_EXPECTED = {
    "administrador": dict.fromkeys(OBJECT_VIEWS, 200),
    "own": dict.fromkeys(OBJECT_VIEWS, 200) | {"delete": "denied"},
    "other": dict.fromkeys(OBJECT_VIEWS, 404),
    "asesor": dict.fromkeys(OBJECT_VIEWS, "denied"),
    "educando": dict.fromkeys(OBJECT_VIEWS, "login"),
    "anonymous": dict.fromkeys(OBJECT_VIEWS, "login"),
}


def _who(case, *, norte, administrador, asesor, educando):
    """The person for ``case``; the object is always in the sede "norte"."""
    return {
        "administrador": administrador,
        "own": norte[1],
        "other": None,  # filled in by the caller: the coordinator of "sur"
        "asesor": asesor,
        "educando": educando,
        "anonymous": None,
    }[case]


def _check(response, expected):
    if expected == "denied":
        assert denied(response), response.status_code
    elif expected == "login":
        assert to_login(response), response.status_code
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("case", list(SEDE_EXPECTED))
@pytest.mark.parametrize("view", OBJECT_VIEWS)
def test_sede_object_views(client, case, view, norte, sur, administrador, asesor, educando):
    user = _who(case, norte=norte, administrador=administrador, asesor=asesor, educando=educando)
    if case == "other":
        user = sur[1]
    if user is not None:
        client.force_login(user)
    response = client.get(url(SEDE, view, norte[0].pk))
    _check(response, SEDE_EXPECTED[case][view])


@pytest.mark.parametrize("case", list(GRUPO_EXPECTED))
@pytest.mark.parametrize("view", OBJECT_VIEWS)
def test_grupo_object_views(client, case, view, norte, sur, administrador, asesor, educando):
    user = _who(case, norte=norte, administrador=administrador, asesor=asesor, educando=educando)
    if case == "other":
        user = sur[1]
    if user is not None:
        client.force_login(user)
    response = client.get(url(GRUPO, view, norte[2].pk))
    _check(response, GRUPO_EXPECTED[case][view])


@pytest.mark.parametrize(
    ("case", "sede_list", "sede_add", "grupo_list", "grupo_add"),
    [
        ("administrador", 200, 200, 200, 200),
        ("own", 200, "denied", 200, 200),
        ("asesor", "denied", "denied", "denied", "denied"),
        ("educando", "login", "login", "login", "login"),
        ("anonymous", "login", "login", "login", "login"),
    ],
)
def test_listing_and_add_views(
    client, case, sede_list, sede_add, grupo_list, grupo_add, norte, administrador, asesor, educando
):
    user = _who(case, norte=norte, administrador=administrador, asesor=asesor, educando=educando)
    if user is not None:
        client.force_login(user)
    _check(client.get(url(SEDE, "list")), sede_list)
    _check(client.get(url(SEDE, "add")), sede_add)
    _check(client.get(url(GRUPO, "list")), grupo_list)
    _check(client.get(url(GRUPO, "add")), grupo_add)


# --- Listings -------------------------------------------------------------------------------


class TestListings:
    def test_a_coordinator_sees_only_their_sede_and_its_grupos(self, as_user, norte, sur):
        client = as_user(norte[1])
        Grupo.objects.create(sede=sur[0], name="Grupo secreto del sur")
        sedes_html = client.get(url(SEDE, "list")).content.decode()
        assert "Plaza norte" in sedes_html and "Plaza sur" not in sedes_html
        grupos_html = client.get(url(GRUPO, "list")).content.decode()
        # Not in the rows, nor in the sede filter's choices.
        assert "Plaza norte" in grupos_html
        assert "Plaza sur" not in grupos_html and "Grupo secreto del sur" not in grupos_html
        results = client.get(url(GRUPO, "list_results"), {"q": "Grupo"}).content.decode()
        assert "Plaza sur" not in results

    def test_filtering_by_another_sede_shows_nothing_of_it(self, as_user, norte, sur):
        client = as_user(norte[1])
        response = client.get(url(GRUPO, "list"), {"sede": sur[0].pk})
        assert "Plaza sur" not in response.content.decode()

    def test_an_administrator_sees_every_sede_with_its_counts(
        self, as_user, administrador, norte, sur, make_learner
    ):
        Grupo.objects.create(sede=norte[0], name="Grupo 2")
        make_learner("aprende1", norte[2])
        make_learner("aprende2", norte[2])
        client = as_user(administrador)
        response = client.get(url(SEDE, "list"))
        html = response.content.decode()
        assert "Plaza norte" in html and "Plaza sur" in html
        assert "Grupos" in html and "Coordinadores" in html
        rows = {sede.name: sede for sede in response.context["object_list"]}
        assert rows["Plaza norte"].grupo_count == 2
        assert rows["Plaza norte"].coordinator_count == 1
        grupos = client.get(url(GRUPO, "list")).context["object_list"]
        counts = {(g.sede.name, g.name): g.learner_count for g in grupos}
        assert counts[("Plaza norte", "Grupo 1")] == 2
        assert counts[("Plaza sur", "Grupo 1")] == 0

    def test_the_menu_shows_sedes_y_grupos_to_coordinators_not_to_asesores(
        self, as_user, norte, asesor
    ):
        html = as_user(norte[1]).get(reverse("wagtailadmin_home")).content.decode()
        assert "Sedes y grupos" in html
        html = as_user(asesor).get(reverse("wagtailadmin_home")).content.decode()
        assert "Sedes y grupos" not in html

    @pytest.mark.parametrize("namespace", [SEDE, GRUPO])
    def test_listing_queries_do_not_grow_with_rows(
        self, as_user, administrador, make_user, namespace
    ):
        client = as_user(administrador)

        def add_sedes(first, count):
            for number in range(first, first + count):
                sede = Sede.objects.create(
                    key=f"s{number}", name=f"Sede {number}", kind=api.SedeKind.CONSULADO
                )
                sede.coordinators.add(make_user(f"coord{number}", roles.COORDINADOR))
                grupo = Grupo.objects.create(sede=sede, name="Grupo")
                grupo.asesores.add(make_user(f"ases{number}", roles.ASESOR))

        add_sedes(0, 2)
        client.get(url(namespace, "list"))  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as small:
            assert client.get(url(namespace, "list")).status_code == 200
        add_sedes(2, 6)
        with CaptureQueriesContext(connection) as large:
            response = client.get(url(namespace, "list"))
        assert len(response.context["object_list"]) >= 8
        assert len(large) == len(small)


# --- Sede forms -----------------------------------------------------------------------------


def _sede_data(**overrides):
    data = {
        "name": "Consulado en Houston",
        "key": "consulado-houston",
        "kind": "consulado",
        "city": "Houston",
        "state": "Texas",
        "active": "on",
    }
    data.update(overrides)
    return data


class TestSedeForm:
    def test_an_administrator_creates_a_sede_with_its_coordinator(
        self, as_user, administrador, coordinador
    ):
        client = as_user(administrador)
        response = client.post(url(SEDE, "add"), _sede_data(coordinators=[coordinador.pk]))
        assert response.status_code == 302
        sede = Sede.objects.get(key="consulado-houston")
        assert list(sede.coordinators.all()) == [coordinador]
        assert api.sedes_in_scope(user=coordinador).get() == sede

    def test_an_administrator_edits_a_sede(self, as_user, administrador, norte):
        client = as_user(administrador)
        response = client.post(
            url(SEDE, "edit", norte[0].pk),
            _sede_data(name="Plaza del norte", key="norte", coordinators=[norte[1].pk]),
        )
        assert response.status_code == 302
        norte[0].refresh_from_db()
        assert norte[0].name == "Plaza del norte" and norte[0].city == "Houston"

    def test_only_coordinators_and_administrators_are_offered(
        self, as_user, administrador, coordinador, asesor, educando
    ):
        form = as_user(administrador).get(url(SEDE, "add")).context["form"]
        offered = set(form.fields["coordinators"].queryset)
        assert {coordinador, administrador} <= offered
        assert asesor not in offered and educando not in offered

    def test_an_asesor_posted_as_coordinator_is_refused(self, as_user, administrador, asesor):
        client = as_user(administrador)
        response = client.post(url(SEDE, "add"), _sede_data(coordinators=[asesor.pk]))
        assert response.status_code == 200
        assert response.context["form"].errors["coordinators"] == [str(NOT_A_COORDINATOR)]
        assert not Sede.objects.filter(key="consulado-houston").exists()

    def test_a_coordinator_cannot_create_or_change_sedes(self, as_user, norte):
        client = as_user(norte[1])
        assert denied(client.post(url(SEDE, "add"), _sede_data()))
        assert denied(client.post(url(SEDE, "edit", norte[0].pk), _sede_data(key="norte")))
        assert not Sede.objects.filter(key="consulado-houston").exists()
        norte[0].refresh_from_db()
        assert norte[0].name == "Plaza norte"

    def test_the_inspect_page_shows_a_coordinator_their_sede(self, as_user, norte):
        html = as_user(norte[1]).get(url(SEDE, "inspect", norte[0].pk)).content.decode()
        assert "Plaza norte" in html and "coordina-norte" in html


# --- Grupo forms ----------------------------------------------------------------------------


class TestGrupoForm:
    def test_the_sede_choices_are_the_coordinators_own(self, as_user, norte, sur):
        form = as_user(norte[1]).get(url(GRUPO, "add")).context["form"]
        assert list(form.fields["sede"].queryset) == [norte[0]]
        assert form.initial["sede"] == norte[0].pk  # a single sede comes chosen

    def test_a_coordinator_creates_a_grupo_in_their_sede(self, as_user, norte, asesor):
        client = as_user(norte[1])
        response = client.post(
            url(GRUPO, "add"), {"sede": norte[0].pk, "name": "Sábados", "asesores": [asesor.pk]}
        )
        assert response.status_code == 302
        grupo = Grupo.objects.get(sede=norte[0], name="Sábados")
        assert list(grupo.asesores.all()) == [asesor]

    def test_a_foreign_sede_is_a_form_error(self, as_user, norte, sur):
        client = as_user(norte[1])
        response = client.post(url(GRUPO, "add"), {"sede": sur[0].pk, "name": "Intruso"})
        assert response.status_code == 200
        assert response.context["form"].errors["sede"] == [str(NOT_YOUR_SEDE)]
        assert not Grupo.objects.filter(name="Intruso").exists()

    def test_moving_a_grupo_to_a_foreign_sede_is_a_form_error(self, as_user, norte, sur):
        client = as_user(norte[1])
        grupo = norte[2]
        response = client.post(url(GRUPO, "edit", grupo.pk), {"sede": sur[0].pk, "name": "X"})
        assert response.context["form"].errors["sede"] == [str(NOT_YOUR_SEDE)]
        grupo.refresh_from_db()
        assert grupo.sede == norte[0] and grupo.name == "Grupo 1"

    def test_a_coordinator_renames_their_grupo(self, as_user, norte):
        client = as_user(norte[1])
        response = client.post(
            url(GRUPO, "edit", norte[2].pk), {"sede": norte[0].pk, "name": "Tarde"}
        )
        assert response.status_code == 302
        norte[2].refresh_from_db()
        assert norte[2].name == "Tarde"

    def test_posting_to_another_sedes_grupo_is_404(self, as_user, norte, sur):
        client = as_user(norte[1])
        response = client.post(url(GRUPO, "edit", sur[2].pk), {"sede": norte[0].pk, "name": "Mío"})
        assert response.status_code == 404
        sur[2].refresh_from_db()
        assert sur[2].name == "Grupo 1" and sur[2].sede == sur[0]

    def test_only_asesores_are_offered_and_accepted(self, as_user, norte, asesor, educando):
        client = as_user(norte[1])
        offered = set(client.get(url(GRUPO, "add")).context["form"].fields["asesores"].queryset)
        assert asesor in offered and educando not in offered and norte[1] not in offered
        response = client.post(
            url(GRUPO, "add"), {"sede": norte[0].pk, "name": "Noche", "asesores": [educando.pk]}
        )
        assert response.context["form"].errors["asesores"] == [str(NOT_AN_ASESOR)]
        assert not Grupo.objects.filter(name="Noche").exists()

    def test_an_asesor_who_lost_the_role_can_be_removed(self, as_user, norte, asesor):
        norte[2].asesores.add(asesor)
        asesor.groups.clear()
        client = as_user(norte[1])
        form = client.get(url(GRUPO, "edit", norte[2].pk)).context["form"]
        assert asesor in set(form.fields["asesores"].queryset)
        response = client.post(
            url(GRUPO, "edit", norte[2].pk), {"sede": norte[0].pk, "name": "Grupo 1"}
        )
        assert response.status_code == 302
        assert not norte[2].asesores.exists()

    def test_the_same_name_twice_in_a_sede(self, as_user, norte):
        client = as_user(norte[1])
        response = client.post(url(GRUPO, "add"), {"sede": norte[0].pk, "name": "Grupo 1"})
        assert response.context["form"].errors["name"] == [str(GRUPO_NAME_TAKEN)]
        assert Grupo.objects.filter(sede=norte[0], name="Grupo 1").count() == 1

    def test_the_same_name_in_another_sede_is_fine(self, as_user, administrador, sur):
        client = as_user(administrador)
        Grupo.objects.create(sede=Sede.objects.get(key="norte"), name="Mañanas")
        response = client.post(url(GRUPO, "add"), {"sede": sur[0].pk, "name": "Mañanas"})
        assert response.status_code == 302


# --- Deleting grupos ------------------------------------------------------------------------


class TestDelete:
    def test_an_administrator_is_told_how_many_learners_leave(
        self, as_user, administrador, norte, make_learner
    ):
        make_learner("aprende1", norte[2])
        make_learner("aprende2", norte[2])
        html = as_user(administrador).get(url(GRUPO, "delete", norte[2].pk)).content.decode()
        assert "Este grupo tiene 2 educandos" in html

    def test_an_administrator_deletes_a_grupo_and_keeps_the_accounts(
        self, as_user, administrador, norte, make_learner
    ):
        learner = make_learner("aprende1", norte[2])
        response = as_user(administrador).post(url(GRUPO, "delete", norte[2].pk))
        assert response.status_code == 302
        assert not Grupo.objects.filter(pk=norte[2].pk).exists()
        assert not Membership.objects.filter(user=learner).exists()
        assert User.objects.filter(pk=learner.pk).exists()

    def test_a_coordinator_cannot_delete_a_grupo(self, as_user, norte):
        assert denied(as_user(norte[1]).post(url(GRUPO, "delete", norte[2].pk)))
        assert Grupo.objects.filter(pk=norte[2].pk).exists()

    def test_bulk_delete_finds_nothing_outside_the_scope(self, as_user, norte, sur):
        bulk = reverse("wagtail_bulk_action", args=("enrollment", "grupo", "delete"))
        response = as_user(norte[1]).get(bulk, {"id": [sur[2].pk]})
        assert response.status_code == 404
        response = as_user(norte[1]).post(f"{bulk}?id={sur[2].pk}")
        assert response.status_code == 404
        assert Grupo.objects.filter(pk=sur[2].pk).exists()

    def test_bulk_delete_by_a_coordinator_deletes_nothing(self, as_user, norte):
        bulk = reverse("wagtail_bulk_action", args=("enrollment", "grupo", "delete"))
        client = as_user(norte[1])
        client.post(f"{bulk}?id={norte[2].pk}")
        assert Grupo.objects.filter(pk=norte[2].pk).exists()

    def test_bulk_delete_by_an_administrator(self, as_user, administrador, norte, sur):
        bulk = reverse("wagtail_bulk_action", args=("enrollment", "grupo", "delete"))
        response = as_user(administrador).post(f"{bulk}?id={norte[2].pk}&id={sur[2].pk}")
        assert response.status_code == 302
        assert not Grupo.objects.filter(pk__in=[norte[2].pk, sur[2].pk]).exists()


# --- The chooser modal ----------------------------------------------------------------------


class TestChooser:
    def test_lists_only_the_coordinators_sedes(self, as_user, norte, sur):
        client = as_user(norte[1])
        html = client.get(url(SEDE_CHOOSER, "choose")).content.decode()
        assert "Plaza norte" in html and "Plaza sur" not in html
        html = client.get(url(GRUPO_CHOOSER, "choose_results")).content.decode()
        assert "Plaza norte" in html and "Plaza sur" not in html

    def test_choosing_another_sedes_object_is_404(self, as_user, norte, sur):
        client = as_user(norte[1])
        assert client.get(url(SEDE_CHOOSER, "chosen", sur[0].pk)).status_code == 404
        assert client.get(url(GRUPO_CHOOSER, "chosen", sur[2].pk)).status_code == 404
        assert client.get(url(SEDE_CHOOSER, "chosen", norte[0].pk)).status_code == 200
        response = client.get(url(GRUPO_CHOOSER, "chosen_multiple"), {"id": [sur[2].pk]})
        assert "Plaza sur" not in response.content.decode()

    def test_nothing_is_created_from_the_chooser(self, as_user, administrador):
        client = as_user(administrador)
        assert client.post(url(SEDE_CHOOSER, "create"), _sede_data()).status_code == 404
        assert not Sede.objects.filter(key="consulado-houston").exists()

    def test_asesores_and_learners_are_kept_out(self, client, asesor, educando):
        client.force_login(asesor)
        assert denied(client.get(url(SEDE_CHOOSER, "choose")))
        assert denied(client.get(url(GRUPO_CHOOSER, "choose")))
        client.force_login(educando)
        assert to_login(client.get(url(SEDE_CHOOSER, "choose")))


# --- Roles ----------------------------------------------------------------------------------


def test_ensure_roles_is_idempotent_and_gives_coordinators_grupos(coordinador, administrador):
    def perms():
        return {
            name: sorted(group.permissions.values_list("codename", flat=True))
            for name, group in accounts_api.ensure_roles().items()
        }

    first = perms()
    assert perms() == first
    coordinador = type(coordinador).objects.get(pk=coordinador.pk)  # fresh permission cache
    assert coordinador.has_perms(
        ["enrollment.view_sede", "enrollment.add_grupo", "enrollment.change_grupo"]
    )
    assert not coordinador.has_perm("enrollment.change_sede")
    assert not coordinador.has_perm("enrollment.delete_grupo")
    administrador = type(administrador).objects.get(pk=administrador.pk)
    assert administrador.has_perm("enrollment.delete_grupo")
    assert not administrador.has_perm("enrollment.delete_sede")


def test_the_policies_answer_per_object_questions_by_scope(norte, sur, administrador, asesor):
    from wagtail.permissions import policy_registry

    sedes = policy_registry.get_by_type(Sede)
    grupos = policy_registry.get_by_type(Grupo)
    coordinator = norte[1]
    assert sedes.user_has_permission_for_instance(coordinator, "view", norte[0])
    assert not sedes.user_has_permission_for_instance(coordinator, "view", sur[0])
    assert not sedes.user_has_permission_for_instance(coordinator, "change", norte[0])
    assert grupos.user_has_permission_for_instance(coordinator, "change", norte[2])
    assert not grupos.user_has_permission_for_instance(coordinator, "change", sur[2])
    assert not grupos.user_has_permission_for_instance(coordinator, "delete", norte[2])
    assert grupos.user_has_permission_for_instance(administrador, "delete", sur[2])
    assert not grupos.user_has_any_permission_for_instance(asesor, ["view", "change"], norte[2])
    assert list(grupos.instances_user_has_any_permission_for(coordinator, ["change"])) == [norte[2]]
    assert not grupos.instances_user_has_any_permission_for(asesor, ["view"]).exists()
    may_change = set(grupos.users_with_any_permission_for_instance(["change"], norte[2]))
    assert coordinator in may_change and administrador in may_change
    assert sur[1] not in may_change and asesor not in may_change
