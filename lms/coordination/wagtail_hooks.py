"""A "Coordinación" entry in the Wagtail admin menu for people with sedes in scope."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.enrollment import api as enrollment_api


class CoordinationMenuItem(MenuItem):
    def is_shown(self, request):
        return enrollment_api.sedes_in_scope(user=request.user).exists()


@hooks.register("register_admin_menu_item")
def coordination_menu_item():
    return CoordinationMenuItem(_("Coordinación"), "/coordinacion/", icon_name="group", order=150)
