"""Wagtail's admin is inside the authorization matrix.

Every admin URL is found from the URL resolver (a new one is tried without anyone adding
it here) and opened with GET by the six roles and an anonymous visitor. Objects named in
the URL belong to *another* sede ("Plaza Lejanía") wherever the URL names a sede, grupo or
person, and the world holds audit-log entries of that sede's grupo and of a certificate of
its learner. What must hold:

- anonymous visitors and learners get nothing from the admin but its log-in and
  password-reset pages;
- no role gets a server error;
- no page, list, chooser, report or export (CSV and XLSX read back) shown to a
  coordinator of another sede, an asesor or a coordinator without a sede names anything
  of Plaza Lejanía; asesores and coordinators without a sede see nothing of Plaza
  Cercanía either. Administrators see everything (checked: the marker does appear for
  them, so the search for it is not vacuous).
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.urls.exceptions import NoReverseMatch
from wagtail.documents import get_document_model
from wagtail.log_actions import log
from wagtail.models import Collection, Site, Task, Workflow

from courses.models import LessonPage, Module
from lms.accounts import roles
from lms.certificates import api as certificates_api
from lms.certificates.models import Certificate
from lms.enrollment.models import Grupo, Sede
from tests.helpers import complete
from tests.routes import ROLES, named_routes
from tests.test_security_headers import _image

FAR = "Lejan"  # every name of Plaza Lejanía's objects carries it
NEAR = "Cercan"  # and Plaza Cercanía's
# The admin pages anyone may open: signing in and resetting a password.
PUBLIC = {
    "wagtailadmin_login",
    "wagtailadmin_password_reset",
    "wagtailadmin_password_reset_done",
    "wagtailadmin_password_reset_confirm",
    "wagtailadmin_password_reset_complete",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
}
# Wagtail's deliberate error page (for checking error reporting) raises on purpose, and
# opening the log-out address would end the session the rest of the run needs.
SKIPPED = {"wagtailadmin_error_test", "wagtailadmin_logout"}
# Exports a report offers, read back and searched like any page.
EXPORTS = (
    "/admin/reports/site-history/?export=csv",
    "/admin/reports/site-history/?export=xlsx",
    "/admin/reports/aging-pages/?export=csv",
    "/admin/reports/locked/?export=csv",
    "/admin/reports/workflow/?export=csv",
    "/admin/reports/workflow_tasks/?export=csv",
)


def admin_patterns():
    """(name, parameter names) of every named URL under admin/."""
    return sorted(
        {
            (route.name, route.parameters)
            for route in named_routes()
            if route.route.startswith("admin/")
        }
    )


@pytest.fixture
def world(sedes, make_learner, make_user, course, django_capture_on_commit_callbacks):
    near_sede, coordinator, near_grupo = sedes["norte"]
    far_sede, far_coordinator, far_grupo = sedes["sur"]
    administrator = make_user("jefa", roles.ADMINISTRADOR)
    Sede.objects.filter(pk=near_sede.pk).update(name="Plaza Cercanía")
    Sede.objects.filter(pk=far_sede.pk).update(name="Plaza Lejanía")
    Grupo.objects.filter(pk=near_grupo.pk).update(name="Círculo Cercanía")
    Grupo.objects.filter(pk=far_grupo.pk).update(name="Círculo Lejanía")
    for obj in (near_sede, far_sede, near_grupo, far_grupo):
        obj.refresh_from_db()
    near = make_learner("cercania-ana", near_grupo, course, display_name="Ana Cercanía")
    far = make_learner("lejania-eva", far_grupo, course, display_name="Eva Lejanía")
    with django_capture_on_commit_callbacks(execute=True):
        far_enrollment = complete(far, course)
        near_enrollment = complete(near, course)
    far_certificate = Certificate.objects.get(enrollment=far_enrollment)
    near_certificate = Certificate.objects.get(enrollment=near_enrollment)
    # Audit-log entries of each sede's objects, as the admin and the coordinators make them.
    for grupo, sede, who in (
        (far_grupo, far_sede, far_coordinator),
        (near_grupo, near_sede, coordinator),
    ):
        log(instance=grupo, action="wagtail.edit", user=who)
        log(instance=sede, action="wagtail.edit", user=administrator)
    certificates_api.revoke(certificate=far_certificate, by=far_coordinator, reason="Prueba")
    certificates_api.revoke(certificate=near_certificate, by=coordinator, reason="Prueba")
    lesson = LessonPage.objects.child_of(course).first() or LessonPage.objects.first()
    lesson.save_revision(user=administrator)
    image = _image()
    document = get_document_model().objects.create(title="Guía", file=_pdf())
    users = {
        "anonymous": None,
        "educando": near,
        "asesor": make_user("asesora", roles.ASESOR),
        "coordinator_without_sede": make_user("sin-sede", roles.COORDINADOR),
        "other_coordinator": far_coordinator,
        "coordinator": coordinator,
        "administrator": administrator,
    }
    # The coordinator of Plaza Cercanía looks at URLs that name Plaza Lejanía's objects.
    values = {
        "page_id": lesson.pk,
        "pk": lesson.pk,
        "parent_page_id": course.pk,
        "page_pk": lesson.pk,
        "page_to_move_id": lesson.pk,
        "destination_id": course.pk,
        "revision_id": lesson.latest_revision_id,
        "revision_id_a": "earliest",
        "revision_id_b": "latest",
        "image_id": image.pk,
        "document_id": document.pk,
        "doc_id": document.pk,
        "collection_id": Collection.get_first_root_node().pk,
        "task_id": Task.objects.first().pk,
        "workflow_pk": Workflow.objects.first().pk,
        "app_label": "enrollment",
        "app_name": "enrollment",
        "content_type_app_name": "courses",
        "model_name": "grupo",
        "content_type_model_name": "lessonpage",
        "object_id": str(far_grupo.pk),
        "filter_spec": "width-100",
        "action": "delete",
        "action_name": "approve",
        "uidb64": "MQ",
        "token": "x-y",
        "session_id": 999999,
        "uploaded_file_id": 999999,
        "task_state_id": 999999,
        "workflow_state_id": 999999,
    }
    # ``pk`` means a different object for each viewset: pick by the URL's name.
    pk_by_name = [
        ("enrollment_grupo", far_grupo.pk),
        ("enrollment_sede", far_sede.pk),
        ("courses_", Module.objects.order_by("pk").first().pk),
        ("wagtailimages", image.pk),
        ("wagtaildocs", document.pk),
        ("wagtailusers_users", far.pk),
        ("wagtailsites", Site.objects.first().pk),
        ("collections", Collection.get_first_root_node().pk),
        ("workflows:edit_task", Task.objects.first().pk),
        ("workflows:enable_task", Task.objects.first().pk),
        ("workflows:disable_task", Task.objects.first().pk),
        ("workflows", Workflow.objects.first().pk),
        ("api:images", image.pk),
        ("api:documents", document.pk),
        ("wagtailsettings", 1),
    ]
    return {"users": users, "values": values, "pk_by_name": pk_by_name, "far": far}


def _pdf():
    from django.core.files.base import ContentFile

    return ContentFile(b"%PDF-1.4\n%%EOF\n", name="guia.pdf")


def _urls(world) -> list[tuple[str, str]]:
    urls = []
    for name, params in admin_patterns():
        if name in SKIPPED:
            continue
        kwargs = {}
        for param in params:
            value = world["values"].get(param, 999999)
            if param == "pk":
                value = next(
                    (pk for key, pk in world["pk_by_name"] if key in name),
                    world["values"]["pk"],
                )
                if name.startswith("wagtailsnippets_courses_"):
                    model = name.split("_")[2].split(":")[0]
                    value = _first_pk("courses", model)
            kwargs[param] = value
        try:
            urls.append((name, reverse(name, kwargs=kwargs)))
        except NoReverseMatch:
            urls.append((name, None))
    for export in EXPORTS:
        urls.append(("export", export))
    return urls


def _first_pk(app_label, model_name):
    from django.apps import apps

    model = apps.get_model(app_label, model_name)
    obj = model.objects.order_by("pk").first()
    return obj.pk if obj else 999999


def _text(response) -> str:
    content_type = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in content_type:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    return body.decode("utf-8", "replace")


def test_every_admin_url_reverses(world):
    missing = [name for name, url in _urls(world) if url is None]
    assert not missing, f"teach _urls how to fill these: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_admin_matrix(client, world, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    leaks, errors, opened = [], [], []
    for name, url in _urls(world):
        response = client.get(url)
        status = response.status_code
        if status >= 500:
            errors.append((name, url, status))
            continue
        if role in ("anonymous", "educando"):
            if status == 200 and name not in PUBLIC:
                opened.append((name, url))
            continue
        if status != 200:
            continue
        text = _text(response)
        markers = () if role == "administrator" else (FAR,)
        if role in ("asesor", "coordinator_without_sede", "educando"):
            markers = (FAR, NEAR)
        if role == "other_coordinator":
            markers = (NEAR,)  # Plaza Lejanía is theirs; Plaza Cercanía is not
        for marker in markers:
            if marker in text:
                where = text.index(marker)
                leaks.append(
                    (name, url, marker, re.sub(r"\s+", " ", text[where - 80 : where + 40]))
                )
    if user is not None:  # still signed in: every URL above was seen as this person
        assert client.session.get("_auth_user_id") == str(user.pk)
    assert errors == [], errors
    assert opened == [], opened
    assert leaks == [], leaks


def test_administrators_do_see_every_sede(client, world):
    """The marker search above is not vacuous: the same reports name both sedes for an
    administrator."""
    client.force_login(world["users"]["administrator"])
    text = _text(client.get("/admin/reports/site-history/?export=csv"))
    assert FAR in text and NEAR in text
    assert FAR in client.get("/admin/reports/site-history/").content.decode()


def test_entries_written_before_the_upgrade_move_to_the_scoped_log(sedes):
    """The data migration moves a grupo's, a sede's and a constancia's existing entries
    out of Wagtail's general log, keeping every field."""
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from wagtail.models import ModelLogEntry

    from lms.enrollment.audit import SedeScopedLogEntry

    migration = importlib.import_module("lms.enrollment.migrations.0007_scoped_audit_log")
    grupo = sedes["sur"][2]
    old = ModelLogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(grupo),
        object_id=str(grupo.pk),
        label="Círculo viejo",
        action="wagtail.edit",
        timestamp=timezone.now(),
        data={"antes": 1},
    )
    other = ModelLogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Site),
        object_id="1",
        label="Sitio",
        action="wagtail.edit",
        timestamp=timezone.now(),
    )
    migration.move_entries(apps, None)
    moved = SedeScopedLogEntry.objects.get(object_id=str(grupo.pk), label="Círculo viejo")
    assert (moved.action, moved.data, moved.timestamp) == (old.action, old.data, old.timestamp)
    assert not ModelLogEntry.objects.filter(pk=old.pk).exists()
    assert ModelLogEntry.objects.filter(pk=other.pk).exists()  # other models stay
