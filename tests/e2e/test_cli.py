"""The `verbund` command end to end on the embedded default (as `make demo`): in-process (Typer's
CliRunner) on a copy of the session's demo database, and in a subprocess where the process matters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support_cli import clean_env, invoke

VERBUND = str(Path(sys.executable).with_name("verbund"))


def _run(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_the_demo_ends_with_every_network_completed_in_all_five_stages(demo_database: str) -> None:
    result = invoke("status", "--json", VERBUND_DATABASE_URL=demo_database)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["networks"]) == 4
    for network in data["networks"]:
        assert set(network) >= {"slug", "name", "region", "template", "stages"}
        assert network["region"] == "sn-muldenland"
        assert network["template"] == "sachsen-inklusion"
        assert [s["name"] for s in network["stages"]] == ["analysis", "potentials", "goals", "consultation", "protocol"]
        for stage in network["stages"]:
            assert stage["state"] == "completed"
            assert stage["cycle"] == 1
            assert stage["completed_at"].startswith("2019-")
            assert len(stage["due"]) == 10


@pytest.mark.slow
def test_the_demo_runs_again_without_changing_anything(demo_database: str, tmp_path: Path) -> None:
    """`verbund demo` as a user runs it: its own process, its own ephemeral Prefect API."""
    env = clean_env(VERBUND_DATABASE_URL=demo_database, PREFECT_HOME=str(tmp_path / "ph"), COLUMNS="200")
    before = _run(env, "status", "--json").stdout
    again = _run(env, "demo")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    assert "Demo beendet: 4 Verbünde in sn-muldenland, 20 von 20 Stufen abgeschlossen." in again.stdout
    assert _run(env, "status", "--json").stdout == before


def test_stage_show_lists_the_audit_trail_with_the_sign_off(demo_database: str) -> None:
    result = invoke("stage", "show", "kv-auental-nord", "analysis", "--json", VERBUND_DATABASE_URL=demo_database)
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    moves = [(e["from"], e["to"]) for e in shown["events"] if e["action"] == "transition"]
    assert moves == [("pending", "open"), ("open", "ready"), ("ready", "completed")]
    assert shown["events"][-1]["actor"].startswith("prozessverantwortung@")


def test_advancing_a_completed_stage_says_why_not(demo_database: str) -> None:
    result = invoke("stage", "advance", "kv-auental-nord", "goals", VERBUND_DATABASE_URL=demo_database)
    assert result.exit_code == 1
    assert "bereits beendet" in result.stderr


def test_waive_is_refused_without_reason_and_person(demo_database: str) -> None:
    result = invoke("stage", "waive", "kv-auental-nord", "goals", "--by", "po@example.org",
                    VERBUND_DATABASE_URL=demo_database)
    assert result.exit_code == 2
    assert "--reason" in result.stderr


def test_stage_actions_record_the_real_time_given_with_at(tmp_path: Path, prefect_api: str) -> None:
    """Back-filling a build-out that began before the system: the event carries --at."""
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.clock import parse_instant
    from verbund.services.app.settings import Settings
    from verbund.services.demo.sample import build_sample_region

    url = f"sqlite:///{tmp_path / 'verbund.db'}"
    app = bootstrap(Settings(database_url=url))
    build_sample_region(app, at=parse_instant("2018-01-08T09:00"))
    app.engine.dispose()
    opened = invoke("stage", "advance", "kv-heidegrund-ost", "analysis", "--at", "2018-02-01T10:00", "--json",
                    VERBUND_DATABASE_URL=url)
    assert opened.exit_code == 0, opened.output
    assert json.loads(opened.stdout)["state"] == "open"
    waived = invoke("stage", "waive", "kv-heidegrund-ost", "analysis", "--reason", "Analyse 2018 auf Papier",
                    "--by", "po@example.org", "--at", "2018-03-01T10:00", VERBUND_DATABASE_URL=url)
    assert waived.exit_code == 0, waived.output
    shown = json.loads(invoke("stage", "show", "kv-heidegrund-ost", "analysis", "--json",
                              VERBUND_DATABASE_URL=url).stdout)
    assert shown["state"] == "waived"
    assert [e["at"][:10] for e in shown["events"] if e["action"] == "transition"] == ["2018-02-01", "2018-03-01"]
    bad = invoke("stage", "show", "kv-heidegrund-ost", "analysis", "--at", "gestern", VERBUND_DATABASE_URL=url)
    assert bad.exit_code == 1 and "--at" in bad.stderr and "gestern" in bad.stderr
