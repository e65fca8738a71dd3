"""Certificate issuance: per worker process, and 1,000 with two Celery workers.

Each certificate is the real work: a one-page PDF (reportlab, fonts embedded, QR code), an
Ed25519-signed Open Badges 3.0 credential, and the PDF stored through django-storages in a
real S3-compatible server (SeaweedFS on 127.0.0.1, started here), then the row inserted.

    createdb -h 127.0.0.1 -U postgres aula_bench   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench \
        .venv/bin/python bench/certificates.py

Needs Redis on 127.0.0.1:6379 for the worker part. Prints certificates per second in one
process, and the wall time to issue --count certificates with --workers worker processes.
"""

import argparse
import base64
import os
import time
from datetime import UTC, datetime

from common import configure, ensure_database, prepare_site

# Workers are other processes sharing the database: PostgreSQL, not the SQLite default.
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aula_bench")
configure()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--in-process", type=int, default=100)
    args = parser.parse_args()

    from tests.services import QUEUE, REDIS_URL, S3Server, Worker, wait_for

    s3 = S3Server()
    s3.start()
    configure(
        **s3.env(),
        CELERY_BROKER_URL=REDIS_URL,
        AULA_SIGNING_KEY=base64.b64encode(os.urandom(32)).decode(),
    )
    workers = []
    try:
        ensure_database()  # on PostgreSQL: created when missing
        prepare_site()
        from django.contrib.auth import get_user_model
        from django.db import connection

        from courses import api as courses_api
        from lms.celery import app
        from lms.certificates import api
        from lms.certificates.models import Certificate
        from lms.certificates.tasks import issue_certificate_task
        from lms.enrollment.models import Enrollment

        users = get_user_model()
        Certificate.objects.filter(user__username__startswith="bench-c-").delete()
        users.objects.filter(username__startswith="bench-c-").delete()
        total = args.in_process + args.count
        people = users.objects.bulk_create(
            [
                users(username=f"bench-c-{i:05d}", display_name=f"Educanda Núñez {i}")
                for i in range(total)
            ]
        )
        course = courses_api.CoursePage.objects.get(slug="fracciones-y-porcentajes")
        now = datetime.now(UTC)
        enrollments = Enrollment.objects.bulk_create(
            [Enrollment(user=u, course=course, enrolled_at=now, completed_at=now) for u in people]
        )
        ids = [e.pk for e in enrollments]

        started, cpu = time.perf_counter(), time.process_time()
        for enrollment_id in ids[: args.in_process]:
            api.issue_certificate(enrollment_id=enrollment_id)
        one = args.in_process / (time.perf_counter() - started)
        # This process's own CPU (PDF, QR, signing, ORM): what a busy machine disturbs least.
        cpu_ms = (time.process_time() - cpu) * 1000 / args.in_process
        print(
            f"one process, in-process: {one:.1f} certificates/s ({args.in_process} certificates; "
            f"{cpu_ms:.1f} ms of this process's CPU each)"
        )

        app.control.purge()
        workers = [
            Worker(
                database_name=connection.settings_dict["NAME"],
                env={
                    "DJANGO_SETTINGS_MODULE": "lms.settings.base",
                    "CELERY_BROKER_URL": REDIS_URL,
                    **s3.env(),
                    "AULA_SIGNING_KEY": os.environ["AULA_SIGNING_KEY"],
                    "DJANGO_DEBUG": "false",
                },
                concurrency=1,
            ).start()
            for _ in range(args.workers)
        ]
        queued = ids[args.in_process :]
        started = time.perf_counter()
        for enrollment_id in queued:
            # The workers listen on this run's own queue (tests.services.Worker).
            issue_certificate_task.apply_async((enrollment_id,), queue=QUEUE)
        done = Certificate.objects.filter(enrollment_id__in=queued)
        wait_for(lambda: done.count() == len(queued), 1800, "the certificates", interval=0.5)
        elapsed = time.perf_counter() - started
        print(
            f"engine: {connection.vendor}; storage: S3 (SeaweedFS) at {s3.endpoint}; broker: Redis"
        )
        print(
            f"{len(queued)} certificates with {args.workers} worker processes: "
            f"{elapsed:.1f} s -> {len(queued) / elapsed:.1f}/s "
            f"({len(queued) / elapsed / args.workers:.1f}/s per worker)"
        )
        print(f"PDF objects stored: {len(s3.keys('constancias/'))}")
        Certificate.objects.filter(enrollment_id__in=ids).delete()
        users.objects.filter(username__startswith="bench-c-").delete()
    finally:
        for worker in workers:
            worker.stop()
        s3.stop()


if __name__ == "__main__":
    main()
