"""People in the Wagtail admin: Wagtail's user views with Aula's forms.

``wagtail_users.AulaUsersConfig`` (in ``INSTALLED_APPS`` in place of ``wagtail.users``)
points Wagtail at the viewset below; it is how Wagtail 8 takes custom user forms.
"""

from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from lms.accounts.admin_forms import AulaUserCreationForm, AulaUserEditForm


class UserViewSet(WagtailUserViewSet):
    create_template_name = "accounts/admin/user_create.html"
    edit_template_name = "accounts/admin/user_edit.html"

    def get_form_class(self, for_update=False):
        return AulaUserEditForm if for_update else AulaUserCreationForm
