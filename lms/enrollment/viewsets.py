"""Sedes and grupos in the Wagtail admin, each person limited to their own sedes.

Two things decide what someone may do here:

* the model permissions of their role (``accounts/roles.py``) say *what*: administrators
  add and change sedes and add, change and delete grupos; coordinators see sedes and add
  and change grupos; asesores and learners nothing;
* ``api.sedes_in_scope`` says *on which*: administrators all sedes, coordinators their
  own.

Wagtail's generic views check only the first (``PermissionCheckedMixin`` asks the policy
about the model, not the object) and look objects up in the whole table. So every view
here that takes an object id looks it up in the person's scope instead (another sede's
sede or grupo is a 404, as on the coordinator pages), and the permission policies below
answer the per-object questions Wagtail does ask (the delete button, bulk delete, copy)
with the scope too. The listings, the listing filter, the form choices and the chooser
modal are limited the same way.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_list_or_404, get_object_or_404
from django.utils.functional import cached_property, classproperty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_filters import ModelChoiceFilter
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views

from lms.enrollment import api
from lms.enrollment.admin_forms import GrupoAdminForm, SedeAdminForm
from lms.enrollment.models import Grupo, Sede

ACTIONS = ("add", "change", "delete", "view")


def yes_no(instance, field_name: str) -> str:
    return _("Sí") if getattr(instance, field_name) else _("No")


# --- Permission policies ------------------------------------------------------------------


class _ScopedPolicy(ModelPermissionPolicy):
    """Model permissions for *what*, ``sedes_in_scope`` for *which* objects."""

    def scope(self, user):
        """The objects ``user`` may see at all (their sedes, or the grupos in them)."""
        raise NotImplementedError

    def sede_id(self, instance) -> int:
        raise NotImplementedError

    def instance_in_scope(self, user, instance) -> bool:
        return api.sedes_in_scope(user=user).filter(pk=self.sede_id(instance)).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self.instance_in_scope(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and self.instance_in_scope(
            user, instance
        )

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return self.scope(user)

    def users_with_any_permission_for_instance(self, actions, instance):
        """Who holds the permission and sees all sedes or coordinates this one."""
        all_sedes = Permission.objects.filter(
            content_type__app_label="enrollment", codename="view_all_sedes"
        )
        return (
            self.users_with_any_permission(actions)
            .filter(
                Q(is_superuser=True)
                | Q(groups__permissions__in=all_sedes)
                | Q(user_permissions__in=all_sedes)
                | Q(coordinated_sedes=self.sede_id(instance))
            )
            .distinct()
        )


class SedePermissionPolicy(_ScopedPolicy):
    def scope(self, user):
        return api.sedes_in_scope(user=user)

    def sede_id(self, instance) -> int:
        return instance.pk


class GrupoPermissionPolicy(_ScopedPolicy):
    def scope(self, user):
        return Grupo.objects.filter(sede__in=api.sedes_in_scope(user=user))

    def sede_id(self, instance) -> int:
        return instance.sede_id


# --- Views: every object is looked up in the person's scope --------------------------------


class ScopedObjectMixin:
    """For the views that take an object id. Someone with no permission at all on the
    model gets 403 before anything is looked up; an object outside their sedes is 404."""

    def scoped_queryset(self):
        user = self.request.user
        policy = self.permission_policy
        if not policy.user_has_any_permission(user, ACTIONS):
            raise PermissionDenied
        return policy.instances_user_has_any_permission_for(user, ACTIONS)


class EditView(ScopedObjectMixin, snippet_views.EditView):
    def get_queryset(self):  # SingleObjectMixin.get_object() looks here
        return self.scoped_queryset()


class DeleteView(ScopedObjectMixin, snippet_views.DeleteView):
    def get_queryset(self):
        return self.scoped_queryset()


class InspectView(ScopedObjectMixin, snippet_views.InspectView):
    def get_object(self, queryset=None):
        return get_object_or_404(self.scoped_queryset(), pk=unquote(str(self.pk)))

    def get_field_display_value(self, field_name, field):
        value = getattr(self.object, field_name)
        if isinstance(value, bool):
            return yes_no(self.object, field_name)
        return super().get_field_display_value(field_name, field)


class HistoryView(ScopedObjectMixin, snippet_views.HistoryView):
    def get_base_object_queryset(self):
        return self.scoped_queryset()


class UsageView(ScopedObjectMixin, snippet_views.UsageView):
    def get_base_object_queryset(self):
        return self.scoped_queryset()


class GrupoDeleteView(DeleteView):
    @property
    def confirmation_message(self):
        learners = self.object.memberships.count()
        if not learners:
            return _("¿Seguro que quiere eliminar este grupo? No tiene educandos.")
        return ngettext(
            "Este grupo tiene %(count)s educando. Si lo elimina, dejará de pertenecer a "
            "este grupo y la coordinación de la sede ya no lo verá hasta que lo inscriba "
            "en otro grupo. Su cuenta, sus inscripciones y sus avances se conservan. "
            "¿Seguro que quiere eliminar el grupo?",
            "Este grupo tiene %(count)s educandos. Si lo elimina, dejarán de pertenecer a "
            "este grupo y la coordinación de la sede ya no los verá hasta que los inscriba "
            "en otro grupo. Sus cuentas, sus inscripciones y sus avances se conservan. "
            "¿Seguro que quiere eliminar el grupo?",
            learners,
        ) % {"count": learners}


# --- The chooser modal (Wagtail registers one for every snippet) ----------------------------


class ScopedChooserMixin:
    """The chooser lists, and returns, only objects in the person's scope; people with no
    permission on the model get 403."""

    @cached_property
    def scope_policy(self):
        return policy_registry.get_by_type(self.model_class)

    def dispatch(self, request, *args, **kwargs):
        if not self.scope_policy.user_has_any_permission(request.user, ACTIONS):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def scoped_queryset(self):
        return self.scope_policy.instances_user_has_any_permission_for(self.request.user, ACTIONS)


class ChooseView(ScopedChooserMixin, snippet_chooser.ChooseView):
    def get_object_list(self):
        return self.scoped_queryset()


class ChooseResultsView(ScopedChooserMixin, snippet_chooser.ChooseResultsView):
    def get_object_list(self):
        return self.scoped_queryset()


class ChosenView(ScopedChooserMixin, snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return self.scoped_queryset().get(pk=pk)


class ChosenMultipleView(ScopedChooserMixin, snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return self.scoped_queryset().filter(pk__in=pks)


class ChooserCreateView(snippet_chooser.SnippetCreateView):
    """Sedes and grupos are created in their own form, never from a chooser."""

    def dispatch(self, request, *args, **kwargs):
        raise Http404


class ScopedChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView
    chosen_view_class = ChosenView
    chosen_multiple_view_class = ChosenMultipleView
    create_view_class = ChooserCreateView


# --- Bulk delete from the listing ----------------------------------------------------------


class ScopedDeleteBulkAction(DeleteBulkAction):
    """Wagtail's bulk delete looks the ids up in the whole table and lists the ones the
    person may not delete by name; here ids outside the person's sedes are simply not
    found, so not even a name leaks."""

    @classproperty
    def models(cls):
        return [Sede, Grupo]

    def get_queryset(self, model, object_ids):  # an instance method here: it needs the user
        scope = self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ACTIONS
        )
        return get_list_or_404(scope, pk__in=object_ids)

    def get_all_objects_in_listing_query(self, parent_id):
        return self.permission_policy.instances_user_has_any_permission_for(
            self.request.user, ACTIONS
        ).values_list("pk", flat=True)


# --- The viewsets ---------------------------------------------------------------------------


class _ScopedSnippetViewSet(snippet_views.SnippetViewSet):
    edit_view_class = EditView
    delete_view_class = DeleteView
    inspect_view_class = InspectView
    history_view_class = HistoryView
    usage_view_class = UsageView
    chooser_viewset_class = ScopedChooserViewSet
    inspect_view_enabled = True  # how coordinators see a sede they may not change
    copy_view_enabled = False
    # Nothing else refers to sedes or grupos through fields Wagtail indexes.
    add_to_reference_index = False

    def get_common_view_kwargs(self, **kwargs):
        # Sedes and grupos are not in Wagtail's reference index, so its "used 0 times"
        # would mislead on the forms and the delete page; the usage view itself remains.
        return super().get_common_view_kwargs(**kwargs) | {"usage_url_name": None}

    def get_usage_view_kwargs(self, **kwargs):
        return super().get_usage_view_kwargs(usage_url_name=self.get_url_name("usage"), **kwargs)

    def scope(self, request):
        return policy_registry.get_by_type(self.model).instances_user_has_any_permission_for(
            request.user, ACTIONS
        )


class SedeViewSet(_ScopedSnippetViewSet):
    model = Sede
    icon = "site"
    menu_label = _("Sedes")
    search_fields = ["name", "key", "city", "state"]
    list_filter = ["kind", "active"]
    inspect_view_fields = ["name", "key", "kind", "city", "state", "coordinators", "active"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("key"),
            FieldPanel("kind"),
            FieldPanel("city"),
            FieldPanel("state"),
            FieldPanel("coordinators", widget=forms.CheckboxSelectMultiple),
            FieldPanel("active"),
            MultiFieldPanel(
                [
                    FieldPanel("certificate_name"),
                    FieldPanel("certificate_logo"),
                    FieldPanel("signatory_name"),
                    FieldPanel("signatory_title"),
                    FieldPanel("signature"),
                ],
                heading=_("En las constancias"),
                help_text=_(
                    "Con un nombre escrito aquí, las constancias de los educandos de esta sede "
                    "las emite la sede, con este logotipo y esta firma; lo que deje vacío se "
                    "toma de la organización emisora."
                ),
            ),
        ],
        base_form_class=SedeAdminForm,
    )

    @cached_property
    def list_display(self):
        return [
            "name",
            "kind",
            "city",
            "state",
            Column("grupo_count", label=_("Grupos"), sort_key="grupo_count"),
            Column("coordinator_count", label=_("Coordinadores"), sort_key="coordinator_count"),
            Column(
                "active",
                label=_("Activa"),
                accessor=lambda sede: yes_no(sede, "active"),
                sort_key="active",
            ),
        ]

    def get_queryset(self, request):
        return self.scope(request).annotate(
            grupo_count=Count("grupos", distinct=True),
            coordinator_count=Count("coordinators", distinct=True),
        )


class GrupoFilterSet(WagtailFilterSet):
    sede = ModelChoiceFilter(
        label=_("Sede"),
        queryset=lambda request: api.sedes_in_scope(user=request.user).order_by("name"),
    )

    class Meta:
        model = Grupo
        fields = ["sede"]


class GrupoViewSet(_ScopedSnippetViewSet):
    model = Grupo
    icon = "group"
    menu_label = _("Grupos")
    delete_view_class = GrupoDeleteView
    search_fields = ["name", "sede__name"]
    filterset_class = GrupoFilterSet
    inspect_view_fields = ["name", "sede", "asesores"]
    edit_handler = ObjectList(
        [
            # A plain list of the person's sedes, not Wagtail's chooser modal.
            FieldPanel("sede", widget=forms.Select),
            FieldPanel("name"),
            FieldPanel("asesores", widget=forms.CheckboxSelectMultiple),
        ],
        base_form_class=GrupoAdminForm,
    )

    @cached_property
    def list_display(self):
        return [
            "name",
            "sede",
            Column("learner_count", label=_("Educandos"), sort_key="learner_count"),
            Column("asesor_count", label=_("Asesores"), sort_key="asesor_count"),
        ]

    def get_queryset(self, request):
        return (
            self.scope(request)
            .select_related("sede")
            .annotate(
                learner_count=Count("memberships", distinct=True),
                asesor_count=Count("asesores", distinct=True),
            )
        )
