"""Item analysis (issue 11): the rows written when an attempt is graded, the signed time
the quiz was shown, the backfill of older attempts and the figures, checked against values
worked out by hand."""

import importlib
import re
import statistics
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from courses.models import AssessmentPage
from lms.assessments import api, item_analysis
from lms.assessments.models import Attempt, ItemResponse, ResponseTally, ScoreTally, TimeTally
from tests.factories.pages import add_course
from tests.helpers import complete_required_lessons, right_answers

backfill_migration = importlib.import_module(
    "lms.assessments.migrations.0005_backfill_item_responses"
)


def _choice(block_id, prompt, options, key="a"):
    return {
        "type": "single_choice",
        "id": block_id,
        "value": {
            "prompt": prompt,
            "topic": "",
            "options": [
                {
                    "type": "item",
                    "id": option,
                    "value": {
                        "text": f"Opción {option.upper()}",
                        "correct": option == key,
                        "feedback": "",
                        "pinned": False,
                    },
                }
                for option in options
            ],
        },
    }


NUMERIC = {
    "type": "numeric",
    "id": "q2",
    "value": {
        "prompt": "¿Cuánto es 3 × 4?",
        "topic": "",
        "answer": 12.0,
        "tolerance": 0.0,
        "unit": "",
        "explanation": "",
    },
}


@pytest.fixture
def enrolled(enrolled, course):
    """conftest's educanda, who has also finished the course's required lessons: its
    final assessment is open to her (``api.pending_lessons``)."""
    complete_required_lessons(enrolled, course)
    return enrolled


@pytest.fixture
def exam(catalog):
    """A final of two questions: q1 single choice (a right, b and c wrong), q2 numeric."""
    course = add_course(catalog=catalog, slug="analisis")
    page = AssessmentPage(
        title="Examen de prueba",
        slug="examen",
        kind="final",
        questions=[_choice("q1", "¿Cuál es la buena?", "abc"), NUMERIC],
    )
    course.add_child(instance=page)
    page.save_revision().publish()
    return AssessmentPage.objects.get(pk=page.pk)


def add_attempt(user, page, number, score, answers, results, seconds=None, grupo_id=0):
    """An attempt as stored, with its item responses and tallies (as ``submit_attempt``
    writes them)."""
    attempt = Attempt.objects.create(
        user=user,
        assessment_id=page.pk,
        course_id=None,
        revision_id=page.live_revision_id,
        number=number,
        submitted_at=timezone.now(),
        answers=answers,
        results=results,
        score=Decimal(score),
        passed=score >= 70,
        seconds=seconds,
        grupo_id=grupo_id,
    )
    api._record_responses(attempt)
    return attempt


# (score, q1 option or None, q1 right, q2 right, seconds): ten learners, worked by hand.
HAND_MADE = [
    (100, "a", True, True, 60),
    (90, "a", True, True, 120),
    (80, "b", False, True, 90),
    (70, "a", True, True, None),
    (60, "a", True, True, 300),
    (50, "c", False, False, 30),
    (40, "b", False, False, 45),
    (30, "a", True, False, 200),
    (20, "c", False, False, 100),
    (10, None, False, False, 50),
]


@pytest.fixture
def hand_made(exam, make_user):
    """The ten attempts: the four best made in grupo 7, the others in grupo 8."""
    users = []
    for index, (score, option, right1, right2, seconds) in enumerate(HAND_MADE):
        user = make_user(f"persona{index}")
        users.append(user)
        add_attempt(
            user,
            exam,
            1,
            score,
            {"q1": [option] if option else [], "q2": ["12" if right2 else "7"]},
            {
                "q1": {"kind": "single_choice", "answered": bool(option), "correct": right1},
                "q2": {"kind": "numeric", "answered": True, "correct": right2},
            },
            seconds,
            grupo_id=7 if index < 4 else 8,
        )
    return users


