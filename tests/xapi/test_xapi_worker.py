"""A real Celery worker on Redis sends the statements to the real LRS (Ralph): while the
LRS is down the task retries with backoff and then leaves everything pending; the next
run, once the LRS is back, delivers every statement once.

Runs in the PostgreSQL pass: the worker is another process and must share the test
database. Data is committed (``committed`` fixture) and removed afterwards.
"""

import time

import pytest
from django.db import connection

from lms.enrollment import api as enrollment_api
from lms.progress import api as progress_api
from lms.xapi import tasks
from lms.xapi.models import Cursor, State, Statement
from tests import helpers
from tests.conftest import lesson
from tests.services import REDIS_URL, Worker, wait_for

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a worker process must share the database: these run in the PostgreSQL pass",
)


@pytest.fixture
def studied(committed):
    """A committed learner with five learning events (no ``db``-based fixture here: its
    transaction would hide them from the worker)."""
    from django.contrib.auth import get_user_model

    course = helpers.the_course()
    learner = get_user_model().objects.create_user(username=f"xapi-{time.monotonic_ns()}")
    committed.append(learner)  # its events and statements go with it
    enrollment_api.enroll(user=learner, course=course)
    page = lesson("que-es-una-fraccion")
    for seconds in range(5):
        progress_api.record_server_event(
            user=learner, verb="progressed", page_id=page.pk, result={"duration": seconds}
        )
    yield learner
    Cursor.objects.all().delete()


def test_a_worker_delivers_after_an_outage_and_loses_nothing(ralph_server, redis_broker, studied):
    ralph = ralph_server
    ralph.stop()  # the outage
    env = {**ralph.settings(), "XAPI_RETRY_BACKOFF_MAX": "1"}
    worker = Worker(
        database_name=connection.settings_dict["NAME"], env=env, broker_url=REDIS_URL
    ).start()
    try:
        tasks.deliver.delay()
        wait_for(
            lambda: "succeeded" in [what for _id, what in worker.task_lines("xapi.deliver")],
            60,
            "the delivery to give up for this run",
        )
        lines = [what for _id, what in worker.task_lines("xapi.deliver")]
        assert lines.count("retry") == tasks.deliver.max_retries
        mine = Statement.objects.filter(user=studied)
        assert mine.count() == 5
        assert set(mine.values_list("state", flat=True)) == {State.PENDING}

        ralph.start()  # the LRS is back; beat's next run:
        tasks.deliver.delay()
        wait_for(
            lambda: not mine.filter(state=State.PENDING).exists(),
            60,
            "the statements to be delivered",
        )
        assert set(mine.values_list("state", flat=True)) == {State.SENT}
        stored = ralph.stored_ids()
        assert [stored[str(i)] for i in mine.values_list("statement_id", flat=True)] == [1] * 5
    except AssertionError:
        print(worker.log.read_text()[-4000:])
        raise
    finally:
        worker.stop()
        if ralph.process is None:
            ralph.start()
