"""Images and documents of the courses: the collection tree, the collection permissions of
the roles, and who may do what with each file.

The collection tree follows the course tree::

    Root
    ├── Cursos
    │   ├── <one collection per course, named by its title>
    │   └── …
    └── Biblioteca de cursos   (the files of the shipped course library: ``content.library``)

Wagtail keeps image and document permissions per collection (``GroupCollectionPermission``,
inherited by the collections below). The roles hold theirs on the root (every file) or on
"Cursos" (``grant_media_permissions``). As with pages (``CoursePermissionTester``), an
asesor — anyone without ``courses.edit_any_course`` — keeps the add and change
permissions granted on "Cursos" only in the collections of the courses they are assigned
to: ``CourseMediaPermissionPolicy`` narrows them, reading ``CoursePage.asesores`` when it
asks, so there is nothing to keep in step when a course's asesores change.

Deleting a file that a page uses breaks that page for every learner, and Wagtail keeps no
trash for files: so deleting takes the "delete" collection permission (administrators),
except that anyone may delete a file they uploaded themselves that no page uses (a
mistaken upload).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Model, Q
from django.db.models.signals import post_save
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, ReferenceIndex
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy
from wagtail.permissions import register_permission_policy

from courses.models import CourseCollection, CoursePage

COURSES_COLLECTION_NAME = "Cursos"
MEDIA_ACTIONS = ("add", "change", "choose", "delete")
# Actions narrowed to the asesor's own courses.
_COURSE_ACTIONS = ("add", "change")


def courses_collection() -> Collection:
    """The "Cursos" collection, parent of every course's collection (created if missing)."""
    root = Collection.get_first_root_node()
    existing = root.get_children().filter(name=COURSES_COLLECTION_NAME).first()
    return existing or root.add_child(name=COURSES_COLLECTION_NAME)


def course_collection(course: CoursePage) -> Collection:
    """The collection of ``course``'s own images and documents, created under "Cursos" if
    it has none, and renamed to follow the course's title."""
    link = CourseCollection.objects.select_related("collection").filter(course=course).first()
    name = course.title[:255]
    if link is None:
        collection = courses_collection().add_child(name=name)
        CourseCollection.objects.create(course=course, collection=collection)
        return collection
    collection = link.collection
    if collection.name != name:
        collection.name = name
        collection.save(update_fields=["name"])
    return collection


@transaction.atomic
def ensure_course_collections() -> None:
    """A collection for every course (and the "Cursos" collection). Idempotent."""
    courses_collection()
    for course in CoursePage.objects.all():
        course_collection(course)


def _media_permission(model: type[Model], action: str) -> Permission:
    return Permission.objects.get(
        content_type__app_label=model._meta.app_label,
        codename=f"{action}_{model._meta.model_name}",
    )


@transaction.atomic
def grant_media_permissions(
    *, group: Group, everywhere: Iterable[str], in_courses: Iterable[str] = ()
) -> None:
    """Give ``group`` exactly these actions (``MEDIA_ACTIONS``) on images and documents:
    ``everywhere`` on the root collection (every file), ``in_courses`` on "Cursos" (for an
    asesor: the collections of their own courses). Idempotent: repairs what is missing and
    removes what is not listed, on those two collections."""
    wanted_by_collection = {
        Collection.get_first_root_node(): set(everywhere),
        courses_collection(): set(in_courses),
    }
    for collection, actions in wanted_by_collection.items():
        for model in (get_image_model(), get_document_model()):
            wanted = {_media_permission(model, action) for action in actions}
            every = {_media_permission(model, action) for action in MEDIA_ACTIONS}
            GroupCollectionPermission.objects.filter(
                group=group, collection=collection, permission__in=every - wanted
            ).delete()
            for permission in wanted:
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=collection, permission=permission
                )


