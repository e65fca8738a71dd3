"""The public Python API of ``courses``. Other apps, views, commands and tasks use this,
never the models directly, to change course pages or the curriculum.

Writes are keyword-only and idempotent where they set up the site, so start-up and tests
can call them any number of times.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Revision,
    Site,
    Task,
    TaskState,
    Workflow,
    WorkflowPage,
    WorkflowState,
    WorkflowTask,
)

from courses.assessment_review import (
    ReviewWarning,
    assessment_warnings,
    course_warnings,
    outcome_groups,
    review_assessment,
)
from courses.curriculum import (
    DATA_DIR,
    CredentialProgress,
    credential_progress,
    credentials_progress,
    load_framework_file,
)
from courses.library.exporter import export_course
from courses.library.importer import ImportReport, import_library
from courses.media import (
    MEDIA_ACTIONS,
    course_collection,
    ensure_course_collections,
    grant_media_permissions,
)
from courses.models import (
    AssessmentKind,
    CatalogPage,
    CoursePage,
    Framework,
    HomePage,
    Module,
)
from courses.models.routing import current_generation as page_generation
from courses.models.routing import serve as serve_page
from courses.page_cache import body_is_shared
from courses.selectors import (
    CourseSteps,
    OfflinePage,
    Step,
    assessment_at,
    catalog_courses,
    catalog_filters,
    course_of_page,
    course_outline,
    course_steps,
    flat_steps,
    lesson_navigation,
    offline_pages,
    step_courses,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest

__all__ = [
    "MEDIA_ACTIONS",
    "AssessmentKind",
    "CourseSteps",
    "CredentialProgress",
    "ImportReport",
    "OfflinePage",
    "ReviewWarning",
    "Step",
    "assessment_at",
    "assessment_warnings",
    "assign_asesores",
    "body_is_shared",
    "catalog_courses",
    "catalog_filters",
    "course_collection",
    "course_of_page",
    "course_outline",
    "course_steps",
    "course_warnings",
    "credential_progress",
    "credentials_progress",
    "ensure_course_collections",
    "ensure_review_workflow",
    "ensure_site",
    "export_course",
    "flat_steps",
    "grant_catalog_permissions",
    "grant_media_permissions",
    "import_library",
    "lesson_navigation",
    "load_curriculum",
    "modules_by_key",
    "offline_pages",
    "outcome_groups",
    "page_generation",
    "page_revision",
    "page_urls",
    "review_assessment",
    "serve_page",
    "step_courses",
]

REVIEW_WORKFLOW_NAME = "Revisión pedagógica"
# The workflow (and its task) that Wagtail's migrations create; Aula retires it.
WAGTAIL_DEFAULT_WORKFLOW_NAME = "Moderators approval"


@transaction.atomic
def ensure_site(*, hostname: str = "localhost", port: int = 80) -> tuple[HomePage, CatalogPage]:
    """The page tree every Aula site has: a home page at the site root and the catalog at
    ``/cursos/``. Replaces Wagtail's placeholder welcome page on a fresh database."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(
            title="Aula",
            slug="inicio",
            draft_title="Aula",
            intro=_("<p>Estudie la primaria, la secundaria y más, desde su casa y en español.</p>"),
        )
        root.add_child(instance=home)
        home.save_revision(log_action=False).publish(log_action=False)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname=hostname, port=port, root_page=home, is_default_site=True, site_name="Aula"
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = site.site_name or "Aula"
        site.save()
    # Wagtail's migrations create a "Welcome to your new Wagtail site!" page; drop it.
    root.get_children().exclude(pk=home.pk).filter(
        content_type__model="page", content_type__app_label="wagtailcore"
    ).delete()
    catalog = CatalogPage.objects.first()
    if catalog is None:
        catalog = CatalogPage(
            title=_("Cursos"),
            slug="cursos",
            intro=_("<p>Elija un curso. Todos son gratuitos y en español.</p>"),
        )
        home.add_child(instance=catalog)
        catalog.save_revision(log_action=False).publish(log_action=False)
    return home, catalog


