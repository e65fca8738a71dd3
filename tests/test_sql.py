"""``lms.sql``'s written-out reads and writes give what the ORM gives, on SQLite and on
PostgreSQL: the same rows, values converted alike, the same effect of an upsert."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from lms import sql
from lms.enrollment import api as enrollment_api
from lms.progress.models import CourseProgress, DailyActivity, LearningEvent, LessonProgress

T0 = datetime(2026, 11, 2, 23, 30, 15, 123456, tzinfo=UTC)


def _event(user, page_id, at, **result):
    return LearningEvent.objects.create(
        uuid=uuid.uuid4(), user=user, verb="progressed", object_id=page_id, course_id=7,
        result=result, client_timestamp=at,
    )  # fmt: skip


def test_values_reads_what_values_list_reads(educando):
    """Aware datetimes (SQLite keeps text), JSON decoded, rows filtered by the SQL."""
    _event(educando, 11, T0, duration=30, nested={"a": [1, 2]})
    _event(educando, 11, T0 + timedelta(seconds=30))
    _event(educando, 12, T0)  # another page: not asked for
    names = ("object_id", "verb", "client_timestamp", "result")
    rows = sql.values(
        LearningEvent,
        names,
        where=(
            f"{sql.column(LearningEvent, 'user')} = %s"
            f" AND {sql.column(LearningEvent, 'object_id')} = %s"
        ),
        parameters=[educando.pk, 11],
    )
    expected = LearningEvent.objects.filter(user=educando, object_id=11).values_list(*names)
    assert sorted(rows, key=str) == sorted(expected, key=str)
    assert len(rows) == 2
    assert all(row[2].tzinfo is not None for row in rows)
    assert {row[2] for row in rows} == {T0, T0 + timedelta(seconds=30)}
    assert {"duration": 30, "nested": {"a": [1, 2]}} in [row[3] for row in rows]


def test_upsert_inserts_then_updates_only_the_named_fields(educando):
    def row(**changes):
        values = {
            "user": educando, "page_id": 11, "course_id": 7, "status": "started",
            "started_at": T0, "completed_at": None, "last_activity_at": T0,
            "time_spent_seconds": 30,
        }  # fmt: skip
        return LessonProgress(**{**values, **changes})

    update = ["status", "completed_at", "last_activity_at", "time_spent_seconds"]
    sql.upsert(LessonProgress, [row()], unique=["user", "page_id"], update=update)
    first = LessonProgress.objects.get(user=educando, page_id=11)
    assert (first.status, first.time_spent_seconds, first.started_at) == ("started", 30, T0)

    later = T0 + timedelta(minutes=5)
    sql.upsert(
        LessonProgress,
        [
            row(
                status="completed",
                completed_at=later,
                last_activity_at=later,
                time_spent_seconds=90,
                started_at=later,
            ),
            row(page_id=12),
        ],
        unique=["user", "page_id"],
        update=update,
    )
    updated = LessonProgress.objects.get(user=educando, page_id=11)
    assert updated.pk == first.pk  # the same row, updated in place
    assert (updated.status, updated.completed_at, updated.time_spent_seconds) == (
        "completed",
        later,
        90,
    )
    assert updated.started_at == T0  # not in ``update``: kept
    assert LessonProgress.objects.filter(user=educando).count() == 2


def test_insert_new_skips_rows_that_exist(educando):
    days = [DailyActivity(user=educando, course_id=7, day=date(2026, 11, d)) for d in (2, 3)]
    sql.insert_new(DailyActivity, days[:1])
    sql.insert_new(DailyActivity, days)
    sql.insert_new(DailyActivity, [])
    assert sorted(DailyActivity.objects.filter(user=educando).values_list("day", flat=True)) == [
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]


def test_a_large_write_is_split_as_the_database_needs(educando):
    """40,000 values, more than SQLite takes in one statement (32,766; 999 on older
    builds): written in batches, as ``bulk_create`` writes them."""
    rows = [
        LessonProgress(
            user=educando,
            page_id=page_id,
            course_id=7,
            status="started",
            started_at=T0,
            completed_at=None,
            last_activity_at=T0,
            time_spent_seconds=page_id,
        )
        for page_id in range(1, 5001)
    ]
    fields = ["status", "started_at", "completed_at", "last_activity_at", "time_spent_seconds"]
    sql.upsert(LessonProgress, rows, unique=["user", "page_id"], update=[*fields, "course_id"])
    assert LessonProgress.objects.filter(user=educando).count() == 5000
    assert LessonProgress.objects.get(user=educando, page_id=4321).time_spent_seconds == 4321


def _lesson(user, page_id, seconds):
    return LessonProgress(
        user=user, page_id=page_id, course_id=7, status="started", started_at=T0,
        completed_at=None, last_activity_at=T0, time_spent_seconds=seconds,
    )  # fmt: skip


def _course(user, seconds):
    return CourseProgress(
        user=user, course_id=7, required_total=5, required_done=0, percent=0,
        last_page_id=11, last_activity_at=T0, time_spent_seconds=seconds,
    )  # fmt: skip


def _writes(user, lessons, seconds):
    update = ["time_spent_seconds"]
    return (
        sql.Upsert(LessonProgress, lessons, unique=["user", "page_id"], update=update),
        sql.Upsert(CourseProgress, [_course(user, seconds)], ["user", "course_id"], update),
    )


def test_upserts_together_have_the_effect_of_each_in_turn(educando, django_assert_num_queries):
    """On PostgreSQL in one statement (one round trip); elsewhere one each."""
    sql.upsert_together(*_writes(educando, [_lesson(educando, 11, 30)], 30))
    one_each = connection.vendor != "postgresql"
    with django_assert_num_queries(2 if one_each else 1):
        sql.upsert_together(
            *_writes(educando, [_lesson(educando, 11, 90), _lesson(educando, 12, 5)], 95)
        )
    lessons = dict(
        LessonProgress.objects.filter(user=educando).values_list("page_id", "time_spent_seconds")
    )
    assert lessons == {11: 90, 12: 5}
    assert CourseProgress.objects.get(user=educando, course_id=7).time_spent_seconds == 95
    assert LessonProgress.objects.get(user=educando, page_id=11).started_at == T0


def test_upserts_together_too_large_for_one_statement_are_made_one_by_one(educando):
    """55,000 values of lesson rows and 16,000 of course rows: each fits in a statement
    on PostgreSQL (65,535 at most), both together do not."""
    lessons = [_lesson(educando, page_id, page_id) for page_id in range(1, 5001)]
    courses = [_course(educando, seconds=n) for n in range(2000)]
    for number, row in enumerate(courses):
        row.course_id = number + 1
    sql.upsert_together(
        sql.Upsert(LessonProgress, lessons, unique=["user", "page_id"], update=["course_id"]),
        sql.Upsert(CourseProgress, courses, unique=["user", "course_id"], update=["percent"]),
    )
    assert LessonProgress.objects.filter(user=educando).count() == 5000
    assert LessonProgress.objects.get(user=educando, page_id=4321).time_spent_seconds == 4321
    assert CourseProgress.objects.filter(user=educando).count() == 2000
    assert CourseProgress.objects.get(user=educando, course_id=1234).time_spent_seconds == 1233


@pytest.mark.parametrize("withdrawn", [False, True])
def test_active_course_ids_answers_as_the_orm(enrolled, course, withdrawn):
    from lms.enrollment.models import Enrollment

    if withdrawn:
        Enrollment.objects.filter(user=enrolled).update(withdrawn_at=T0)
    expected = set(
        Enrollment.objects.filter(user=enrolled, withdrawn_at__isnull=True).values_list(
            "course_id", flat=True
        )
    )
    assert enrollment_api.active_course_ids(user_id=enrolled.pk) == expected
    assert (course.pk in expected) is not withdrawn
