import pytest
from django.core.management import CommandError, call_command

from lms.accounts import api, roles
from lms.accounts.models import User


def test_demo_accounts_are_refused_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="solo existen en desarrollo"):
        call_command("demo_accounts")
    assert not User.objects.filter(username="educanda").exists()


def test_demo_accounts_one_per_role(db, settings, capsys):
    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("demo_accounts")  # twice: nothing duplicated
    out = capsys.readouterr().out
    for account in api.DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.check_password(account.password)
        assert user.groups.filter(name=account.role).exists()
        assert account.password in out
    asesor = User.objects.get(username="asesor")
    assert asesor.assigned_courses.count() >= 4
    assert api.user_has_role(asesor, roles.ASESOR)


def test_demo_sede_gives_the_demo_coordinator_a_dashboard(db, settings, client):
    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("demo_sede")
    call_command("demo_sede")  # idempotent
    coordinator = User.objects.get(username="coordinadora")
    client.force_login(coordinator)
    response = client.get("/coordinacion/")
    assert response.status_code == 200
    assert "Plaza Comunitaria de demostración" in response.content.decode()


def test_demo_sede_is_refused_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_sede")