class TestFigures:
    def test_against_values_worked_by_hand(self, exam, hand_made):
        analysis = api.item_analysis(assessment=exam)
        assert analysis.attempts == 10
        # 27 % of 10 is 3 attempts per group: the lower scored 30 or less, the upper 80 or more.
        assert analysis.group_size == 3
        assert (analysis.lower_cut, analysis.upper_cut) == (30, 80)
        # Nine times: 30 45 50 60 [90] 100 120 200 300.
        assert analysis.timed == 9
        assert analysis.median_seconds == 90
        assert (analysis.median_minutes, analysis.median_rest_seconds) == (1, 30)
        q1, q2 = analysis.items
        assert (q1.block_id, q1.number, q1.prompt, q2.block_id) == (
            "q1",
            1,
            "¿Cuál es la buena?",
            "q2",
        )
        assert (q1.responses, q1.answered, q1.right) == (10, 9, 5)
        assert q1.difficulty == 0.5
        # Upper group (100, 90, 80): 2 of 3 right; lower (30, 20, 10): 1 of 3.
        assert q1.discrimination == pytest.approx(2 / 3 - 1 / 3)
        # Item-rest correlation: right (1/0) against the score less this question's 50
        # points when right (two questions), e.g. 100 → 50, 80 (wrong) → 80.
        right = [1 if q1_right else 0 for _s, _o, q1_right, _r2, _t in HAND_MADE]
        rest = [score - 50 * r for (score, *_rest), r in zip(HAND_MADE, right, strict=True)]
        assert q1.point_biserial == pytest.approx(statistics.correlation(right, rest))
        # By hand: rest scores of the right 50 40 20 10 -20 (mean 20), of the wrong
        # 80 50 40 20 10 (mean 40): negative, this made-up set's q1 goes against q2.
        assert q1.point_biserial < 0
        options = {o.option_id: o for o in q1.options}
        assert [o.text for o in q1.options] == ["Opción A", "Opción B", "Opción C"]
        assert [o.correct for o in q1.options] == [True, False, False]
        assert (options["a"].chosen, options["a"].upper, options["a"].lower) == (5, 2, 1)
        assert (options["b"].chosen, options["b"].upper, options["b"].lower) == (2, 1, 0)
        assert (options["c"].chosen, options["c"].upper, options["c"].lower) == (2, 0, 1)
        assert [o.share for o in q1.options] == [0.5, 0.2, 0.2]
        # The numeric question: right for the five best; no options.
        assert (q2.responses, q2.right, q2.difficulty, q2.options) == (10, 5, 0.5, [])
        assert q2.discrimination == pytest.approx(1.0)
        # Ten responses: figures, but no flags.
        assert q1.few_data and q1.flags == [] and q2.flags == []

    def test_only_the_grupos_given(self, exam, hand_made):
        analysis = api.item_analysis(assessment=exam, grupo_ids=[7])  # scores 100 … 70
        assert analysis.attempts == 4
        assert analysis.items[0].responses == 4
        assert analysis.items[0].right == 3
        assert analysis.median_seconds == 90  # 60, 90, 120 (one has no time)
        other = api.item_analysis(assessment=exam, grupo_ids=[8, 99])
        assert (other.attempts, other.items[0].responses, other.items[0].right) == (6, 6, 2)
        assert api.item_analysis(assessment=exam, grupo_ids=[99]).attempts == 0

    def test_the_median_time_to_the_nearest_10_seconds(self, exam, make_user):
        # 44 s counts as 40 and 45 s as 50 (rounded to the nearest 10 s): the median of
        # 44, 45, 1000 is 50 (exactly, 45); of 44, 45 it is 45 (exactly, 44.5).
        for index, seconds in enumerate([44, 45, 1000]):
            add_attempt(make_user(f"tiempo{index}"), exam, 1, 50, {}, {}, seconds)
        assert api.item_analysis(assessment=exam).median_seconds == 50
        Attempt.objects.filter(seconds=1000).delete()
        api.rebuild_tallies(assessment_id=exam.pk)
        assert api.item_analysis(assessment=exam).median_seconds == 45

    def test_nobody_yet(self, exam, django_assert_num_queries):
        with django_assert_num_queries(1):
            analysis = api.item_analysis(assessment=exam)
        assert analysis.attempts == 0
        assert [item.responses for item in analysis.items] == [0, 0]
        assert analysis.items[0].difficulty is None

    def test_options_come_from_the_question_types(self, catalog):
        course = add_course(catalog=catalog, slug="tipos")
        true_false = {
            "type": "true_false",
            "id": "vf",
            "value": {"prompt": "¿Cierto?", "topic": "", "answer": False, "explanation": ""},
        }
        page = AssessmentPage(title="Tipos", slug="tipos", kind="final")
        page.questions = [true_false, _choice("q1", "¿Cuál?", "ab", key="b"), NUMERIC]
        course.add_child(instance=page)
        page.save_revision().publish()
        items = api.item_analysis(assessment=AssessmentPage.objects.get(pk=page.pk)).items
        labels = [[(o.option_id, o.text, o.correct) for o in item.options] for item in items]
        assert labels == [
            [("true", "Verdadero", False), ("false", "Falso", True)],
            [("a", "Opción A", False), ("b", "Opción B", True)],
            [],
        ]

    def test_all_tied_means_no_discrimination(self, exam, make_user):
        for index in range(4):
            add_attempt(
                make_user(f"igual{index}"),
                exam,
                1,
                50,
                {"q1": ["a"]},
                {"q1": {"kind": "single_choice", "answered": True, "correct": True}},
            )
        item = api.item_analysis(assessment=exam).items[0]
        assert item.discrimination is None and item.point_biserial is None


