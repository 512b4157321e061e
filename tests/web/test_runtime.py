"""The command-line entry points: createuser (password from stdin), serve, and their wiring."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from typer.testing import CliRunner

from linkwork.cli import app
from linkwork.errors import LinkworkError
from linkwork.web import runtime
from linkwork.web.models import Profile

runner = CliRunner()
GOOD = "correct-horse-battery-staple"


def test_password_from_lines():
    assert runtime.password_from_lines(f"{GOOD}\n") == GOOD
    assert runtime.password_from_lines(f"{GOOD}\n{GOOD}\n") == GOOD
    with pytest.raises(LinkworkError, match="differ"):
        runtime.password_from_lines(f"{GOOD}\nsomething else\n")
    with pytest.raises(LinkworkError, match="no password"):
        runtime.password_from_lines("")


def test_createuser_command_reads_password_from_stdin(db):
    result = runner.invoke(
        app,
        ["createuser", "lw9", "--role", "link_worker", "--site", "S7"],
        input=f"{GOOD}\n{GOOD}\n",
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="lw9")
    assert user.check_password(GOOD)
    assert not user.is_staff
    profile = Profile.objects.get(user=user)
    assert (profile.role, profile.site.code) == ("link_worker", "S7")


def test_createuser_admin_gets_the_django_admin(db):
    runtime.create_user("boss", "admin", GOOD)
    user = User.objects.get(username="boss")
    assert user.is_staff
    assert user.is_superuser


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["x", "--role", "wizard"], GOOD, "unknown role"),
        (["x", "--role", "link_worker"], GOOD, "needs --site"),
        (["x", "--role", "evaluator"], "short", "password rejected"),
        (["x", "--role", "evaluator"], "password1234", "password rejected"),
    ],
)
def test_createuser_refuses_bad_input(db, args, password, message):
    with pytest.raises(LinkworkError, match=message):
        runtime.create_user(args[0], args[2], password, site=None)
    assert not User.objects.filter(username="x").exists()


def test_createuser_refuses_an_existing_name(db):
    runtime.create_user("ev", "evaluator", GOOD)
    with pytest.raises(LinkworkError, match="exists"):
        runtime.create_user("ev", "evaluator", GOOD)


def test_serve_runs_djangos_server_on_the_requested_address(db, monkeypatch):
    calls = {}

    def fake_run(host, port, handler, threading):
        calls.update(host=host, port=port, handler=handler, threading=threading)

    monkeypatch.setattr("django.core.servers.basehttp.run", fake_run)
    result = runner.invoke(app, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert (calls["host"], calls["port"], calls["threading"]) == ("127.0.0.1", 8123, True)
    assert "http://127.0.0.1:8123/" in result.output
    assert callable(calls["handler"])


def test_createuser_command_refuses_differing_passwords(db):
    result = runner.invoke(
        app, ["createuser", "lw8", "--role", "evaluator"], input=f"{GOOD}\nsomething else\n"
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, LinkworkError)
    assert "differ" in str(result.exception)
    assert not User.objects.filter(username="lw8").exists()
