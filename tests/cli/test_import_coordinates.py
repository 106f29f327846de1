"""``verbund import coordinates`` on the real Saxon files: the Zwickau API excerpt (no coordinates)
joined with Datenschule's 2017 list by the Dienststellenschlüssel; schools sharing a key share the
coordinates, a re-import of the API keeps them, what did not match is reported, and
``assign suggest`` then measures distances in Saxony too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
API = SHARED / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
COORDINATES = SHARED / "sachsen" / "schulen_2017_datenschule.csv"
pytestmark = pytest.mark.skipif(not COORDINATES.exists(), reason=f"{COORDINATES} fehlt (VERBUND_SHARED_DATA setzen)")
MAPPING = 'delimiter = ","\n[columns]\nkey = "official_id"\nlatitude = "lat"\nlongitude = "lon"\nname = "name"\n'


@pytest.fixture
def verbund(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("VERBUND_DATABASE_URL", f"sqlite:///{tmp_path / 'v.db'}")
    monkeypatch.setenv("VERBUND_NOW", "2021-03-01T09:00:00")
    from cli_world import Cli, cli_app

    import verbund.cli.main as main
    from verbund.services.app.clock import parse_instant

    monkeypatch.setattr(main, "_app", lambda **_: cli_app())  # stage flows inline, no Prefect start-up
    yield Cli(main.app, parse_instant("2021-03-01T09:00:00"))


def _ok(cli: Any, *args: str) -> Any:
    return cli.ok(*args)  # each command a minute after the one before (VERBUND_NOW)


def test_coordinates_join_by_the_dienststellenschluessel(verbund: Any, tmp_path: Path) -> None:
    mapping = tmp_path / "koordinaten.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    _ok(verbund, "import", "sachsen", str(API))
    dry = _ok(verbund, "import", "coordinates", str(COORDINATES), "--mapping", str(mapping), "--dry-run", "--json")
    assert dry["dry_run"] and dry["updated"] > 200
    found = _ok(verbund, "school", "find", "Goethe-Gymnasium", "--json")["schools"]
    assert all(s["service_key"] for s in found)
    report = _ok(verbund, "import", "coordinates", str(COORDINATES), "--mapping", str(mapping), "--json")
    assert report["rows"] == 2087 and report["matched_keys"] > 200
    assert report["updated"] > report["matched_keys"]  # a shared key gives several schools the same point
    assert report["unmatched"] > 1000  # the file covers all of Saxony, the excerpt only Zwickau
    assert report["unmatched_rows"][0]["where"].startswith("Zeile ") and report["unmatched_rows"][0]["key"]
    assert 0 < report["without_coordinates"] < 60 and report["schools_without_coordinates"][0]["school"]

    again = _ok(verbund, "import", "sachsen", str(API), "--json")
    assert again["updated"] == 0  # the API has no coordinates: a re-import keeps the joined ones
    assert _ok(verbund, "import", "coordinates", str(COORDINATES), "--mapping", str(mapping),
               "--json")["updated"] == 0

    placed = [s for s in _ok(verbund, "school", "find", "Gymnasium", "--json")["schools"] if s["latitude"]]
    school = placed[0]["school"]
    _ok(verbund, "network", "create", "kv-zwickau-test", "--name", "KV Zwickau Test", "--region", placed[0]["region"])
    _ok(verbund, "assign", "school", school, "kv-zwickau-test", "--by", "po@example.org")
    suggestions = _ok(verbund, "assign", "suggest", "--region", placed[0]["region"], "--json")["suggestions"]
    measured = [s for s in suggestions if s["distance_km"] is not None]
    assert len(measured) > 100 and all(s["network"] == "kv-zwickau-test" for s in measured)

    broken = tmp_path / "kaputt.toml"
    broken.write_text('[columns]\nkey = "official_id"\n', encoding="utf-8")
    refused = verbund.fails("import", "coordinates", str(COORDINATES), "--mapping", str(broken))
    assert "columns.latitude" in refused and "Nichts wurde gespeichert" in refused
