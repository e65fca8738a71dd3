"""Test set-up shared by the whole suite.

The database is prepared once per session the way ``make run`` prepares it (page tree,
curriculum, roles and workflow, the shipped course library), so tests read real courses;
each test runs in a transaction that is rolled back.
"""

import os
import threading

import pytest
from django.core.management import call_command

from courses import api as courses_api
from courses.models import CatalogPage, LessonPage
from lms.accounts import api as accounts_api
from tests import helpers

CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's set-up, always for the default database (it would skip it when the
    only tests selected are the multi-connection ones, which avoid the ``db`` fixture),
    followed by the data every test reads."""
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases={"default"},
            keepdb=keepdb,
        )
        courses_api.ensure_site(hostname="testserver")
        courses_api.load_curriculum()
        accounts_api.ensure_roles()
        call_command("library", "import", verbosity=0)
    yield
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _each_test_starts_in_spanish():
    """A request in English leaves English active in the thread after it (Django's
    LocaleMiddleware activates a language and nothing deactivates it): every test starts
    in the default language, whatever the test before it asked for."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _each_test_starts_with_an_empty_cache():
    """The cache outlives a test's database, which is rolled back: an entry a test left
    (a course outline, whether view restrictions exist, a rate-limit count) must not
    reach the next test, where the same ids may name other rows."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _rate_limit_windows_hold_still(monkeypatch):
    """django-ratelimit counts in fixed windows that follow the clock (a minute for 30/m):
    the requests of a test that counts up to a limit could straddle two windows on a slow
    run, the count would start again and the 429 never come (it did, once, in CI). Within
    one test the limiter's clock stands still; a test that needs time to pass moves it."""
    import time
    from types import SimpleNamespace

    from django_ratelimit import core as ratelimit_core

    now = time.time()
    monkeypatch.setattr(ratelimit_core, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture(autouse=True)
def _no_test_leaves_its_settings_behind():
    """A test's own storage or broker must end with it: a settings override restored in
    the wrong order (pytest-django's ``settings`` torn down after a fixture's
    ``override_settings``) once left every later test of the process storing files in a
    deleted folder. Set up first, this checks after every other fixture is torn down."""
    from django.conf import settings

    before = (repr(settings.STORAGES), settings.CELERY_BROKER_URL, settings.MEDIA_ROOT)
    yield
    after = (repr(settings.STORAGES), settings.CELERY_BROKER_URL, settings.MEDIA_ROOT)
    assert after == before, "this test left its settings changed"


@pytest.fixture(autouse=True)
def _staff_sessions_passed_the_second_step(request, monkeypatch):
    """Tests sign staff in with ``client.force_login``, past the login form: give those
    sessions a confirmed authenticator, as if the person had typed its code. The tests of
    the second step itself (marked ``real_second_factor``) go through the real pages."""
    if request.node.get_closest_marker("real_second_factor"):
        return
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lms.accounts import two_factor

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if two_factor.requires_second_factor(user):
            device, _created = TOTPDevice.objects.get_or_create(
                user=user, name="pruebas", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium, one per test module (``tests.browser``)."""
    from tests import browser as browser_helpers

    with browser_helpers.launched() as launched:
        yield launched


@pytest.fixture
def phone(browser, client):
    """A 360 px phone page whose requests Django's ``client`` answers (``tests.browser``)."""
    from tests import browser as browser_helpers

    yield from browser_helpers.open_phone(browser, client)


@pytest.fixture
def catalog(db):
    return CatalogPage.objects.get()


@pytest.fixture
def course(db):
    return helpers.the_course()


@pytest.fixture
def make_user(db):
    """``make_user(username, *roles, **fields)``, password ``helpers.PASSWORD``."""
    return helpers.make_user


@pytest.fixture
def educando(make_user):
    return make_user("educanda1", accounts_api.roles.EDUCANDO)


@pytest.fixture
def asesor(make_user):
    return make_user("asesor1", accounts_api.roles.ASESOR)


@pytest.fixture
def coordinador(make_user):
    return make_user("coordinadora1", accounts_api.roles.COORDINADOR)


@pytest.fixture
def enrolled(educando, course):
    """An educanda enrolled in "Fracciones y porcentajes"."""
    from lms.enrollment import api as enrollment_api

    enrollment_api.enroll(user=educando, course=course)
    return educando


@pytest.fixture
def sedes(db):
    """Two Plazas Comunitarias, "norte" and "sur", each with its own coordinator and one
    grupo: ``sedes["norte"] == (sede, coordinator, grupo)``."""
    return helpers.make_sedes()


@pytest.fixture
def make_learner(db):
    """``make_learner(name, grupo, course, lessons_done=2)``: an educando in ``grupo``,
    enrolled in ``course`` (if given), who has finished its first ``lessons_done``
    required lessons."""
    return helpers.make_learner


def lesson(slug: str):
    return LessonPage.objects.get(slug=slug)


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """For tests that need several connections (threads): work outside the test
    transaction and delete what was created afterwards, so the session's data (the course
    library) survives. Returns a list to which the test appends objects to delete."""
    created = []
    with django_db_blocker.unblock():
        yield created
        for obj in reversed(created):
            type(obj).objects.filter(pk=obj.pk).delete()


def in_threads(target, arguments: list) -> None:
    """Run ``target(argument)`` in one thread per argument, all released at once, each with
    its own database connection to the *test* database."""
    from django.db import connection, connections

    name = connection.settings_dict["NAME"]
    barrier = threading.Barrier(len(arguments))

    def run(argument):
        connections["default"].settings_dict["NAME"] = name
        try:
            barrier.wait()
            target(argument)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture(scope="session")
def s3():
    """A SeaweedFS S3 server, started once for the session when a test asks for it."""
    from tests.services import S3Server

    server = S3Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_broker():
    """Send this process's tasks to Redis (not eagerly), on this session's own queue, for
    the worker that the test starts (``tests.services.Worker``)."""
    from lms.celery import app as celery_app
    from tests.services import QUEUE, REDIS_URL, port_open, unavailable

    if not port_open("127.0.0.1", 6379):
        unavailable("Redis is not running on 127.0.0.1:6379")
    keys = ("task_always_eager", "broker_url", "task_default_queue")
    previous = {key: celery_app.conf[key] for key in keys}
    celery_app.conf.update(task_always_eager=False, broker_url=REDIS_URL, task_default_queue=QUEUE)
    # Eager calls earlier in the session made a producer pool for the default broker URL,
    # and the default queue is remembered once looked up.
    celery_app.amqp._producer_pool = None
    celery_app.amqp.__dict__.pop("default_queue", None)
    celery_app.control.purge()
    yield
    celery_app.conf.update(previous)
    celery_app.amqp._producer_pool = None
    celery_app.amqp.__dict__.pop("default_queue", None)


@pytest.fixture
def broker(s3, redis_broker, monkeypatch):
    """``redis_broker``, and the S3 server for files (in this process and the worker)."""
    from django.test import override_settings

    for key, value in s3.env().items():
        monkeypatch.setenv(key, value)
    s3_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "aula-media",
            "endpoint_url": s3.endpoint,
            "region_name": "us-east-1",
            "querystring_auth": True,
            "default_acl": None,
            "file_overwrite": False,
            "signature_version": "s3v4",
        },
    }
    with override_settings(
        STORAGES={
            "default": s3_storage,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ):
        yield s3
