"""The `verbund` command end to end, in subprocesses, on the embedded default (as `make demo`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support_cli import clean_env

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = clean_env()
    env.update(
        VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}",
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        COLUMNS="200",
        **extra,
    )
    return env


def _run(env: dict[str, str], *args: str, timeout: int = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One demo run through the CLI on a temporary database (the embedded default)."""
    env = _env(tmp_path_factory.mktemp("demo"))
    result = _run(env, "demo")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "20 von 20 Stufen abgeschlossen" in result.stdout
    return env


def test_the_demo_ends_with_every_network_completed_in_all_five_stages(demo_env: dict[str, str]) -> None:
    result = _run(demo_env, "status", "--json")
    assert result.returncode == 0, result.stderr
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


def test_the_demo_runs_again_without_changing_anything(demo_env: dict[str, str]) -> None:
    before = _run(demo_env, "status", "--json").stdout
    again = _run(demo_env, "demo")
    assert again.returncode == 0, again.stderr[-2000:]
    assert _run(demo_env, "status", "--json").stdout == before


def test_stage_show_lists_the_audit_trail_with_the_sign_off(demo_env: dict[str, str]) -> None:
    result = _run(demo_env, "stage", "show", "kv-auental-nord", "analysis", "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    moves = [(e["from"], e["to"]) for e in shown["events"] if e["action"] == "transition"]
    assert moves == [("pending", "open"), ("open", "ready"), ("ready", "completed")]
    assert shown["events"][-1]["actor"].startswith("prozessverantwortung@")


def test_advancing_a_completed_stage_says_why_not(demo_env: dict[str, str]) -> None:
    result = _run(demo_env, "stage", "advance", "kv-auental-nord", "goals")
    assert result.returncode == 1
    assert "bereits beendet" in result.stderr


def test_waive_is_refused_without_reason_and_person(demo_env: dict[str, str]) -> None:
    result = _run(demo_env, "stage", "waive", "kv-auental-nord", "goals", "--by", "po@example.org")
    assert result.returncode == 2
    assert "--reason" in result.stderr


def test_stage_actions_record_the_real_time_given_with_at(tmp_path: Path) -> None:
    """Back-filling a build-out that began before the system: the event carries --at."""
    env = _env(tmp_path)
    from verbund.services.bootstrap import bootstrap
    from verbund.services.clock import parse_instant
    from verbund.services.sample import build_sample_region
    from verbund.services.settings import Settings

    app = bootstrap(Settings(database_url=env["VERBUND_DATABASE_URL"]))
    build_sample_region(app, at=parse_instant("2018-01-08T09:00"))
    app.engine.dispose()
    opened = _run(env, "stage", "advance", "kv-heidegrund-ost", "analysis", "--at", "2018-02-01T10:00", "--json")
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout)["state"] == "open"
    waived = _run(env, "stage", "waive", "kv-heidegrund-ost", "analysis", "--reason", "Analyse 2018 auf Papier",
                  "--by", "po@example.org", "--at", "2018-03-01T10:00")
    assert waived.returncode == 0, waived.stderr
    shown = json.loads(_run(env, "stage", "show", "kv-heidegrund-ost", "analysis", "--json").stdout)
    assert shown["state"] == "waived"
    assert [e["at"][:10] for e in shown["events"] if e["action"] == "transition"] == ["2018-02-01", "2018-03-01"]
    bad = _run(env, "stage", "show", "kv-heidegrund-ost", "analysis", "--at", "gestern")
    assert bad.returncode == 1 and "--at" in bad.stderr and "gestern" in bad.stderr
