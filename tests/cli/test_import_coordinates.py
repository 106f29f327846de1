"""``verbund import coordinates`` on the real Saxon files: the Zwickau API excerpt (no coordinates)
joined with Datenschule's 2017 list by the Dienststellenschlüssel; schools sharing a key share the
coordinates, a re-import of the API keeps them, what did not match is reported, and
``assign suggest`` and ``foci`` then measure distances in Saxony too (checked against the files'
own coordinates on the WGS84 ellipsoid)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyproj import Geod

SHARED = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
API = SHARED / "sachsen" / "schuldatenbank_api_2021-02_zwickau.json"
COORDINATES = SHARED / "sachsen" / "schulen_2017_datenschule.csv"
pytestmark = pytest.mark.skipif(not (API.exists() and COORDINATES.exists()),
                                reason=f"{API.name} oder {COORDINATES.name} fehlt unter {SHARED / 'sachsen'} "
                                       "(VERBUND_SHARED_DATA setzen)")
GEOD = Geod(ellps="WGS84")
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


RULES = ('[[networks]]\nslug = "{slug}"\nname = "{name}"\nregion = "sn-zwickau"\nkreise = ["{kreis}"]\n')
KREISE = {"kv-vogtland": ("Kooperationsverbund Vogtlandkreis", "14523"),
          "kv-landkreis-zwickau": ("Kooperationsverbund Landkreis Zwickau", "14524")}


def _rules(tmp_path: Path, *slugs: str) -> Path:
    path = tmp_path / f"regeln-{len(slugs)}.toml"
    path.write_text("".join(RULES.format(slug=s, name=KREISE[s][0], kreis=KREISE[s][1]) for s in slugs),
                    encoding="utf-8")
    return path


def _file_points() -> dict[str, tuple[float, float]]:
    """The oracle, read from the files themselves: Saxon API id → the first Datenschule row of its
    Dienststellenschlüssel (``institution_key`` = ``official_id``)."""
    with COORDINATES.open(encoding="utf-8", newline="") as handle:
        by_key: dict[str, tuple[float, float]] = {}
        for row in csv.DictReader(handle):
            by_key.setdefault(row["official_id"], (float(row["lat"]), float(row["lon"])))
    schools = json.loads(API.read_text(encoding="utf-8"))
    return {f"sachsen:{s['id']}": by_key[s["institution_key"]] for s in schools if s["institution_key"] in by_key}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """On the WGS84 ellipsoid (pyproj), independent of the haversine sphere the code uses."""
    return float(GEOD.inv(a[1], a[0], b[1], b[0])[2]) / 1000


def _members(cli: Any, slug: str, points: dict[str, tuple[float, float]]
             ) -> list[tuple[str, tuple[float, float] | None]]:
    """The network's member schools: (name, point from the files or None)."""
    return [(school["name"], points.get(school["school"]))
            for school in _ok(cli, "network", "show", slug, "--json")["assigned_schools"]]


def test_foci_and_suggestions_measure_saxon_distances_with_the_joined_coordinates(verbund: Any,
                                                                                    tmp_path: Path) -> None:
    mapping = tmp_path / "koordinaten.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    _ok(verbund, "import", "sachsen", str(API))
    _ok(verbund, "import", "coordinates", str(COORDINATES), "--mapping", str(mapping))
    points = _file_points()

    # Landkreis Zwickau by rule, the Vogtlandkreis by hand with one school: the rest of the
    # Vogtland is unassigned and gets suggestions by distance.
    _ok(verbund, "assign", "rules", str(_rules(tmp_path, "kv-landkreis-zwickau")))
    seed = next(s for s in _ok(verbund, "school", "find", "Oberes Vogtland", "--json")["schools"]
                if s["school"] in points)
    _ok(verbund, "network", "create", "kv-vogtland", "--name", KREISE["kv-vogtland"][0], "--region", "sn-zwickau")
    _ok(verbund, "assign", "school", seed["school"], "kv-vogtland", "--by", "po@example.org")
    nets = {slug: [p for _, p in _members(verbund, slug, points) if p] for slug in KREISE}
    suggestions = _ok(verbund, "assign", "suggest", "--region", "sn-zwickau", "--json")["suggestions"]
    unassigned = _ok(verbund, "coverage", "--json")["regions"][0]["unassigned"]
    assert len(suggestions) == unassigned > 50
    for row in suggestions:
        point = points.get(f"sachsen:{row['source_id']}")
        if point is None:
            assert row["network"] is None and row["reason"] == "Schule ohne Koordinaten"
            continue
        nearest = {slug: min(_km(point, p) for p in member_points) for slug, member_points in nets.items()}
        expected = min(nearest, key=lambda slug: nearest[slug])
        assert row["distance_km"] == pytest.approx(nearest[expected], rel=0.006, abs=0.05), row
        if abs(nearest["kv-vogtland"] - nearest["kv-landkreis-zwickau"]) > 0.5:
            assert row["network"] == expected, row
    assert {row["network"] for row in suggestions} >= {"kv-vogtland", "kv-landkreis-zwickau"}

    _ok(verbund, "assign", "rules", str(_rules(tmp_path, "kv-vogtland", "kv-landkreis-zwickau")))
    assert _ok(verbund, "coverage", "--json")["regions"][0]["unassigned"] == 0
    matrix = {n["slug"]: n for n in _ok(verbund, "foci", "--json")["networks"]}
    assert set(matrix) == set(KREISE)
    measured = 0
    for slug, entry in matrix.items():
        members = _members(verbund, slug, points)
        assert entry["member_schools"] == len(members)
        assert sorted(entry["without_coordinates"]) == sorted(name for name, point in members if point is None)
        sources = [point for _, point in members if point]
        for focus in entry["foci"]:
            targets = [point for name, point in members if point and name in focus["schools"]]
            if not targets:
                assert focus["max_distance_km"] is None, (slug, focus)
                continue
            expected = max(min(_km(a, b) for b in targets) for a in sources)
            assert focus["max_distance_km"] == pytest.approx(expected, rel=0.006, abs=0.05), (slug, focus)
            assert 0 < focus["max_distance_km"] < 80  # within one Landkreis
            measured += 1
    assert measured >= 4  # Förderzentren with coordinates in both Landkreise
    text = verbund.ok("foci", "--network", "kv-vogtland")
    assert "Förderschule" in text and "foerderschule" not in text