def _many(exam, make_user, count, questions):
    """``count`` attempts scored 0, 2.5, 5 …; ``questions`` maps a question id to a
    function of the attempt's rank (0 = lowest) giving (option, right)."""
    for rank in range(count):
        user = make_user(f"muchos{rank}")
        answers, results = {}, {}
        for block_id, answer in questions.items():
            option, right = answer(rank)
            answers[block_id] = [option]
            results[block_id] = {"kind": "single_choice", "answered": True, "correct": right}
        add_attempt(user, exam, 1, Decimal(rank) * Decimal("2.5"), answers, results, 60 + rank)


@pytest.fixture
def flagged_exam(catalog, make_user):
    course = add_course(catalog=catalog, slug="banderas")
    page = AssessmentPage(
        title="Examen con problemas",
        slug="examen",
        kind="final",
        questions=[
            _choice(name, f"Pregunta {name}", "abc")
            for name in ("facil", "dificil", "negativa", "buena", "distractor")
        ],
    )
    course.add_child(instance=page)
    page.save_revision().publish()
    page = AssessmentPage.objects.get(pk=page.pk)
    _many(
        page,
        make_user,
        40,
        {
            "facil": lambda rank: ("a", True),
            "dificil": lambda rank: ("a", True) if rank >= 32 else ("b", False),
            "negativa": lambda rank: ("a", True) if rank < 20 else ("c", False),
            "buena": lambda rank: ("a", True) if rank >= 20 else ("b", False),
            # The best eleven prefer b (wrong); the middle choose a; the lowest c.
            "distractor": lambda rank: (
                ("b", False) if rank >= 33 else ("a", True) if rank >= 11 else ("c", False)
            ),
        },
    )
    return page


class TestFlags:
    def test_each_problem_is_flagged_and_a_good_question_is_not(self, flagged_exam):
        items = {item.block_id: item for item in api.item_analysis(assessment=flagged_exam).items}
        codes = {block_id: [f.code for f in item.flags] for block_id, item in items.items()}
        assert "too_easy" in codes["facil"]
        assert codes["dificil"] == ["too_hard"]
        # The best chose c over the key: a distractor too.
        assert codes["negativa"] == ["negative", "distractor"]
        assert codes["buena"] == []
        assert "distractor" in codes["distractor"]
        assert not any(item.few_data for item in items.values())
        message = next(f.message for f in items["distractor"].flags if f.code == "distractor")
        assert "«Opción B»" in message

    def test_no_flags_below_the_minimum_sample(self, flagged_exam, monkeypatch):
        monkeypatch.setattr(item_analysis, "MIN_SAMPLE", 41)
        analysis = api.item_analysis(assessment=flagged_exam)
        assert all(item.few_data and not item.flags for item in analysis.items)
        assert analysis.flagged == 0


class TestQueries:
    @pytest.mark.parametrize("count", [6, 40])
    def test_a_constant_number_of_queries(
        self, flagged_exam, make_user, django_assert_num_queries, count
    ):
        # flagged_exam already has 40 attempts at 5 questions of 3 options; add more of
        # everything: the count of queries stays the same.
        _many(flagged_exam, lambda name: make_user(f"{name}-{count}"), count, {})
        ids = Attempt.objects.filter(assessment_id=flagged_exam.pk).values("grupo_id")
        with django_assert_num_queries(3):
            api.item_analysis(assessment=flagged_exam)
        with django_assert_num_queries(3):
            api.item_analysis(assessment=flagged_exam, grupo_ids=ids)

    def test_the_same_for_a_small_assessment(self, exam, hand_made, django_assert_num_queries):
        with django_assert_num_queries(3):
            api.item_analysis(assessment=exam)


