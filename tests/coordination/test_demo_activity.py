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
    assert home.context["total"].enrolled == 10
    assert home.context["total"].completed == 2
    assert home.context["at_risk"] >= 3
    assert any(week.learners for week in home.context["weeks"])


def test_demo_activity_needs_development_and_the_demo_sede(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_activity")
    settings.DEBUG = True
    with pytest.raises(CommandError):
        call_command("demo_activity")
