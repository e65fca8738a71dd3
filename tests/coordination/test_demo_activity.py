import pytest
from django.core.management import CommandError, call_command

from lms.accounts.models import User


def test_demo_activity_fills_the_demo_dashboard(db, settings, client):
    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("demo_sede")
    call_command("demo_activity")
    call_command("demo_activity")  # idempotent: nobody is created twice
    assert User.objects.filter(username__startswith="demo-").count() == 10
    client.force_login(User.objects.get(username="coordinadora"))
    home = client.get("/coordinacion/")
    assert home.context["total"].enrolled == 11  # the ten, and «educanda»
    assert home.context["total"].completed == 2
    assert home.context["at_risk"] >= 3
    assert any(week.learners for week in home.context["weeks"])


def test_the_learner_who_fails_the_final_did_the_lessons_first(db, settings):
    """The final opens after the required lessons: the demo learner who keeps failing it
    has finished them, so her two attempts were accepted (not refused)."""
    from courses import api as courses_api
    from lms.assessments.models import Attempt
    from lms.enrollment.models import Enrollment
    from lms.progress import api as progress_api

    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("demo_sede")
    call_command("demo_activity")
    carmen = User.objects.get(username="demo-carmen")
    attempts = Attempt.objects.filter(user=carmen)
    assert [a.passed for a in attempts] == [False, False]
    course_id = Enrollment.objects.get(user=carmen).course_id
    steps = courses_api.course_steps(course_ids=[course_id])[course_id]
    lessons = [s.page_id for s in steps.steps if s.kind == "lesson" and s.required]
    statuses = progress_api.lesson_status_for(user_id=carmen.pk, page_ids=lessons)
    assert lessons and all(statuses[pk].status == "completed" for pk in lessons)


def test_demo_activity_needs_development_and_the_demo_sede(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_activity")
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("demo_activity")


def test_the_demo_learner_finds_a_course_under_way(db, settings, client):
    from lms.progress.models import LearningEvent

    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("demo_sede")
    call_command("demo_activity")
    call_command("demo_activity")  # once: not enrolled again, no lesson done twice
    educanda = User.objects.get(username="educanda")
    assert LearningEvent.objects.filter(user=educanda, verb="completed").count() == 2
    client.force_login(educanda)
    html = client.get("/mis-cursos/").content.decode()
    assert "Fracciones y porcentajes" in html
    assert "Continuar: " in html