# --- Writing the rows ------------------------------------------------------------------


class TestRows:
    def test_submitting_writes_one_row_per_question(self, enrolled, course):
        final = course.final_assessment.specific
        answers = right_answers(final)
        attempt = api.submit_attempt(user=enrolled, assessment=final, answers=answers)
        rows = list(ItemResponse.objects.filter(attempt=attempt))
        firsts = [row for row in rows if row.first]
        assert sorted(row.block_id for row in firsts) == sorted(attempt.results)
        assert all(row.correct and row.answered for row in firsts)
        assert {row.user_id for row in rows} == {enrolled.pk}
        assert {row.assessment_id for row in rows} == {final.pk}
        assert {row.score for row in rows} == {100.0}
        # Every chosen option has its row; typed answers have one without an option.
        for block in final.questions:
            chosen = sorted(row.option_id for row in rows if row.block_id == block.id)
            if block.block_type in ("single_choice", "multiple_choice", "true_false"):
                assert chosen == sorted(answers[block.id])
            else:
                assert chosen == [""]

    def test_the_rules_for_rows(self):
        rows = api.response_rows(
            answers={
                "m": ["x", "y", "x", " "],
                "t": ["maybe"],
                "n": ["12"],
                "s": [],
            },
            results={
                "m": {"kind": "multiple_choice", "answered": True, "correct": False},
                "t": {"kind": "true_false", "answered": True, "correct": False},
                "n": {"kind": "numeric", "answered": True, "correct": True},
                "s": {"kind": "single_choice", "answered": False, "correct": False},
            },
        )
        assert [(r["block_id"], r["option_id"], r["first"]) for r in rows] == [
            ("m", "x", True),
            ("m", "y", False),
            ("t", "", True),
            ("n", "", True),
            ("s", "", True),
        ]

    def test_deleting_the_account_deletes_the_rows(self, enrolled, course):
        from lms.accounts import api as accounts_api

        final = course.final_assessment.specific
        api.submit_attempt(user=enrolled, assessment=final, answers={})
        assert ItemResponse.objects.filter(user_id=enrolled.pk).exists()
        accounts_api.delete_account(user=enrolled)
        assert not ItemResponse.objects.filter(user_id=enrolled.pk).exists()


class TestBackfill:
    def test_the_migration_writes_what_submitting_writes(self, enrolled, course):
        final = course.final_assessment.specific
        answers = right_answers(final)
        first_block = final.questions[0].id
        answers[first_block] = ["otra-cosa"]
        api.submit_attempt(user=enrolled, assessment=final, answers=answers)
        api.submit_attempt(user=enrolled, assessment=final, answers={})

        def snapshot():
            return sorted(
                ItemResponse.objects.values_list(
                    "attempt_id",
                    "user_id",
                    "assessment_id",
                    "block_id",
                    "option_id",
                    "first",
                    "answered",
                    "correct",
                    "score",
                )
            )

        written, tallied = snapshot(), tally_snapshot()
        assert written and tallied["ScoreTally"]
        ItemResponse.objects.all().delete()
        for model in (ResponseTally, ScoreTally, TimeTally):
            model.objects.all().delete()

        class Editor:
            pass

        editor = Editor()
        editor.connection = connection
        backfill_migration.backfill(django_apps, editor)
        assert snapshot() == written
        assert tally_snapshot() == tallied
        backfill_migration.backfill(django_apps, editor)  # again: nothing twice
        assert snapshot() == written
        assert tally_snapshot() == tallied

    def test_the_migration_gives_older_attempts_the_current_grupo(
        self, course, sedes, make_learner
    ):
        final = course.final_assessment.specific
        learner = make_learner("antigua", sedes["sur"][2], course)
        complete_required_lessons(learner, course)
        attempt = api.submit_attempt(user=learner, assessment=final, answers={})
        Attempt.objects.filter(pk=attempt.pk).update(grupo_id=0)  # as before the migration
        ItemResponse.objects.all().delete()

        class Editor:
            connection = connection

        backfill_migration.backfill(django_apps, Editor())
        assert Attempt.objects.get(pk=attempt.pk).grupo_id == sedes["sur"][2].pk
        analysis = api.item_analysis(assessment=final, grupo_ids=[sedes["sur"][2].pk])
        assert analysis.attempts == 1

    def test_same_rule_as_the_api(self):
        answers = {"a": ["1", "2"], "b": ["true"], "c": ["x" * 70, "ok"]}
        results = {
            "a": {"kind": "multiple_choice", "answered": True, "correct": True},
            "b": {"kind": "true_false", "answered": True, "correct": True},
            "c": {"kind": "single_choice", "answered": True, "correct": False},
        }
        assert backfill_migration.rows_for(answers, results) == api.response_rows(
            answers=answers, results=results
        )