@dataclass(frozen=True, eq=False)
class _NarrowedPermission:
    """A ``GroupCollectionPermission`` as the policy reads it (permission and collection),
    moved down to one of the asesor's course collections."""

    permission: Permission
    collection: Collection

    @property
    def collection_id(self) -> int:
        return int(self.collection.pk)


class CourseMediaPermissionPolicy(CollectionOwnershipPermissionPolicy):  # type: ignore[misc]
    """Wagtail's policy for images and documents, with the asesor's narrowing and the
    stricter delete described in this module's docstring."""

    # Not Wagtail's cache attribute: the collection management policy fills that one
    # with the permissions as granted, before narrowing.
    permission_cache_name = "_aula_media_permission_cache"

    def get_all_permissions_for_user(self, user: Any) -> Any:
        granted = super().get_all_permissions_for_user(user)
        if not user.is_active or user.is_anonymous or user.is_superuser:
            return granted
        granted = list(granted)
        if user.has_perm("courses.edit_any_course"):
            return granted
        own = None
        permissions = []
        for permission in granted:
            if permission.permission.codename.split("_", 1)[0] not in _COURSE_ACTIONS:
                permissions.append(permission)
                continue
            if own is None:
                own = list(Collection.objects.filter(course_link__course__asesores=user))
            permissions.extend(
                _NarrowedPermission(permission=permission.permission, collection=collection)
                for collection in own
                if collection.pk == permission.collection_id
                or collection.is_descendant_of(permission.collection)
            )
        return permissions

    # --- delete ---------------------------------------------------------------------

    def _may_delete(self, user: Any, instance: Any) -> bool:
        if not (user.is_active and user.is_authenticated):
            return False
        if user.is_superuser or self._check_perm(user, ["delete"], instance.collection):
            return True
        return (
            instance.uploaded_by_user_id == user.pk
            and self._check_perm(user, ["add", "change"], instance.collection)
            and not ReferenceIndex.get_references_to(instance).exists()
        )

    def user_has_permission(self, user: Any, action: str) -> bool:
        if action == "delete":
            return bool(self._check_perm(user, ["delete", "add", "change"]))
        return bool(super().user_has_permission(user, action))

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(
        self, user: Any, actions: Iterable[str], instance: Any
    ) -> bool:
        actions = set(actions)
        if "delete" in actions and self._may_delete(user, instance):
            return True
        others = actions - {"delete"}
        return bool(others) and super().user_has_any_permission_for_instance(user, others, instance)

    def instances_user_has_any_permission_for(self, user: Any, actions: Iterable[str]) -> Any:
        actions = set(actions)
        others = actions - {"delete"}
        found = (
            super().instances_user_has_any_permission_for(user, others)
            if others
            else self.model._default_manager.none()
        )
        if "delete" not in actions or user.is_superuser or not user.is_authenticated:
            return found
        # Deletable: in a collection with "delete", or an own upload where the user may add
        # (whether a page uses it is checked for each file, when it is deleted).
        deletable = self.model._default_manager.filter(
            Q(collection__in=self._collections_with_perm(user, ["delete"]))
            | Q(collection__in=self._collections_with_perm(user, ["add", "change"]))
            & Q(uploaded_by_user=user)
        )
        return self.model._default_manager.filter(
            Q(pk__in=found.values("pk")) | Q(pk__in=deletable.values("pk"))
        )


def register_policies() -> None:
    """Use ``CourseMediaPermissionPolicy`` for images and documents (from ``ready``)."""
    for model, auth_model in (
        (get_image_model(), "wagtailimages.Image"),
        (get_document_model(), "wagtaildocs.Document"),
    ):
        register_permission_policy(
            model,
            CourseMediaPermissionPolicy(
                model, auth_model=auth_model, owner_field_name="uploaded_by_user"
            ),
            exact_class=True,
        )


def _course_saved(sender: type, instance: CoursePage, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        course_collection(instance)


def connect() -> None:
    """Every course gets its collection when it is created, renamed with it."""
    post_save.connect(_course_saved, sender=CoursePage, dispatch_uid="course_collection")
