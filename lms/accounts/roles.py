"""The four roles, as Django groups, and the permissions each one holds.

Page permissions (what each role may do in the course tree) are granted on the catalog
page by ``courses.api.grant_catalog_permissions``; this module names the roles and the
model permissions that are not page permissions.
"""

from django.utils.translation import gettext_lazy as _

EDUCANDO = "Educando"
ASESOR = "Asesor"
COORDINADOR = "Coordinador"
ADMINISTRADOR = "Administrador"

ALL_ROLES = (EDUCANDO, ASESOR, COORDINADOR, ADMINISTRADOR)

ROLE_LABELS = {
    EDUCANDO: _("Educando"),
    ASESOR: _("Asesor"),
    COORDINADOR: _("Coordinador"),
    ADMINISTRADOR: _("Administrador"),
}

# Model permissions ("app_label.codename") per role. Page-tree permissions are separate.
_MEDIA = [
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.choose_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.choose_document",
]
_CURRICULUM = [
    f"courses.{action}_{model}"
    for model in (
        "framework",
        "level",
        "eje",
        "module",
        "learningoutcome",
        "credentialrule",
        "credentialrequirement",
    )
    for action in ("add", "change", "delete", "view")
]

MODEL_PERMISSIONS: dict[str, list[str]] = {
    EDUCANDO: [],
    ASESOR: ["wagtailadmin.access_admin", *_MEDIA, "courses.view_module"],
    COORDINADOR: [
        "wagtailadmin.access_admin",
        *_MEDIA,
        *_CURRICULUM,
        "courses.edit_any_course",
        "courses.assign_asesores",
        "certificates.view_certificate",
        "certificates.change_certificate",
        # Sedes and grupos in the admin, limited to their own sedes by the permission
        # policies in ``enrollment/viewsets.py``: they see their sedes (an administrator
        # creates and changes them) and create and change the grupos in them. Deleting a
        # grupo takes its learners out of it (and so out of the coordinator's sight), so
        # that stays with administrators; a coordinator moves learners instead.
        "enrollment.view_sede",
        "enrollment.add_grupo",
        "enrollment.change_grupo",
        "enrollment.view_grupo",
    ],
    ADMINISTRADOR: [
        "wagtailadmin.access_admin",
        *_MEDIA,
        "wagtailimages.delete_image",
        "wagtaildocs.delete_document",
        *_CURRICULUM,
        "courses.edit_any_course",
        "courses.assign_asesores",
        "certificates.view_certificate",
        "certificates.change_certificate",
        "certificates.change_issuersettings",
        "enrollment.view_all_sedes",
        "enrollment.add_sede",
        "enrollment.change_sede",
        "enrollment.view_sede",
        "enrollment.add_grupo",
        "enrollment.change_grupo",
        "enrollment.view_grupo",
        "enrollment.delete_grupo",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.delete_user",
        "accounts.view_user",
        # The access log: read only (nobody holds add, change or delete).
        "accounts.view_accessrecord",
        "auth.add_group",
        "auth.change_group",
        "auth.view_group",
        "wagtailcore.add_workflow",
        "wagtailcore.change_workflow",
        "wagtailcore.add_task",
        "wagtailcore.change_task",
        "wagtailcore.change_site",
        "wagtailcore.view_site",
    ],
}

# Page-tree actions on the catalog (and so on every course below it).
PAGE_PERMISSIONS: dict[str, list[str]] = {
    EDUCANDO: [],
    # Asesores write drafts and submit them for pedagogical review; they never publish.
    ASESOR: ["add_page", "change_page", "view_page"],
    COORDINADOR: ["add_page", "change_page", "publish_page", "lock_page", "view_page"],
    ADMINISTRADOR: [
        "add_page",
        "change_page",
        "publish_page",
        "bulk_delete_page",
        "lock_page",
        "unlock_page",
        "view_page",
    ],
}

# The group that approves the pedagogical review task.
REVIEWERS = COORDINADOR
