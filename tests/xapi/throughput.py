"""How many statements per second one send loop delivers to Ralph on this machine: a
measurement, not a test (its name keeps it out of the suite). ``bench/xapi.py`` runs it
with the real Ralph fixture of ``tests/xapi/conftest.py``."""

import os
import time
import uuid

from django.utils import timezone

from lms.xapi import api
from lms.xapi.models import Source, State, Statement
from lms.xapi.statements import Page

N = int(os.environ.get("XAPI_BENCH", "5000"))


def test_statements_per_second(ralph, enrolled, settings):
    settings.XAPI_BATCH_SIZE = int(os.environ.get("XAPI_BATCH_SIZE", "100"))
    now = timezone.now()
    Statement.objects.bulk_create(
        Statement(
            statement_id=(
                payload := api.statements.for_event(
                    user_id=enrolled.pk,
                    event_uuid=uuid.uuid4(),
                    verb_name="progressed",
                    page=Page(10, "lesson", "Lección de prueba"),
                    course=Page(2, "course", "Curso de prueba"),
                    result={"duration": 30},
                    moment=now,
                )
            )["id"],
            source=Source.EVENT,
            source_id=index + 1,
            user=enrolled,
            payload=payload,
        )
        for index in range(N)
    )
    before = sum(ralph.stored_ids().values())
    start = time.perf_counter()
    report = api.send_pending()
    seconds = time.perf_counter() - start
    assert report.sent == N
    assert not Statement.objects.filter(state=State.PENDING).exists()
    print(
        f"\nxAPI: {N} statements in {seconds:.1f} s, batches of {settings.XAPI_BATCH_SIZE}: "
        f"{N / seconds:.0f} statements/s (Ralph already held {before})"
    )
