"""The public Python API of ``accounts``: roles, the accounts that hold them, learner
sign-up and profile, password reset codes, personal API tokens (and the REST framework
authentication that reads them), the access log, each person's data (export and erasure),
and the registries through which the apps above accounts extend it.

Views, commands and other apps call these functions; nothing else writes this app's models.
Other apps read this app's models through ``lms.accounts.read_models``.
"""

from __future__ import annotations

from lms.accounts import roles
from lms.accounts.access import client_address, record_access
from lms.accounts.api_tokens import (
    API_TOKEN_NAME_MAX_LENGTH,
    MAX_ACTIVE_TOKENS,
    ApiTokenAuthentication,
    ApiTokenInfo,
    NewApiToken,
    api_tokens_for,
    authenticate_api_token,
    create_api_token,
    revoke_api_token,
    validate_api_token_name,
)
from lms.accounts.models import AccessAction
from lms.accounts.people import (
    PROFILE_FIELDS,
    get_user_by_username,
    register_learner,
    set_reminders_opt_out,
    update_profile,
    username_looks_taken,
    validate_profile,
    validate_registration,
)
from lms.accounts.personal_data import (
    can_delete_own_account,
    delete_account,
    export_personal_data,
    register_personal_data,
)
from lms.accounts.reset_codes import (
    RESET_CODE_ALPHABET,
    RESET_CODE_LENGTH,
    clear_login_lockout,
    format_reset_code,
    issue_reset_code,
    redeem_reset_code,
    reset_code_days,
)
from lms.accounts.setup import (
    DEMO_ACCOUNTS,
    DemoAccount,
    ensure_demo_accounts,
    ensure_roles,
    user_has_role,
)
from lms.accounts.two_factor import demo_code as demo_second_factor_code
from lms.accounts.two_factor import (
    has_second_factor,
    recovery_codes_left,
    register_staff_rule,
    requires_second_factor,
)
from lms.accounts.two_factor import reset as reset_second_factor
from lms.accounts.validators import normalise_curp, normalise_username, username_skeleton
from lms.accounts.workplaces import Workplace, register_workplace, workplaces_for

__all__ = [
    "API_TOKEN_NAME_MAX_LENGTH",
    "DEMO_ACCOUNTS",
    "MAX_ACTIVE_TOKENS",
    "PROFILE_FIELDS",
    "RESET_CODE_ALPHABET",
    "RESET_CODE_LENGTH",
    "AccessAction",
    "ApiTokenAuthentication",
    "ApiTokenInfo",
    "DemoAccount",
    "NewApiToken",
    "Workplace",
    "api_tokens_for",
    "authenticate_api_token",
    "can_delete_own_account",
    "clear_login_lockout",
    "client_address",
    "create_api_token",
    "delete_account",
    "demo_second_factor_code",
    "ensure_demo_accounts",
    "ensure_roles",
    "export_personal_data",
    "format_reset_code",
    "get_user_by_username",
    "has_second_factor",
    "issue_reset_code",
    "normalise_curp",
    "normalise_username",
    "record_access",
    "recovery_codes_left",
    "redeem_reset_code",
    "register_learner",
    "register_personal_data",
    "register_staff_rule",
    "register_workplace",
    "requires_second_factor",
    "reset_code_days",
    "reset_second_factor",
    "revoke_api_token",
    "roles",
    "set_reminders_opt_out",
    "update_profile",
    "user_has_role",
    "username_looks_taken",
    "username_skeleton",
    "validate_api_token_name",
    "validate_profile",
    "validate_registration",
    "workplaces_for",
]
