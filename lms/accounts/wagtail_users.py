"""The app config that replaces ``wagtail.users`` in ``INSTALLED_APPS``.

It is its own module because Django imports it while loading settings, before models
exist; the viewset it names is imported later, when Wagtail builds the admin URLs. It must
not live in ``apps.py``: a second config there would stop Django from picking
``AccountsConfig`` for ``lms.accounts``.
"""

from wagtail.users.apps import WagtailUsersAppConfig


class AulaUsersConfig(WagtailUsersAppConfig):
    user_viewset = "lms.accounts.wagtail_hooks.UserViewSet"
