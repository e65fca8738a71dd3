"""Learning-event ingestion throughput (the /api/v1/events/ pipeline minus HTTP).

20,000 events in batches of 100, about 10 % of them duplicates, shuffled, from 200
learners enrolled in the shipped courses; each batch is recorded with
``progress.api.record_events`` exactly as the endpoint does (validation, idempotent
insert, derived lesson and course progress in the same transaction).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench .venv/bin/python bench/ingest.py
    .venv/bin/python bench/ingest.py --events 5000     # SQLite file under bench/out/

Prints events per second, per-batch latency and the accepted/duplicate counts.
"""

import argparse
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from common import configure, prepare_site

configure()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--duplicates", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from courses import api as courses_api
    from lms.enrollment.models import Enrollment
    from lms.progress import api as progress_api
    from lms.progress.models import LearningEvent

    prepare_site()

    users_model = get_user_model()
    users_model.objects.filter(username__startswith="bench-").delete()
    learners = users_model.objects.bulk_create(
        [users_model(username=f"bench-{i:05d}") for i in range(args.learners)]
    )
    courses = list(courses_api.CoursePage.objects.live())
    now = datetime.now(UTC)
    Enrollment.objects.bulk_create(
        [Enrollment(user=u, course=c, enrolled_at=now) for u in learners for c in courses]
    )
    steps = courses_api.course_steps(course_ids=[c.pk for c in courses])
    lessons = [s.page_id for cs in steps.values() for s in cs.steps if s.kind == "lesson"]

    # Each learner's stream: fresh events plus ~10 % re-sent ones, shuffled, in batches.
    per_learner = args.events // args.learners
    batches = []
    for learner in learners:
        fresh_count = round(per_learner * (1 - args.duplicates))
        fresh = []
        for _ in range(fresh_count):
            verb = rng.choices(["progressed", "started", "completed"], [70, 20, 10])[0]
            fresh.append(
                {
                    "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "verb": verb,
                    "object": {"id": rng.choice(lessons)},
                    "timestamp": (now - timedelta(minutes=rng.randrange(60 * 24 * 30))).isoformat(),
                    "result": {"duration": 30} if verb == "progressed" else {},
                }
            )
        stream = fresh + [rng.choice(fresh) for _ in range(per_learner - fresh_count)]
        rng.shuffle(stream)
        batches += [
            (learner, stream[i : i + args.batch]) for i in range(0, len(stream), args.batch)
        ]
    rng.shuffle(batches)
    total = sum(len(b) for _u, b in batches)

    timings, accepted, duplicates, rejected = [], 0, 0, 0
    started = time.perf_counter()
    for learner, batch in batches:
        t0 = time.perf_counter()
        result = progress_api.record_events(user=learner, items=batch)
        timings.append((time.perf_counter() - t0) * 1000)
        accepted += result.count("accepted")
        duplicates += result.count("duplicate")
        rejected += result.count("rejected")
    elapsed = time.perf_counter() - started
    timings.sort()
    stored = LearningEvent.objects.filter(user__username__startswith="bench-").count()
    print(
        f"engine: {connection.vendor}; events: {total} in {len(batches)} batches of "
        f"{args.batch}; learners: {args.learners}"
    )
    print(
        f"accepted {accepted}, duplicates {duplicates}, rejected {rejected}; rows stored {stored}"
    )
    print(
        f"time {elapsed:.2f} s -> {total / elapsed:,.0f} events/s; per batch: median "
        f"{statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms"
    )
    users_model.objects.filter(username__startswith="bench-").delete()


if __name__ == "__main__":
    main()
