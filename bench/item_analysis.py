"""Item analysis of a final exam with 100,000 attempts (issue 11), on PostgreSQL.

Builds its own data set once (kept; rebuilt with ``--reset`` or another ``--attempts``):
a course "bench-analisis" with a final of 12 questions (8 single choice of 4 options, 2
multiple choice of 5 options with 2 right, a true/false and a numeric one) whose
difficulty and discrimination are spread the way real items are (a two-parameter
logistic model: some easy, some hard, one that strong learners get wrong more often, one
whose distractor attracts strong learners), 20,000 learners in 6 sedes of 2 grupos taking
it 5 times each (100,000 attempts, ~1.4 million item responses), with times to answer.
Attempts (with their grupo) and item responses are loaded with COPY, then the running
tallies the analysis reads are recounted (``rebuild_tallies``, timed). A data set without
tallies (made before them) gets its attempts' grupos and tallies the way the migration
gives them to an existing installation.

Then times ``assessments.api.item_analysis`` (everyone, and one sede's learners) and both
pages with the Django test client: the admin view as a superuser (every learner) and the
coordinator's page as the coordinator of the largest sede. Prints the machine, the data
set, median and 95th percentile (ms) and the queries of each; the target is 300 ms.

    .venv/bin/python bench/item_analysis.py       # PostgreSQL aula_bench by default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/other .venv/bin/python bench/item_analysis.py
    .venv/bin/python bench/item_analysis.py --requests 20 --reset
"""

import argparse
import json
import math
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta

from common import (
    BENCH_DATABASE_URL,
    configure,
    ensure_database,
    machine,
    percentile,
    prepare_site,
)

os.environ.setdefault("DATABASE_URL", BENCH_DATABASE_URL)
configure(ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS", "testserver"))

TARGET_MS = 300
SLUG = "bench-analisis"
PREFIX = "analisis-"  # usernames of the data set
ATTEMPTS_PER_LEARNER = 5
SEDES = [("analisis-norte", 8), ("analisis-sur", 5), ("analisis-este", 3)]
SEDES += [("analisis-oeste", 2), ("analisis-centro", 1.5), ("analisis-valle", 0.5)]
PASSWORD = "aula-bench-2026"  # noqa: S105 - benchmark accounts in a benchmark database

# (kind, difficulty b, discrimination a, distractor attracts the strong): 12 questions.
ITEMS = [
    ("single_choice", -2.4, 1.2, False),  # very easy
    ("single_choice", -1.2, 1.0, False),
    ("single_choice", -0.5, 1.6, False),
    ("single_choice", 0.0, 1.1, False),
    ("single_choice", 0.4, 0.9, True),  # a distractor that draws strong learners
    ("single_choice", 0.8, 1.4, False),
    ("single_choice", 1.8, 1.0, False),  # hard
    ("single_choice", 0.2, -0.6, False),  # strong learners get it wrong more often
    ("multiple_choice", 0.3, 1.2, False),
    ("multiple_choice", 1.0, 0.8, False),
    ("true_false", -0.8, 0.3, False),  # weak
    ("numeric", 0.6, 1.3, False),
]


def _question(index, kind):
    prompt = f"Pregunta {index + 1} del examen de prueba"
    value = {"prompt": prompt, "topic": ""}
    if kind in ("single_choice", "multiple_choice"):
        count, right = (4, {0}) if kind == "single_choice" else (5, {0, 1})
        value["options"] = [
            {
                "type": "item",
                "id": f"q{index}-o{o}",
                "value": {"text": f"Opción {o + 1}", "correct": o in right, "feedback": ""},
            }
            for o in range(count)
        ]
    elif kind == "true_false":
        value |= {"answer": True, "explanation": ""}
    else:
        value |= {"answer": 12.0, "tolerance": 0.0, "unit": "", "explanation": ""}
    return {"type": kind, "id": f"q{index}", "value": value}


def ensure_course():
    from courses.models import AssessmentPage, CatalogPage, CoursePage

    course = CoursePage.objects.filter(slug=SLUG).first()
    if course is None:
        catalog = CatalogPage.objects.get()
        course = CoursePage(title="Análisis de preguntas (bench)", slug=SLUG, summary="Bench.")
        catalog.add_child(instance=course)
        course.save_revision().publish()
    final = AssessmentPage.objects.descendant_of(course).first()
    if final is None:
        final = AssessmentPage(
            title="Examen final (bench)",
            slug="examen-final",
            kind="final",
            max_attempts=None,
            questions=[_question(i, item[0]) for i, item in enumerate(ITEMS)],
        )
        course.add_child(instance=final)
        final.save_revision().publish()
        course.final_assessment = final
        course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk), AssessmentPage.objects.get(pk=final.pk)


