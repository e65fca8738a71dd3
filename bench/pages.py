"""Server time, SQL queries and compressed weight of the learner pages.

Requests are made as an educanda enrolled in every course.
Runs against its own database (SQLite file under bench/out/, or DATABASE_URL), prepared
as `make run` prepares one: site tree, curriculum, roles, the course library.

    .venv/bin/python bench/pages.py                  # 200 requests per page
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aula_bench .venv/bin/python bench/pages.py

Prints one line per page: median and 95th-percentile server time (Django test client,
no network), queries per request, and gzip size of the HTML.
"""

import argparse
import gzip
import os
import statistics
import time

from common import configure, prepare_site

configure(ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS", "testserver"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from courses.read_models import CoursePage, LessonPage

    prepare_site(static=True)

    lesson = LessonPage.objects.get(slug="enviar-dinero-a-casa")
    course = CoursePage.objects.get(slug="finanzas-personales")
    pages = {
        "home": "/",
        "catalog": "/cursos/",
        "catalog search": "/cursos/?q=dinero",
        "course": course.url,
        "lesson": lesson.url,
        "final exam": course.final_assessment.url,
        "my courses": "/mis-cursos/",
    }
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # Keep one connection, as a production process with persistent connections does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    from django.contrib.auth import get_user_model

    from lms.enrollment import api as enrollment_api

    learner, _created = get_user_model().objects.get_or_create(username="bench-pages")
    for live_course in CoursePage.objects.live():
        enrollment_api.enroll(user=learner, course=live_course)
    client = Client()
    client.force_login(learner)  # an enrolled educanda: lessons are for enrolled learners
    print(f"{'page':<16}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'HTML gz KB':>12}")
    for name, url in pages.items():
        response = client.get(url)  # warm caches (renditions, site root paths)
        assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        # Read now: every request start clears the connection's query log.
        query_count = len(queries.captured_queries)
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        size = len(gzip.compress(response.content)) / 1024
        print(
            f"{name:<16}{statistics.median(timings):>10.1f}{p95:>9.1f}{query_count:>9}{size:>12.1f}"
        )
    print(f"engine: {connection.vendor}; requests per page: {args.requests}")


if __name__ == "__main__":
    main()
