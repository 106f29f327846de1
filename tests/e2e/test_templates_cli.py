"""`verbund templates …` and `verbund demo --template KEY` end to end, in subprocesses.

The three demos run one after the other on one database (as a process owner with networks of
several templates would have it); the Saxon demo is covered by tests/e2e/test_cli.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support_cli import clean_env

from verbund.domain.process import load_template

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))
TEMPLATES = ["nrw-bildungsnetzwerk", "hessen-kooperationsverbund", "kommunale-koordinierung"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = clean_env()
    env.update(VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}", PREFECT_HOME=str(tmp_path / "ph"),
               COLUMNS="200")
    return env


def _run(env: dict[str, str], *args: str, timeout: int = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, str]]:
    env = _env(tmp_path_factory.mktemp("templates"))
    outputs = {}
    for key in TEMPLATES:
        result = _run(env, "demo", "--template", key)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        outputs[key] = result.stdout
    return env, outputs


def _status(env: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    result = _run(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    networks: dict[str, list[dict[str, Any]]] = {}
    for network in json.loads(result.stdout)["networks"]:
        networks.setdefault(network["template"], []).append(network)
    return networks


def test_templates_list_json_names_the_four_templates_with_their_stages(tmp_path: Path) -> None:
    result = _run(_env(tmp_path), "templates", "list", "--json")

    assert result.returncode == 0, result.stderr
    listed = {t["key"]: t for t in json.loads(result.stdout)["templates"]}
    assert sorted(listed) == sorted([*TEMPLATES, "sachsen-inklusion"])
    assert listed["sachsen-inklusion"]["stages"] == ["analysis", "potentials", "goals", "consultation", "protocol"]
    assert "bildungskonferenz" in listed["nrw-bildungsnetzwerk"]["stages"]
    assert all(set(t) >= {"key", "name", "stages"} for t in listed.values())


def test_templates_show_explains_a_template_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    shown = _run(_env(tmp_path), "templates", "show", "nrw-bildungsnetzwerk", "--json")
    unknown = _run(_env(tmp_path), "templates", "show", "bayern")

    data = json.loads(shown.stdout)
    conference = next(s for s in data["stages"] if s["name"] == "bildungskonferenz")
    assert conference["recurs_every_months"] == 12
    assert data["roles"]["steering_committee"] == "Lenkungskreis"
    assert unknown.returncode == 1
    assert "unbekannte Prozessvorlage 'bayern'" in unknown.stderr


def test_templates_check_names_file_line_and_problem(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.toml"
    path.write_text('key = "k"\nname = "K"\nstate = "NW"\n\n[[stages]]\nname = "a"\ntitle = "A"\n'
                    'due_business_days = 5\n\n[[stages.checks]]\ncheck = "goals_confirmd"\n', encoding="utf-8")

    result = _run(_env(tmp_path), "templates", "check", str(path))

    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert f"{path}:11:" in message
    assert "unbekannte Prüfung 'goals_confirmd'" in message


def test_each_template_demo_completes_every_stage(demos: tuple[dict[str, str], dict[str, str]]) -> None:
    env, outputs = demos
    networks = _status(env)

    for key in TEMPLATES:
        assert networks[key], key
        total = sum(len(n["stages"]) for n in networks[key])
        assert f"{total} von {total} Stufen abgeschlossen" in outputs[key]
        for network in networks[key]:
            assert {s["state"] for s in network["stages"]} == {"completed"}


def test_the_nrw_demo_runs_two_annual_bildungskonferenzen(demos: tuple[dict[str, str], dict[str, str]]) -> None:
    env, _ = demos

    for network in _status(env)["nrw-bildungsnetzwerk"]:
        stages = network["stages"]
        conferences = [s for s in stages if s["name"] == "bildungskonferenz"]
        assert [s["cycle"] for s in conferences] == [1, 2]
        first, second = (str(s["completed_at"]) for s in conferences)
        assert second[:4] == str(int(first[:4]) + 1)  # a year later


def test_the_demos_show_a_consensus_decision_failing_on_one_objection(
    demos: tuple[dict[str, str], dict[str, str]]
) -> None:
    _, outputs = demos

    for key in TEMPLATES:
        text = " ".join(outputs[key].split())
        assert "nicht angenommen: nicht beschlossen: Einwand von" in text, key
        assert "Zuständigkeit bleibt bei" in text


def test_the_status_table_shows_each_template_with_its_own_stages(demos: tuple[dict[str, str], dict[str, str]]) -> None:
    env, _ = demos

    result = _run(env, "status")

    assert result.returncode == 0, result.stderr
    flowing = " ".join(result.stdout.split())  # a long title may wrap
    for key in TEMPLATES:  # named in German (issue 17), the stages by their titles
        assert f"Stand der Verbünde ({load_template(key).name})" in flowing
    assert "Durchlauf 2" in result.stdout
    assert "Interne" in result.stdout and "Bildungskonferenz" in result.stdout
    assert "interne-leistungen" not in result.stdout and "bildungskonferenz" not in result.stdout