def build(final, attempts: int, seed: int) -> None:
    """Learners, sedes and grupos (ORM), attempts and item responses (COPY)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from generate import CopyFile

    from lms.accounts import api as accounts_api
    from lms.assessments.models import Attempt, ItemResponse
    from lms.enrollment.api import SedeKind
    from lms.enrollment.models import Grupo, Membership, Sede

    User = get_user_model()
    rng = random.Random(seed)
    started = time.perf_counter()
    learners = math.ceil(attempts / ATTEMPTS_PER_LEARNER)
    with connection.cursor() as cursor:
        users = User.objects.filter(username__startswith=PREFIX).values("pk")
        users_sql, params = users.query.sql_with_params()
        for table in (ItemResponse, Attempt, Membership):
            cursor.execute(
                f'DELETE FROM "{table._meta.db_table}" WHERE user_id IN ({users_sql})',  # noqa: S608
                params,
            )
    User.objects.filter(username__startswith=PREFIX).delete()
    Sede.objects.filter(key__in=[key for key, _w in SEDES]).delete()
    password = make_password(PASSWORD)
    role = accounts_api.ensure_roles()
    grupos = []
    for key, _weight in SEDES:
        sede = Sede.objects.create(key=key, name=key.replace("-", " ").title(), kind=SedeKind.PLAZA)
        coordinator = User.objects.create_user(
            username=f"{PREFIX}coordina-{key}", password=PASSWORD
        )
        coordinator.groups.add(role[accounts_api.roles.COORDINADOR])
        sede.coordinators.add(coordinator)
        grupos += [Grupo.objects.create(sede=sede, name=f"Grupo {n}") for n in (1, 2)]
    weights = [w for _k, w in SEDES for _g in (1, 2)]
    people = User.objects.bulk_create(
        [User(username=f"{PREFIX}{n:06d}", password=password) for n in range(learners)],
        batch_size=5000,
    )
    learner_group = role[accounts_api.roles.EDUCANDO]
    learner_group.user_set.through.objects.bulk_create(
        [learner_group.user_set.through(user_id=p.pk, group_id=learner_group.pk) for p in people],
        batch_size=5000,
    )
    grupo_of = {p.pk: rng.choices(grupos, weights)[0].pk for p in people}
    Membership.objects.bulk_create(
        [Membership(user_id=p.pk, grupo_id=grupo_of[p.pk]) for p in people],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{Attempt._meta.db_table}"')  # noqa: S608
        next_id = cursor.fetchone()[0] + 1
    attempt_file = CopyFile(
        Attempt,
        [
            "id", "uuid", "user_id", "assessment_id", "course_id", "revision_id", "number",
            "submitted_at", "question_ids", "answers", "results", "score", "passed",
            "schema_version", "seconds", "grupo_id",
        ],
    )  # fmt: skip
    response_file = CopyFile(
        ItemResponse,
        [
            "attempt_id", "user_id", "assessment_id", "block_id", "option_id", "first",
            "answered", "correct", "score",
        ],
    )  # fmt: skip
    now = datetime.now().astimezone()
    course_id = final.get_parent().pk
    made = 0
    for person in people:
        ability = rng.gauss(0, 1)
        for number in range(1, ATTEMPTS_PER_LEARNER + 1):
            if made >= attempts:
                break
            ability += 0.15  # practice helps a little
            answers, results, rows = {}, {}, []
            for index, (kind, b, a, lure) in enumerate(ITEMS):
                block_id = f"q{index}"
                right = rng.random() < 1 / (1 + math.exp(-a * (ability - b)))
                answered = right or rng.random() > 0.05
                chosen: list[str] = []
                if kind == "single_choice":
                    if right:
                        chosen = [f"{block_id}-o0"]
                    elif answered:
                        wrong = [1, 2, 3]
                        weights_wrong = [3 if lure and ability > 0.5 else 1, 1, 0.6]
                        chosen = [f"{block_id}-o{rng.choices(wrong, weights_wrong)[0]}"]
                elif kind == "multiple_choice":
                    if right:
                        chosen = [f"{block_id}-o0", f"{block_id}-o1"]
                    elif answered:
                        picks = rng.sample(range(5), rng.randint(1, 3))
                        chosen = [f"{block_id}-o{o}" for o in sorted(picks)]
                        if sorted(picks) == [0, 1]:
                            chosen.append(f"{block_id}-o2")
                elif kind == "true_false":
                    chosen = ["true" if right else "false"] if answered else []
                answers[block_id] = chosen if kind != "numeric" else (["12"] if right else ["7"])
                results[block_id] = {"kind": kind, "answered": answered, "correct": right}
                rows.append((block_id, chosen, answered, right))
            score = round(100 * sum(1 for *_x, r in rows if r) / len(ITEMS), 2)
            seconds = int(min(rng.lognormvariate(math.log(540), 0.45), 3 * 3600))
            attempt_id = next_id + made
            when = now - timedelta(days=rng.randint(0, 180), seconds=rng.randint(0, 86400))
            attempt_file.add(
                attempt_id, uuid.UUID(int=rng.getrandbits(128), version=4), person.pk,
                final.pk, course_id, final.live_revision_id, number, when,
                "[]", json.dumps(answers), json.dumps(results), f"{score:.2f}",
                score >= 70, 1, seconds, grupo_of[person.pk],
            )  # fmt: skip
            for block_id, chosen, answered, right in rows:
                for position, option in enumerate(chosen or [""]):
                    response_file.add(
                        attempt_id, person.pk, final.pk, block_id, option, position == 0,
                        answered, right, score,
                    )  # fmt: skip
            made += 1
    simulated = time.perf_counter() - started
    attempt_file.load(connection)
    rows = response_file.load(connection)
    with connection.cursor() as cursor:
        table = Attempt._meta.db_table
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # noqa: S608
            f'(SELECT MAX(id) FROM "{table}"))'
        )
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        for model in (Attempt, ItemResponse, Membership):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    loaded = time.perf_counter() - started - simulated
    print(
        f"built {made:,} attempts of {learners:,} learners and {rows:,} item responses "
        f"(simulated in {simulated:.1f} s, loaded in {loaded:.1f} s)"
    )
    recount(final)


def recount(final) -> None:
    """The tallies of the data set, recounted from its responses and attempts (timed)."""
    from django.db import connection

    from lms.assessments import api as assessments_api
    from lms.assessments.models import ResponseTally, ScoreTally, TimeTally

    started = time.perf_counter()
    assessments_api.rebuild_tallies(assessment_id=final.pk)
    took = time.perf_counter() - started
    with connection.cursor() as cursor:
        for model in (ResponseTally, ScoreTally, TimeTally):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    sizes = ", ".join(
        f"{model.objects.filter(assessment_id=final.pk).count():,} {model.__name__}"
        for model in (ResponseTally, ScoreTally, TimeTally)
    )
    print(f"rebuild_tallies of the final: {took:.2f} s ({sizes} rows)")


def give_grupos(final) -> None:
    """For a data set made before tallies: each attempt's grupo, as migration 0005 gives
    it (the learner's most recent membership)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE assessments_attempt a SET grupo_id = COALESCE((SELECT m.grupo_id FROM "
            "enrollment_membership m WHERE m.user_id = a.user_id ORDER BY m.joined_at DESC, "
            "m.id DESC LIMIT 1), 0) WHERE a.assessment_id = %s AND a.grupo_id = 0",
            [final.pk],
        )
        cursor.execute("VACUUM ANALYZE assessments_attempt")
    print(f"grupos of the attempts: {time.perf_counter() - started:.1f} s")


