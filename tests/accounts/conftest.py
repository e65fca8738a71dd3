import pytest

from lms.accounts import personal_data

# The password the suite's ``make_user`` fixture gives everyone.
PASSWORD = "contraseña-de-prueba"
NEW_PASSWORD = "luna-verde-en-casa"
VALID_CURP = "BOXW310820HNERXN09"
OTHER_VALID_CURP = "HEGG560427MVZRRL04"
BAD_CHECK_DIGIT_CURP = "BOXW310820HNERXN08"


@pytest.fixture
def logged_in(client, educando):
    client.force_login(educando)
    return client


def errors_of(response, field: str) -> list[str]:
    """The error messages a rendered form shows for ``field`` ("__all__" for the top)."""
    return [str(message) for message in response.context["form"].errors.get(field, [])]


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def personal_data_registry(monkeypatch):
    """A private copy of the export registry, so a test's sections do not leak."""
    monkeypatch.setattr(personal_data, "_PERSONAL_DATA", dict(personal_data._PERSONAL_DATA))
    return personal_data._PERSONAL_DATA
