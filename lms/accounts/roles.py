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

# Model permissions ("app_label.codename") per role. Page-tree permissions and image and
# document permissions (per collection, COLLECTION_PERMISSIONS) are separate.
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
    ASESOR: ["wagtailadmin.access_admin", "courses.view_module"],
    COORDINADOR: [
        "wagtailadmin.access_admin",
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

# Images and documents (video, audio, captions and downloads are documents), per Wagtail
# collection (``courses.media``): "everywhere" is granted on the root collection (every
# file), "in_courses" on the "Cursos" collection, where an asesor keeps them only in the
# collections of the courses they are assigned to. Everyone who writes lessons chooses any
# file (so shared media are reused). Deleting a file that a page uses breaks the page for
# every learner, so "delete" is the administrators'; anyone may delete their own upload
# that no page uses.
COLLECTION_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    EDUCANDO: {"everywhere": [], "in_courses": []},
    ASESOR: {"everywhere": ["choose"], "in_courses": ["add", "change"]},
    COORDINADOR: {"everywhere": ["add", "change", "choose"], "in_courses": []},
    ADMINISTRADOR: {"everywhere": ["add", "change", "choose", "delete"], "in_courses": []},
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
