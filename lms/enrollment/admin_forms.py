"""The admin forms for sedes and grupos.

Wagtail builds each form from the panels in ``viewsets.py`` on top of these classes and
passes the person using it as ``for_user``. The choices are narrowed here, so a form can
only ever save what that person may choose: a coordinator's grupo goes into one of their
own sedes, a sede's coordinators are people with that role, a grupo's asesores are
asesores. A value posted by hand that is not among the choices is a form error.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from lms.accounts import api as accounts_api
from lms.enrollment import api
from lms.enrollment.models import Grupo

NOT_YOUR_SEDE = _("Elija una de sus sedes.")
NOT_A_COORDINATOR = _("Elija solo personas con el rol Coordinador o Administrador.")
NOT_AN_ASESOR = _("Elija solo personas con el rol Asesor.")
GRUPO_NAME_TAKEN = _("Ya hay un grupo con ese nombre en esta sede. Elija otro nombre.")


def people_with_roles(*roles: str, keep=None):
    """Active people holding one of ``roles``, by username; plus ``keep`` (the people
    already chosen), so that a person whose role was taken away after being chosen does
    not make the form impossible to save: unticking them removes them."""
    users = get_user_model().objects
    with_role = users.filter(groups__name__in=roles, is_active=True).values("pk")
    condition = Q(pk__in=with_role)
    if keep is not None:
        condition |= Q(pk__in=keep.values("pk"))
    return users.filter(condition).order_by("username")


class SedeAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["coordinators"]
        field.queryset = people_with_roles(
            accounts_api.roles.COORDINADOR,
            accounts_api.roles.ADMINISTRADOR,
            keep=self.instance.coordinators.all() if self.instance.pk else None,
        )
        field.error_messages["invalid_choice"] = NOT_A_COORDINATOR
        field.help_text = _(
            "Solo aparecen las personas con el rol Coordinador o Administrador. Ellas verán "
            "a los educandos de los grupos de esta sede."
        )


class GrupoAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sede = self.fields["sede"]
        if self.for_user is None:
            sede.queryset = sede.queryset.none()
        else:
            sede.queryset = api.sedes_in_scope(user=self.for_user).order_by("name")
        sede.error_messages["invalid_choice"] = NOT_YOUR_SEDE
        sede.empty_label = _("Elija la sede")
        if not self.instance.pk and not self.is_bound:
            # A coordinator of a single sede does not have to choose it.
            only = list(sede.queryset[:2])
            if len(only) == 1:
                self.initial["sede"] = only[0].pk
        asesores = self.fields["asesores"]
        asesores.queryset = people_with_roles(
            accounts_api.roles.ASESOR,
            keep=self.instance.asesores.all() if self.instance.pk else None,
        )
        asesores.error_messages["invalid_choice"] = NOT_AN_ASESOR
        asesores.help_text = _("Solo aparecen las personas con el rol Asesor.")

    def validate_unique(self):
        """The same name twice in one sede gets a message a coordinator understands
        (Django's would name the constraint's fields)."""
        sede, name = self.cleaned_data.get("sede"), self.cleaned_data.get("name")
        if sede is not None and name:
            taken = Grupo.objects.filter(sede=sede, name=name).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("name", GRUPO_NAME_TAKEN)
                return
        super().validate_unique()
