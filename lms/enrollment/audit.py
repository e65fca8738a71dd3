"""Audit-log entries of objects that belong to a sede, seen only within that sede.

Wagtail keeps the history of snippets and other models in ``ModelLogEntry`` and shows an
entry to anyone who holds *any* permission on its model: every coordinator would read, in
"Historial del sitio" and its CSV/XLSX export, what happened to every sede's grupos and to
every learner's constancias. The entries of the models registered here go to
``SedeScopedLogEntry`` instead (Wagtail's own extension point, ``register_model`` of its
log registry), whose ``viewable_by_user`` also applies the sede scope: administrators see
all of them, a coordinator those of their own sedes' objects, anyone else none.

Apps register their models with ``register_scoped_model`` from ``AppConfig.ready``,
giving the function that says which objects a person may see (a queryset of them).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import registry as log_registry
from wagtail.models.audit_log import BaseLogEntry, ModelLogEntryManager

_scopes: dict[type[models.Model], Callable] = {}


def register_scoped_model(model: type[models.Model], *, in_scope: Callable) -> None:
    """Log ``model``'s entries as sede-scoped; ``in_scope(user)`` returns the objects of
    ``model`` that ``user`` may see (a queryset)."""
    _scopes[model] = in_scope
    log_registry.register_model(model, SedeScopedLogEntry)


def _may_see_model(user, model) -> bool:
    """Wagtail's rule for a model's log entries: any permission on the model."""
    opts = model._meta
    return any(
        user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
        for action in ("add", "change", "delete", "view")
    )


class SedeScopedLogEntryManager(ModelLogEntryManager):
    def viewable_by_user(self, user):
        # Not Wagtail's ``viewable_by_user``: it caches the visible content types on the
        # user object, computed from whichever log table asked first.
        if user.is_superuser:
            return self.all()
        everything = user.has_perm("enrollment.view_all_sedes")
        visible = Q(pk__in=[])
        for model, in_scope in _scopes.items():
            if not _may_see_model(user, model):
                continue
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            if everything:
                visible |= Q(content_type=content_type)
            else:
                ids = in_scope(user).annotate(_id=Cast("pk", CharField())).values("_id")
                visible |= Q(content_type=content_type, object_id__in=ids)
        return self.filter(visible)


class SedeScopedLogEntry(BaseLogEntry):
    """An audit-log entry of a grupo, a sede or a constancia (see the module)."""

    object_id = models.CharField(max_length=255, blank=False, db_index=True)

    objects = SedeScopedLogEntryManager()

    class Meta(BaseLogEntry.Meta):
        ordering = ["-timestamp", "-id"]
        verbose_name = _("registro de cambios de una sede")
        verbose_name_plural = _("registros de cambios de las sedes")

    def __str__(self) -> str:
        return f"{self.action} · {self.label}"
