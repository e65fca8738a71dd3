"""People in the Wagtail admin: Wagtail's user views with Aula's forms, and the access log
administrators read.

``wagtail_users.AulaUsersConfig`` (in ``INSTALLED_APPS`` in place of ``wagtail.users``)
points Wagtail at the viewset below; it is how Wagtail 8 takes custom user forms.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from lms.accounts.admin_forms import AulaUserCreationForm, AulaUserEditForm
from lms.accounts.models import AccessAction, AccessRecord


class UserViewSet(WagtailUserViewSet):
    create_template_name = "accounts/admin/user_create.html"
    edit_template_name = "accounts/admin/user_edit.html"

    def get_form_class(self, for_update=False):
        return AulaUserEditForm if for_update else AulaUserCreationForm


# --- The access log ("Registro de accesos") ---------------------------------------------------


class AccessRecordFilterSet(WagtailFilterSet):
    actor_username = django_filters.CharFilter(label=_("Quién (usuario)"), lookup_expr="iexact")
    subject__username = django_filters.CharFilter(
        label=_("De quién (usuario)"), lookup_expr="iexact"
    )
    action = django_filters.ChoiceFilter(label=_("Qué"), choices=AccessAction.choices)
    at = django_filters.DateFromToRangeFilter(label=_("Cuándo"), widget=DateRangePickerWidget)
    address = django_filters.CharFilter(
        label=_("Desde dónde (dirección)"), lookup_expr="startswith"
    )

    class Meta:
        model = AccessRecord
        fields = ["actor_username", "subject__username", "action", "at", "address"]


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Administrators read the access log; nobody, superusers included, changes it."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)


register_permission_policy(AccessRecord, ReadOnlyPolicy(AccessRecord))


class AccessRecordViewSet(ModelViewSet):
    model = AccessRecord
    icon = "view"
    menu_label = _("Registro de accesos")
    menu_order = 900
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    filterset_class = AccessRecordFilterSet
    search_fields = ["actor_username", "detail", "address"]
    list_display = ["at", "actor_username", "action", "subject", "address", "detail"]
    list_export = ["at", "actor_username", "action", "subject", "address", "user_agent", "detail"]
    export_filename = "registro-de-accesos"
    # Wagtail wants a form for its edit view, which the read-only policy never lets open.
    exclude_form_fields = []
    inspect_view_fields = [
        "at",
        "actor_username",
        "action",
        "subject",
        "detail",
        "address",
        "user_agent",
    ]

    def get_queryset(self, request):
        return AccessRecord.objects.select_related("subject")


@hooks.register("register_admin_viewset")
def access_record_viewset():
    return AccessRecordViewSet("registro_de_accesos")
