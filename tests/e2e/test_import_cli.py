"""`verbund import`, `verbund assign`, `verbund coverage` end to end, with JSON as in CONTRACTS.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support_cli import clean_env

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))
SHARED_DATA = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
ZWICKAU = SHARED_DATA / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
ARNSBERG = SHARED_DATA / "nrw" / "schuldaten_arnsberg_excerpt.csv"
needs_shared_data = pytest.mark.skipif(
    not (ZWICKAU.exists() and ARNSBERG.exists()),
    reason=f"real school data not found under {SHARED_DATA} (set VERBUND_SHARED_DATA)",
)
REPORT_KEYS = {"created", "updated", "unchanged", "closed", "out_of_scope", "rejected"}


def _env(tmp_path: Path) -> dict[str, str]:
    env = clean_env()
    env.update(VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}", PREFECT_HOME=str(tmp_path / "ph"),
               VERBUND_NOW="2021-03-01T09:00", COLUMNS="200")
    return env


def later(env: dict[str, str]) -> dict[str, str]:
    """An hour after VERBUND_NOW: each command starts its clock at VERBUND_NOW, so a query command that
    starts quicker than the one that assigned would look at a moment before the assignment."""
    return {**env, "VERBUND_NOW": "2021-03-01T10:00"}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([VERBUND, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def _json(env: dict[str, str], *args: str) -> dict[str, object]:
    result = _run(env, *args)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


@needs_shared_data
def test_import_dry_run_reimport_and_coverage_speak_the_contract(tmp_path: Path) -> None:
    env = _env(tmp_path)

    dry = _json(env, "import", "sachsen", str(ZWICKAU), "--dry-run", "--json")
    assert set(dry) >= REPORT_KEYS and dry["created"] == 301 and dry["dry_run"] is True
    assert _json(env, "coverage", "--json")["regions"] == []

    first = _json(env, "import", "sachsen", str(ZWICKAU), "--json")
    again = _json(env, "import", "sachsen", str(ZWICKAU), "--json")
    nrw = _json(env, "import", "nrw", str(ARNSBERG), "--json")
    assert (first["created"], again["created"], again["updated"], again["unchanged"]) == (301, 0, 0, 301)
    assert nrw["created"] == 80 and nrw["rejected"] == []

    coverage = _json(env, "coverage", "--json")
    assert set(coverage) >= {"regions", "out_of_scope"}
    regions = {r["slug"]: r for r in coverage["regions"]}  # type: ignore[attr-defined]
    for row in regions.values():
        assert set(row) >= {"slug", "name", "state", "parent", "schools_in_scope", "assigned", "unassigned"}
    assert (regions["sn-zwickau"]["schools_in_scope"], regions["sn-zwickau"]["unassigned"]) == (189, 189)
    assert regions["nw-bochum"]["parent"] == "Bezirksregierung Arnsberg" and regions["nw-bochum"]["state"] == "NW"
    for entry in coverage["out_of_scope"]:  # type: ignore[attr-defined]
        assert set(entry) == {"source_id", "name", "region", "reason"} and entry["reason"]

    table = _run(env, "coverage")
    assert table.returncode == 0 and "sn-zwickau" in table.stdout and "189" in table.stdout


@needs_shared_data
def test_assign_rules_cover_the_region_and_coverage_shows_it(tmp_path: Path) -> None:
    env = _env(tmp_path)
    _json(env, "import", "sachsen", str(ZWICKAU), "--json")
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[networks]]\nslug = "kv-vogtland"\nname = "KV Vogtland"\nregion = "sn-zwickau"\nkreise = ["14523"]\n'
        '[[networks]]\nslug = "kv-zwickau"\nname = "KV Zwickau"\nregion = "sn-zwickau"\nkreise = ["14524"]\n',
        encoding="utf-8")

    report = _json(env, "assign", "rules", str(rules), "--json")
    moved = _json(env, "assign", "school", "sachsen:1003", "kv-zwickau", "--by", "po@example.org", "--json")

    assert report["assigned"] == 189 and report["conflicts"] == []
    assert moved["changed"] is True and moved["ended"] == 1
    zwickau = next(r for r in _json(later(env), "coverage", "--json")["regions"]  # type: ignore[attr-defined]
                   if r["slug"] == "sn-zwickau")
    assert (zwickau["assigned"], zwickau["unassigned"]) == (189, 0)
    foci = _json(env, "foci", "--network", "kv-vogtland", "--json")
    assert [len(n["foci"]) for n in foci["networks"]] == [7]  # type: ignore[attr-defined]


def test_a_broken_file_fails_in_german_naming_the_place_and_stores_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    broken = tmp_path / "kaputt.json"
    broken.write_text('[{"id": 1,', encoding="utf-8")

    result = _run(env, "import", "sachsen", str(broken), "--json")

    assert result.returncode == 1
    assert "kaputt.json" in result.stderr and "kein gültiges JSON" in result.stderr
    assert "Nichts wurde gespeichert" in result.stderr and "Traceback" not in result.stderr
    assert _json(env, "coverage", "--json")["regions"] == []


def test_import_csv_needs_its_mapping_and_reads_it(tmp_path: Path) -> None:
    env = _env(tmp_path)
    data, mapping = tmp_path / "schulen.csv", tmp_path / "mapping.toml"
    data.write_text("Nr;Name;Amt\n1;Grundschule Nord;KS\n2;Grundschule Süd;KS\n", encoding="utf-8")
    mapping.write_text('source = "he-test"\nstate = "HE"\n[columns]\nid = "Nr"\nname = "Name"\nregion = "Amt"\n'
                       '[regions.KS]\nslug = "he-kassel"\nname = "Staatliches Schulamt Kassel"\n', encoding="utf-8")

    missing = _run(env, "import", "csv", str(data))
    report = _json(env, "import", "csv", str(data), "--mapping", str(mapping), "--json")

    assert missing.returncode != 0 and "--mapping" in missing.stderr
    assert report["created"] == 2 and report["rejected"] == []


def test_assign_mapping_names_bad_lines_fails_and_then_assigns_the_corrected_file(tmp_path: Path) -> None:
    env = _env(tmp_path)
    schools = tmp_path / "schulen.json"
    schools.write_text(json.dumps([
        {"id": n, "legal_status_key": "01", "inspectorate_key": "05", "school_category_key": "10",
         "buildings": [{"building_type_key": "01", "name": f"Grundschule {n}", "community_key": "14524330",
                        "school_type_keys": [11]}]} for n in (1, 2)]), encoding="utf-8")
    rules = tmp_path / "verbuende.toml"
    rules.write_text('[[networks]]\nslug = "kv-zwickau"\nname = "KV Zwickau"\nregion = "sn-zwickau"\n',
                     encoding="utf-8")
    _json(env, "import", "sachsen", str(schools), "--json")
    _json(env, "assign", "rules", str(rules), "--json")
    mapping = tmp_path / "zuordnung.csv"
    mapping.write_text("school;network\n1;kv-zwickau\n2;kv-nirgendwo\n", encoding="utf-8")

    bad = _run(env, "assign", "mapping", str(mapping), "--json")
    mapping.write_text("school;network\n1;kv-zwickau\n2;kv-zwickau\n", encoding="utf-8")
    dry = _json(env, "assign", "mapping", str(mapping), "--dry-run", "--json")
    good = _json(env, "assign", "mapping", str(mapping), "--json")

    assert bad.returncode == 1 and "nichts wurde gespeichert" in bad.stderr
    assert json.loads(bad.stdout)["rejected"] == [
        {"where": "Zeile 3", "field": "network",
         "reason": "Verbund 'kv-nirgendwo' gibt es nicht (anlegen: verbund assign rules)"}]
    assert (dry["assigned"], dry["stored"], good["assigned"], good["stored"]) == (2, False, 2, True)
    zwickau = next(r for r in _json(later(env), "coverage", "--json")["regions"]  # type: ignore[attr-defined]
                   if r["slug"] == "sn-zwickau")
    assert (zwickau["assigned"], zwickau["unassigned"]) == (2, 0)


def test_a_long_import_draws_a_progress_bar_on_stderr_only_when_asked_or_on_a_terminal(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
    from test_import_progress import nrw_file

    data = nrw_file(tmp_path / "schuldaten.csv", 5000)
    env = _env(tmp_path)

    with_bar = _run(env, "import", "nrw", str(data), "--dry-run", "--json", "--progress")
    piped = _run(env, "import", "nrw", str(data), "--dry-run", "--json")

    assert with_bar.returncode == 0 and json.loads(with_bar.stdout)["created"] == 5000
    assert "Schulen übernehmen" in with_bar.stderr and "100%" in with_bar.stderr
    assert "\x1b[" in with_bar.stderr  # drawn with terminal control sequences
    assert piped.returncode == 0 and json.loads(piped.stdout)["created"] == 5000
    assert "Schulen übernehmen" not in piped.stderr
