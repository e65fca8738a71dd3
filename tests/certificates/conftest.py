from urllib.parse import urlsplit

import pytest
from django.test import Client

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


@pytest.fixture
def fetch():
    """GET a URL of this site as an anonymous stranger would: ``fetch(url)`` gives
    ``(status, headers, body)``, the shape ``tests/certificates/independent.py`` expects."""
    stranger = Client()

    def get(url):
        response = stranger.get(urlsplit(url).path)
        return response.status_code, dict(response.headers), response.content

    return get