# --- The running tallies ---------------------------------------------------------------


def tally_snapshot():
    """Every tally row, without its id."""
    return {
        model.__name__: sorted(
            tuple(row.values())
            for row in model.objects.values(
                *[f.name for f in model._meta.concrete_fields if f.name != "id"]
            )
        )
        for model in (ResponseTally, ScoreTally, TimeTally)
    }


def _some_answers(final, right: int) -> dict[str, list[str]]:
    """The first ``right`` questions of ``final`` right, a wrong choice or nothing for the
    others."""
    answers = right_answers(final)
    for index, block in enumerate(final.questions):
        if index >= right:
            answers[block.id] = ["no-es-una-opcion"] if index % 2 else []
    return answers


class TestTallies:
    def test_the_running_counts_equal_a_recount(
        self, enrolled, course, sedes, make_learner, make_user
    ):
        final = course.final_assessment.specific
        norte, sur = sedes["norte"][2], sedes["sur"][2]
        people = [enrolled]  # in no grupo: grupo 0
        people += [make_learner(f"norte{i}", norte, course) for i in range(3)]
        people += [make_learner(f"sur{i}", sur, course) for i in range(2)]
        for person in people[1:]:
            complete_required_lessons(person, course)
        for index, person in enumerate(people):
            for attempt in range(1 + index % 2):  # some learners try twice
                token = api.shown_at_token(
                    user_id=person.pk, now=timezone.now() - timedelta(seconds=100 + 37 * index)
                )
                api.submit_attempt(
                    user=person,
                    assessment=final,
                    answers=_some_answers(final, index + attempt),
                    shown_at=token if index % 3 else None,
                )
        running = tally_snapshot()
        assert sum(row[-2] for row in running["ScoreTally"]) == Attempt.objects.count() == 9
        assert {row[1] for row in running["ScoreTally"]} == {0, norte.pk, sur.pk}
        assert sum(row[-1] for row in running["ResponseTally"]) == ItemResponse.objects.count()
        api.rebuild_tallies()
        assert tally_snapshot() == running
        api.rebuild_tallies(assessment_id=final.pk)
        assert tally_snapshot() == running
        # The figures from the tallies are those of the responses themselves.
        analysis = api.item_analysis(assessment=final, grupo_ids=[norte.pk])
        assert analysis.attempts == 5
        first = final.questions[0].id
        mine = ItemResponse.objects.filter(block_id=first, first=True, attempt__grupo_id=norte.pk)
        assert analysis.items[0].responses == mine.count()
        assert analysis.items[0].right == mine.filter(correct=True).count()

    def test_an_attempt_counts_for_the_grupo_at_the_time(
        self, course, sedes, make_learner, make_user
    ):
        from lms.enrollment import api as enrollment_api

        final = course.final_assessment.specific
        norte, sur = sedes["norte"][2], sedes["sur"][2]
        learner = make_learner("mudanza", norte, course)
        complete_required_lessons(learner, course)
        first = api.submit_attempt(user=learner, assessment=final, answers={})
        from lms.accounts import api as accounts_api

        admin = make_user("admin-mueve", accounts_api.roles.ADMINISTRADOR)
        enrollment_api.move_to_grupo(user=learner, grupo=sur, by=admin)
        second = api.submit_attempt(user=learner, assessment=final, answers={})
        assert (first.grupo_id, second.grupo_id) == (norte.pk, sur.pk)
        assert api.item_analysis(assessment=final, grupo_ids=[norte.pk]).attempts == 1
        assert api.item_analysis(assessment=final, grupo_ids=[sur.pk]).attempts == 1
        # In two grupos: the one joined last.
        enrollment_api.add_to_grupo(grupo=norte, user=learner)
        third = api.submit_attempt(user=learner, assessment=final, answers={})
        assert third.grupo_id == norte.pk
        # A recount keeps each attempt where it was made.
        api.rebuild_tallies()
        assert api.item_analysis(assessment=final, grupo_ids=[norte.pk]).attempts == 2
        assert api.item_analysis(assessment=final, grupo_ids=[sur.pk]).attempts == 1

    def test_submitting_adds_a_fixed_number_of_queries(self, enrolled, course):
        # The grupo, the responses and the tallies: one query for each table, however
        # many questions and options (the attempt has no time: no time tally).
        final = course.final_assessment.specific
        from django.db import connection as conn
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(conn) as queries:
            api.submit_attempt(user=enrolled, assessment=final, answers=right_answers(final))
        written = [
            q["sql"]
            for q in queries.captured_queries
            if "tally" in q["sql"].lower() or "itemresponse" in q["sql"].lower()
        ]
        assert len(written) == 3
        assert all("ON CONFLICT" in sql for sql in written if "tally" in sql.lower())
        membership = [q for q in queries.captured_queries if "membership" in q["sql"].lower()]
        assert len(membership) >= 1

    def test_no_personal_data_and_kept_when_an_account_goes(self, enrolled, course):
        from lms.accounts import api as accounts_api

        for model in (ResponseTally, ScoreTally, TimeTally):
            names = {f.name for f in model._meta.get_fields()}
            assert not names & {"user", "user_id", "attempt", "attempt_id"}, model
        final = course.final_assessment.specific
        api.submit_attempt(user=enrolled, assessment=final, answers={})
        before = tally_snapshot()
        accounts_api.delete_account(user=enrolled)
        assert not Attempt.objects.filter(assessment_id=final.pk).exists()
        assert tally_snapshot() == before  # anonymous counts stay
        assert api.item_analysis(assessment=final).attempts == 1
        api.rebuild_tallies(assessment_id=final.pk)  # a recount drops them
        assert api.item_analysis(assessment=final).attempts == 0

    def test_the_management_command(self, enrolled, course):
        from io import StringIO

        from django.core.management import call_command

        final = course.final_assessment.specific
        api.submit_attempt(user=enrolled, assessment=final, answers={})
        running = tally_snapshot()
        ScoreTally.objects.all().delete()
        out = StringIO()
        call_command("assessments_rebuild_tallies", "--evaluacion", str(final.pk), stdout=out)
        assert tally_snapshot() == running
        assert "recontadas" in out.getvalue()
        call_command("assessments_rebuild_tallies", stdout=out)
        assert tally_snapshot() == running


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers need PostgreSQL; SQLite serialises them",
)
def test_concurrent_submissions_lose_no_count(committed):
    from django.contrib.auth import get_user_model

    from lms.enrollment import api as enrollment_api
    from tests.conftest import in_threads
    from tests.helpers import the_course

    course = the_course()
    final = course.final_assessment.specific
    people = []
    try:
        for index in range(8):
            person = get_user_model().objects.create_user(username=f"concurre{index}")
            people.append(person)
            enrollment_api.enroll(user=person, course=course)
            complete_required_lessons(person, course)
        # Half answer nothing, half one question: all share most tally rows.
        in_threads(
            lambda person: api.submit_attempt(
                user=person,
                assessment=final,
                answers=_some_answers(final, person.pk % 2),
            ),
            people,
        )
        assert Attempt.objects.filter(assessment_id=final.pk).count() == len(people)
        running = tally_snapshot()
        assert sum(row[-2] for row in running["ScoreTally"]) == len(people)
        api.rebuild_tallies(assessment_id=final.pk)
        assert tally_snapshot() == running
    finally:
        get_user_model().objects.filter(pk__in=[p.pk for p in people]).delete()
        for model in (ResponseTally, ScoreTally, TimeTally):
            model.objects.filter(assessment_id=final.pk).delete()


