"""``verbund user add / set-password / stand-in`` in subprocesses: the password comes from stdin and
is never echoed; the result is checked by logging in through the service layer."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from dashboard_world import World
from support_cli import clean_env

from verbund.services.access.users import login, session_principal

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))
NEW_PASSWORD = "Zweites-geheimes-Passwort-77"
FIRST_PASSWORD = "Erstes-geheimes-Passwort-11"


def _run(world: World, tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.update(VERBUND_DATABASE_URL=str(world.app.engine.url), PREFECT_HOME=str(tmp_path / "prefect-home"),
               VERBUND_NOW=(world.app.now() - dt.timedelta(hours=1)).isoformat(),  # the stand-in starts then
               COLUMNS="200")
    return subprocess.run([VERBUND, "user", *args], input=stdin, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def test_user_add_set_password_and_stand_in_take_the_password_from_stdin_and_never_echo_it(
    world: World, tmp_path: Path
) -> None:
    network = world.own[1]
    added = _run(world, tmp_path, "add", "--email", "Neue.Koordination@example.org", "--role", "coordinator",
                 "--network", network, "--password-stdin", stdin=FIRST_PASSWORD + "\n")
    assert added.returncode == 0, _output(added)
    assert "angelegt" in added.stdout and FIRST_PASSWORD not in _output(added)
    token = login(world.app, "neue.koordination@example.org", FIRST_PASSWORD)
    assert token is not None
    who = session_principal(world.app, token)
    assert who is not None and who.role == "coordinator" and who.networks == {network}

    changed = _run(world, tmp_path, "set-password", "--email", "neue.koordination@example.org", "--password-stdin",
                   stdin=NEW_PASSWORD + "\n")
    assert changed.returncode == 0, _output(changed)
    assert NEW_PASSWORD not in _output(changed)
    assert session_principal(world.app, token) is None  # a new password ends every session
    assert login(world.app, "neue.koordination@example.org", FIRST_PASSWORD) is None
    assert login(world.app, "neue.koordination@example.org", NEW_PASSWORD) is not None

    until = (world.app.now().date()).replace(year=world.app.now().year + 1).isoformat()
    stood_in = _run(world, tmp_path, "stand-in", "--email", world.users["coordinator"], "--stand-in",
                    "neue.koordination@example.org", "--until", until)
    assert stood_in.returncode == 0, _output(stood_in)
    again = login(world.app, "neue.koordination@example.org", NEW_PASSWORD)
    stand_in = session_principal(world.app, again)
    assert stand_in is not None and stand_in.networks == {network, world.own[0]}


def test_user_commands_refuse_weak_or_missing_passwords_and_bad_scopes_in_german_without_echo(
    world: World, tmp_path: Path
) -> None:
    weak = _run(world, tmp_path, "add", "--email", "po@example.org", "--role", "process_owner", "--region", "SN",
                "--password-stdin", stdin="kurz\n")
    assert weak.returncode != 0 and "kurz" not in _output(weak).replace("zu kurz", "")
    assert "Fehler" in weak.stderr
    as_argument = _run(world, tmp_path, "add", "--email", "po@example.org", "--role", "process_owner",
                       "--region", "SN", stdin=FIRST_PASSWORD + "\n")
    assert as_argument.returncode != 0 and "--password-stdin" in _output(as_argument)
    unknown = _run(world, tmp_path, "add", "--email", "po@example.org", "--role", "process_owner",
                   "--region", "sn-gibtsnicht", "--password-stdin", stdin=FIRST_PASSWORD + "\n")
    assert unknown.returncode == 1 and "sn-gibtsnicht" in unknown.stderr and FIRST_PASSWORD not in _output(unknown)
    nobody = _run(world, tmp_path, "set-password", "--email", "niemand@example.org", "--password-stdin",
                  stdin=NEW_PASSWORD + "\n")
    assert nobody.returncode == 1 and NEW_PASSWORD not in _output(nobody)
    assert login(world.app, "po@example.org", FIRST_PASSWORD) is None
