"""The embedded default on a busy machine: a Prefect API that does not start ends a command with one
German line (never a traceback), and what the command committed before stays committed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support_cli import clean_env

from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region

VERBUND = str(Path(sys.executable).with_name("verbund"))


def _sample_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'verbund.db'}"
    app = bootstrap(Settings(database_url=url))
    build_sample_region(app, at=parse_instant("2019-09-02T09:00"))
    app.engine.dispose()
    return clean_env(VERBUND_DATABASE_URL=url, VERBUND_NOW="2019-09-02T10:00", PREFECT_HOME=str(tmp_path / "ph"),
                     COLUMNS="200", **extra)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=600, check=False)


def test_a_prefect_server_that_does_not_start_in_time_ends_the_command_with_one_german_line(tmp_path: Path) -> None:
    # One second is far less than the interpreter needs to import Prefect's server, on any machine.
    env = _sample_env(tmp_path, VERBUND_PREFECT_START_TIMEOUT="1")
    result = _run(env, "stage", "advance", "kv-auental-nord", "analysis")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("Fehler:")]
    assert len(lines) == 1, result.stderr
    assert "Prefect-Server" in lines[0] and "nicht innerhalb von 1 s gestartet" in lines[0]
    assert "VERBUND_PREFECT_START_TIMEOUT" in lines[0]
    # The transition was committed before the flow was to run; its stage is reconciled later.
    shown = json.loads(_run(env, "stage", "show", "kv-auental-nord", "analysis", "--json").stdout)
    assert shown["state"] == "open"


def test_a_start_timeout_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    env = _sample_env(tmp_path, VERBUND_PREFECT_START_TIMEOUT="lange")
    result = _run(env, "stage", "advance", "kv-auental-nord", "analysis")
    assert result.returncode == 1
    expected = "Fehler: VERBUND_PREFECT_START_TIMEOUT: 'lange' ist keine ganze Zahl von Sekunden ≥ 1"
    assert result.stderr.strip() == expected


READ_ONLY_PROBE = """
import json, sys
from typer.testing import CliRunner
from verbund.cli.main import app
results = {}
for args in json.loads(sys.argv[1]):
    result = CliRunner().invoke(app, args)
    results[" ".join(args)] = [result.exit_code, any(m == "prefect" or m.startswith("prefect.") for m in sys.modules)]
print(json.dumps(results))
"""


def test_read_only_commands_never_import_prefect(tmp_path: Path) -> None:
    """`status`, `outbox`, `coverage`, `stage show`, `templates` and `--help` start without Prefect."""
    env = _sample_env(tmp_path)
    commands = [["--help"], ["status"], ["status", "--json"], ["outbox", "--json"], ["coverage"],
                ["stage", "show", "kv-auental-nord", "analysis"], ["templates", "list", "--json"],
                ["templates", "show", "sachsen-inklusion"], ["stage", "--help"], ["remind", "--help"]]
    probe = subprocess.run([sys.executable, "-c", READ_ONLY_PROBE, json.dumps(commands)], env=env,
                           capture_output=True, text=True, timeout=600, check=False)
    assert probe.returncode == 0, probe.stderr
    results = json.loads(probe.stdout.splitlines()[-1])
    assert results == {" ".join(args): [0, False] for args in commands}