# --- The time taken --------------------------------------------------------------------


def _shown_at(html: str) -> str:
    match = re.search(r'name="shown_at" value="([^"]+)"', html)
    assert match, "the quiz form carries shown_at"
    return match.group(1)


class TestTimeTaken:
    def _post(self, client, final, **extra):
        return client.post(f"/evaluaciones/{final.pk}/enviar/", extra)

    def test_the_signed_time_from_the_page(self, client, enrolled, course):
        client.force_login(enrolled)
        final = course.final_assessment.specific
        token = _shown_at(client.get(final.url).content.decode())
        self._post(client, final, shown_at=token)
        attempt = Attempt.objects.get(user=enrolled)
        assert attempt.seconds is not None and 0 <= attempt.seconds < 60

    def test_a_real_duration(self, enrolled, course):
        final = course.final_assessment.specific
        token = api.shown_at_token(user_id=enrolled.pk, now=timezone.now() - timedelta(minutes=7))
        attempt = api.submit_attempt(user=enrolled, assessment=final, answers={}, shown_at=token)
        assert 420 <= attempt.seconds <= 425

    @pytest.mark.parametrize("case", ["missing", "forged", "garbage", "other", "old", "future"])
    def test_a_bad_time_stores_none_and_still_grades(
        self, client, enrolled, course, make_user, case
    ):
        client.force_login(enrolled)
        final = course.final_assessment.specific
        now = timezone.now()
        good = api.shown_at_token(user_id=enrolled.pk, now=now - timedelta(minutes=3))
        tokens = {
            "missing": None,
            "forged": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
            "garbage": "hola",
            "other": api.shown_at_token(user_id=make_user("otra").pk, now=now),
            "old": api.shown_at_token(
                user_id=enrolled.pk, now=now - timedelta(seconds=api.MAX_PLAUSIBLE_SECONDS + 60)
            ),
            "future": api.shown_at_token(user_id=enrolled.pk, now=now + timedelta(minutes=5)),
        }
        data = {} if tokens[case] is None else {"shown_at": tokens[case]}
        response = self._post(client, final, **data)
        assert response.status_code == 302
        attempt = Attempt.objects.get(user=enrolled)
        assert attempt.seconds is None
        assert ItemResponse.objects.filter(attempt=attempt).exists()

    def test_the_time_is_in_the_personal_data(self, enrolled, course):
        final = course.final_assessment.specific
        token = api.shown_at_token(user_id=enrolled.pk, now=timezone.now() - timedelta(seconds=30))
        api.submit_attempt(user=enrolled, assessment=final, answers={}, shown_at=token)
        (exported,) = api.export_personal_data(enrolled)
        assert 30 <= exported["segundos"] <= 35


