"""Roles and demo accounts: the four role groups with their permissions, and one demo
account per role for trying the site in development."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from courses import api as courses_api
from courses import read_models as courses_models
from lms.accounts import roles

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from lms.accounts.models import User


WAGTAIL_DEFAULT_GROUPS = ("Moderators", "Editors")


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def ensure_roles() -> dict[str, Group]:
    """Create or repair the four role groups, their permissions (model, page and
    collection permissions: images and documents), a collection for every course, and the
    pedagogical review workflow. Idempotent; needs the catalog page
    (``courses.api.ensure_site``)."""
    courses_api.ensure_course_collections()
    groups = {}
    for name in roles.ALL_ROLES:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(p) for p in roles.MODEL_PERMISSIONS[name]])
        courses_api.grant_catalog_permissions(group=group, codenames=roles.PAGE_PERMISSIONS[name])
        courses_api.grant_media_permissions(group=group, **roles.COLLECTION_PERMISSIONS[name])
        groups[name] = group
    courses_api.ensure_review_workflow(reviewers=groups[roles.REVIEWERS])
    # Wagtail's migrations create "Moderators" and "Editors" groups with rights over the
    # whole tree; Aula's roles replace them. Kept only if someone was put in one.
    Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS, user__isnull=True).delete()
    return groups


def user_has_role(user: User | AnonymousUser, role: str) -> bool:
    return user.is_authenticated and user.groups.filter(name=role).exists()


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


DEMO_ACCOUNTS = (
    DemoAccount("educanda", "estudio-en-casa", roles.EDUCANDO),
    DemoAccount("asesor", "preparo-lecciones", roles.ASESOR),
    DemoAccount("coordinadora", "acompano-la-sede", roles.COORDINADOR),
    DemoAccount("admin", "administro-aula", roles.ADMINISTRADOR),
)


@transaction.atomic
def ensure_demo_accounts() -> list[DemoAccount]:
    """One account per role, for trying the site in development. The caller must refuse
    to run this outside development. The demo asesor is assigned to every course."""
    groups = ensure_roles()
    model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, created = model.objects.get_or_create(username=account.username)
        if created:
            user.set_password(account.password)
            user.refresh_username_skeleton()
            user.save()
        user.groups.add(groups[account.role])
        if account.role == roles.ADMINISTRADOR and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if account.role == roles.ASESOR:
            for course in courses_models.CoursePage.objects.all():
                courses_api.assign_asesores(course=course, users=[*course.asesores.all(), user])
    return list(DEMO_ACCOUNTS)
