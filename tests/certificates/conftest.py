import pytest

from lms.certificates.models import Certificate
from tests.helpers import complete


@pytest.fixture
def certificate(enrolled, course, django_capture_on_commit_callbacks):
    """The constancia of an educanda who completed "Fracciones y porcentajes" (issued
    eagerly on commit, with its PDF and the email that announces it)."""
    enrolled.display_name = "María Peña Núñez"
    enrolled.email = "maria@example.org"
    enrolled.save()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = complete(enrolled, course)
    return Certificate.objects.get(enrollment=enrollment)