def test_a_question_is_not_correlated_with_itself(catalog, make_user):
    """Four questions that follow what learners know and a fifth right for every other
    learner whatever they know: against the whole score (which includes its own twenty
    points) the fifth looks fine, against the other questions it separates nobody and is
    flagged."""
    course = add_course(catalog=catalog, slug="correlacion")
    names = [f"p{index}" for index in range(1, 5)] + ["azar"]
    page = AssessmentPage(
        title="Examen de cinco",
        slug="examen",
        kind="final",
        questions=[_choice(name, f"Pregunta {name}", "abc") for name in names],
    )
    course.add_child(instance=page)
    page.save_revision().publish()
    page = AssessmentPage.objects.get(pk=page.pk)
    rights, scores = [], []
    for rank in range(40):
        right = {name: rank >= 8 * index for index, name in enumerate(names[:4], 1)}
        right["azar"] = rank % 2 == 0
        score = 20 * sum(right.values())
        rights.append(int(right["azar"]))
        scores.append(score)
        add_attempt(
            make_user(f"cinco{rank}"),
            page,
            1,
            score,
            {name: ["a" if ok else "b"] for name, ok in right.items()},
            {
                name: {"kind": "single_choice", "answered": True, "correct": ok}
                for name, ok in right.items()
            },
        )
    assert statistics.correlation(rights, scores) > 0.2  # the uncorrected figure
    items = {item.block_id: item for item in api.item_analysis(assessment=page).items}
    assert abs(items["azar"].point_biserial) < 0.2
    assert [flag.code for flag in items["azar"].flags] == ["weak"]
    assert items["p2"].point_biserial > 0.5 and items["p2"].flags == []
