"""Schema-driven fuzzing of the JSON API (schemathesis) against a live HTTP server.

Schemathesis reads /api/v1/schema/ from the server, generates requests that follow the
schema and requests that break it, sends them over HTTP with a learner's personal token,
and checks every answer: never a 5xx, only documented status codes and content types, and
bodies that match the documented schema. Bounded: a fixed number of examples per
operation, derandomized, so the run is the same every time and takes seconds.
"""

import pytest
import schemathesis
from django.db import connections
from django.test.testcases import LiveServerThread, _StaticFilesHandler
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from lms.accounts import api as accounts_api
from lms.enrollment import api as enrollment_api
from tests.helpers import the_course

EXAMPLES = 60


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """The site served over HTTP on 127.0.0.1 by a thread, on the test database, with a
    learner enrolled in a course and a personal token; all removed afterwards."""
    from django.contrib.auth import get_user_model

    with django_db_blocker.unblock():
        learner = get_user_model().objects.create_user(username="fuzz-educanda")
        enrollment_api.enroll(user=learner, course=the_course())
        token = accounts_api.create_api_token(user=learner, name="schemathesis").token
        # SQLite's in-memory test database lives in this connection: share it, as Django's
        # LiveServerTestCase does. PostgreSQL: the thread opens its own connection.
        shared = connections["default"]
        override = {"default": shared} if shared.vendor == "sqlite" else None
        if override:
            shared.inc_thread_sharing()
        thread = LiveServerThread("127.0.0.1", _StaticFilesHandler, override, port=0)
        thread.daemon = True
        thread.start()
        thread.is_ready.wait()
        if thread.error:
            raise thread.error
        try:
            yield f"http://127.0.0.1:{thread.port}", token
        finally:
            thread.terminate()
            if override:
                shared.dec_thread_sharing()
            learner.delete()


CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_never_fails_whatever_it_is_sent(server, mode):
    url, token = server
    api_schema = schemathesis.openapi.from_url(f"{url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/v1/events/"}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        call()
