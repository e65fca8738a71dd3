"""Test set-up shared by the whole suite.

The database is prepared once per session the way ``make run`` prepares it (page tree,
curriculum, roles and workflow, the shipped course library), so tests read real courses;
each test runs in a transaction that is rolled back.
"""

import os

import pytest
from django.core.management import call_command

from courses import api as courses_api
from lms.accounts import api as accounts_api

CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        courses_api.ensure_site(hostname="testserver")
        courses_api.load_curriculum()
        accounts_api.ensure_roles()
        call_command("library", "import", verbosity=0)


@pytest.fixture
def catalog(db):
    return courses_api.CatalogPage.objects.get()


@pytest.fixture
def course(db):
    return courses_api.CoursePage.objects.get(slug="fracciones-y-porcentajes")


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, *roles: str, **fields):
        user = django_user_model.objects.create_user(
            username=username, password="contraseña-de-prueba", **fields
        )
        for role in roles:
            user.groups.add(accounts_api.ensure_roles()[role])
        return user

    return make


@pytest.fixture
def educando(make_user):
    return make_user("educanda1", accounts_api.roles.EDUCANDO)


@pytest.fixture
def asesor(make_user):
    return make_user("asesor1", accounts_api.roles.ASESOR)


@pytest.fixture
def coordinador(make_user):
    return make_user("coordinadora1", accounts_api.roles.COORDINADOR)