def timed(function, requests: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()
    with CaptureQueriesContext(connection) as queries:
        function()
    count = len(queries.captured_queries)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), percentile(timings, 0.95), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reset", action="store_true")
    parser.add_argument("--recount", action="store_true", help="rebuild the tallies again")
    args = parser.parse_args()
    ensure_database()
    prepare_site(static=True)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from lms.assessments import api as assessments_api
    from lms.assessments.models import Attempt, ItemResponse, ScoreTally
    from lms.enrollment.read_models import Grupo, Sede

    if connection.vendor != "postgresql":
        raise SystemExit("The benchmark loads with COPY: set DATABASE_URL to PostgreSQL.")
    course, final = ensure_course()
    existing = Attempt.objects.filter(assessment_id=final.pk).count()
    if args.reset or existing != args.attempts:
        build(final, args.attempts, args.seed)
    elif args.recount or not ScoreTally.objects.filter(assessment_id=final.pk).exists():
        give_grupos(final)
        recount(final)
    attempts = Attempt.objects.filter(assessment_id=final.pk).count()
    responses = ItemResponse.objects.filter(assessment_id=final.pk).count()
    print(machine())
    print(
        f"data set: 1 final of {len(ITEMS)} questions, {attempts:,} attempts, "
        f"{responses:,} item responses, {len(SEDES)} sedes"
    )
    User = get_user_model()
    sede = Sede.objects.get(key=SEDES[0][0])
    in_sede = Grupo.objects.filter(sede=sede).values("pk")
    coordinator = User.objects.get(username=f"{PREFIX}coordina-{sede.key}")
    admin, _created = User.objects.get_or_create(
        username=f"{PREFIX}superuser", defaults={"is_superuser": True, "is_staff": True}
    )
    clients = {"coordinator": Client(), "admin": Client()}
    clients["coordinator"].force_login(coordinator)
    clients["admin"].force_login(admin)
    _second_step(clients["admin"], admin)
    _second_step(clients["coordinator"], coordinator)
    coordinator_url = f"/coordinacion/curso/{course.pk}/evaluacion/{final.pk}/"
    admin_url = f"/admin/evaluaciones/{final.pk}/analisis/"
    for name, client, url in (
        ("coordinator", clients["coordinator"], coordinator_url),
        ("admin", clients["admin"], admin_url),
    ):
        status = client.get(url).status_code
        if status != 200:
            raise SystemExit(f"{name} page {url} answered {status}")
    analysis = assessments_api.item_analysis(assessment=final)
    flagged = ", ".join(
        f"{item.number}: {'/'.join(f.code for f in item.flags)}"
        for item in analysis.items
        if item.flags
    )
    print(
        f"figures: {analysis.attempts:,} attempts, median time {analysis.median_seconds:.0f} s, "
        f"cut scores {analysis.lower_cut:g} / {analysis.upper_cut:g}; flagged {flagged or 'none'}"
    )
    print(f"{'what':<44}{'median ms':>10}{'p95 ms':>9}{'queries':>9}  target")
    cases = [
        ("item_analysis, every learner", lambda: assessments_api.item_analysis(assessment=final)),
        (
            f"item_analysis, sede {sede.key}",
            lambda: assessments_api.item_analysis(assessment=final, grupo_ids=in_sede),
        ),
        ("admin page (superuser, every learner)", lambda: clients["admin"].get(admin_url)),
        (f"coordinator page ({sede.key})", lambda: clients["coordinator"].get(coordinator_url)),
    ]
    for label, function in cases:
        median, p95, queries = timed(function, args.requests)
        verdict = "ok" if p95 < TARGET_MS else f"OVER {TARGET_MS} ms"
        print(f"{label:<44}{median:>10.1f}{p95:>9.1f}{queries:>9}  {verdict}")
    print(f"{args.requests} runs each after a warm-up")


def _second_step(client, user) -> None:
    """Staff pass the second sign-in step as tests/helpers.log_in does."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lms.accounts import two_factor

    if two_factor.requires_second_factor(user):
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="bench", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


if __name__ == "__main__":
    main()