@transaction.atomic
def grant_catalog_permissions(*, group: Group, codenames: Iterable[str]) -> None:
    """Give ``group`` exactly these page permissions on the catalog (and so on every
    course). Asesores' permissions are further limited to their own courses by
    ``CoursePermissionTester``."""
    catalog = CatalogPage.objects.get()
    wanted = set(codenames)
    current = GroupPagePermission.objects.filter(group=group, page=catalog)
    current.exclude(permission__codename__in=wanted).delete()
    have = set(current.values_list("permission__codename", flat=True))
    for codename in sorted(wanted - have):
        GroupPagePermission.objects.create(
            group=group,
            page=catalog,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )


@transaction.atomic
def ensure_review_workflow(*, reviewers: Group) -> Workflow:
    """The "Revisión pedagógica" moderation workflow on the catalog: changes to any course
    are approved by ``reviewers`` before they are published."""
    task, _created = GroupApprovalTask.objects.get_or_create(name=REVIEW_WORKFLOW_NAME)
    task.groups.set([reviewers])
    workflow, _created = Workflow.objects.get_or_create(name=REVIEW_WORKFLOW_NAME)
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    catalog = CatalogPage.objects.get()
    WorkflowPage.objects.update_or_create(page=catalog, defaults={"workflow": workflow})
    _retire_wagtail_default_workflow()
    return workflow


def _retire_wagtail_default_workflow() -> None:
    """Wagtail's migrations create a "Moderators approval" workflow on the root page, so
    an admin would offer it beside "Revisión pedagógica". Never used: deleted. Used before
    (its history names it): kept for that history but taken off every page and disabled,
    unless a page is still waiting in it, which finishes first (a later run disables it)."""
    for workflow in Workflow.objects.filter(name=WAGTAIL_DEFAULT_WORKFLOW_NAME):
        WorkflowPage.objects.filter(workflow=workflow).delete()
        states = WorkflowState.objects.filter(workflow=workflow)
        if not states.exists():
            workflow.delete()
        elif not states.active().exists() and workflow.active:
            workflow.active = False
            workflow.save(update_fields=["active"])
    for task in Task.objects.filter(name=WAGTAIL_DEFAULT_WORKFLOW_NAME):
        task_states = TaskState.objects.filter(task=task)
        if not WorkflowTask.objects.filter(task=task).exists() and not task_states.exists():
            task.delete()
        elif task.active and not (
            WorkflowTask.objects.filter(task=task, workflow__active=True).exists()
            or task_states.filter(status=TaskState.STATUS_IN_PROGRESS).exists()
        ):
            task.active = False
            task.save(update_fields=["active"])


def load_curriculum(*, path: Path | None = None, update: bool = True) -> Framework:
    """Load a curriculum framework from a data file (default: MEVyT)."""
    return load_framework_file(path or DATA_DIR / "mevyt.yaml", update=update)


@transaction.atomic
def assign_asesores(*, course: CoursePage, users: Iterable[AbstractBaseUser]) -> None:
    """Set who may edit ``course`` (besides coordinators and administrators)."""
    course.asesores.set(list(users))
    course.asesores.commit()


def modules_by_key(*, keys: Iterable[str]) -> dict[str, Module]:
    """Curriculum modules by key (any framework), with their level, eje and live courses."""
    modules = Module.objects.filter(key__in=list(keys)).select_related("level", "eje")
    return {m.key: m for m in modules.prefetch_related("courses")}


def page_urls(
    *, page_ids: Iterable[int], request: HttpRequest | None = None
) -> dict[int, str | None]:
    """Relative URLs of live pages, in one query, none for no page (None for a page no
    site routes to)."""
    ids = list(page_ids)
    if not ids:
        return {}
    return {page.pk: page.get_url(request) for page in Page.objects.live().filter(pk__in=ids)}


def page_revision(*, page_id: int, revision_id: int) -> Revision | None:
    """Revision ``revision_id`` if it is one of page ``page_id``'s, else None. One query."""
    return Revision.objects.filter(pk=revision_id, object_id=str(page_id)).first()
