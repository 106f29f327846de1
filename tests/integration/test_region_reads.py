"""The region page's reads (issue 20) look only at the region, and answer what the country-wide reads
answer for it: the map's schools and their networks, the networks with their counts and current
stage, and the suggestions — the nearest member school's network, as a brute-force search over every
member school finds it (the search skips points whose latitude alone is farther). SQLite and
PostgreSQL; also: PostgreSQL connections run without JIT compilation."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest
from sqlalchemy import insert, text

from verbund.domain.models import Membership, Network, Organisation, Region
from verbund.domain.schools import distance_km
from verbund.domain.stages import StageRun
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import ManualClock
from verbund.services.app.ports import RecordingTrigger
from verbund.services.app.settings import Settings
from verbund.services.directory.networks import list_networks
from verbund.services.importers.assignment import suggestions
from verbund.services.readmodels.region_map import region_points

REGIONS = ("sn-nord", "sn-sued", "he-mitte")


pytestmark = pytest.mark.sqlite_and_postgresql  # app: on SQLite and on PostgreSQL (tests/conftest.py)


def _world(app: App) -> dict[str, list[dict[str, Any]]]:
    """Three regions close together (a member school may lie in the next region); per region four
    networks, one closed, and 60 schools: members, members of a network of another region, schools in
    two networks, guests, former members, unassigned schools with and without coordinates, closed
    and private schools. Returns the rows inserted per table."""
    rnd = random.Random(20)
    now = app.now()
    past = now - dt.timedelta(days=100)
    rows: dict[str, list[dict[str, Any]]] = {"region": [], "network": [], "organisation": [], "membership": [],
                                             "stagerun": []}
    for slug in REGIONS:
        rows["region"].append({"id": uuid.uuid4(), "slug": slug, "name": slug.title(), "state": slug[:2].upper(),
                               "parent": None})
    for region in rows["region"]:
        for n in range(4):
            rows["network"].append({"id": uuid.uuid4(), "slug": f"kv-{region['slug']}-{n}", "name": f"V {n}",
                                    "region_id": region["id"], "template": "sachsen-inklusion", "created_at": past,
                                    "closed_at": past if n == 3 else None})
    networks = rows["network"]
    for region in rows["region"]:
        own = [n for n in networks if n["region_id"] == region["id"]]
        for index in range(60):
            oid = uuid.uuid4()
            located = index % 17 != 5
            rows["organisation"].append({
                "id": oid, "source": "test", "source_id": f"{region['slug']}-{index}",
                "name": f"Schule {region['slug']} {index:02d}", "region_id": region["id"],
                "kind": "private_school" if index % 13 == 7 else "public_school", "school_types": [],
                "special_needs": [], "in_scope": index % 19 != 3, "closed_at": past if index % 23 == 9 else None,
                "community": f"Ort {index % 5}",
                "latitude": 51.0 + rnd.uniform(-0.4, 0.4) if located else None,
                "longitude": 13.0 + rnd.uniform(-0.6, 0.6) if located else None})
            if index % 4 == 0:
                continue  # unassigned
            choices = [rnd.choice(own)] if index % 11 else [rnd.choice(networks)]  # sometimes another region's
            if index % 9 == 1:
                choices.append(rnd.choice(own))  # assigned twice (or twice to the same)
            for network in choices:
                role = "guest" if index % 15 == 2 else "member"
                ended = now - dt.timedelta(days=1) if index % 14 == 6 else None
                rows["membership"].append({"id": uuid.uuid4(), "network_id": network["id"], "organisation_id": oid,
                                           "role": role, "valid_from": past, "valid_to": ended, "exclusive": False})
    for network in networks:
        done = rnd.randint(0, 3)
        for position, stage in enumerate(("analysis", "potentials", "goals")):
            rows["stagerun"].append({"id": uuid.uuid4(), "network_id": network["id"], "stage": stage, "cycle": 1,
                                     "position": position, "version": 0,
                                     "state": "completed" if position < done else "open" if position == done
                                     else "pending"})
    with app.engine.begin() as connection:
        for table, key in ((Region, "region"), (Network, "network"), (Organisation, "organisation"),
                           (Membership, "membership"), (StageRun, "stagerun")):
            connection.execute(insert(table.__table__), rows[key])  # type: ignore[union-attr]
    return rows


def test_a_regions_reads_equal_the_country_wide_reads_for_that_region(app: App) -> None:
    _world(app)
    everything = region_points(app)
    every_network = list_networks(app)
    for region in REGIONS:
        points = region_points(app, region)
        schools = [s for s in everything["schools"] if s["region"] == region]
        assert sorted(points["schools"], key=lambda s: s["school"]) == sorted(schools, key=lambda s: s["school"])
        assert any(s["network"] for s in schools) and any(not s["network"] for s in schools)
        assert points["unassigned"] == sum(1 for s in schools if not s["network"])
        assert list_networks(app, region) == [n for n in every_network if n["region"] == region]


def test_the_suggestion_is_the_network_of_the_nearest_member_school(app: App) -> None:
    rows = _world(app)
    at = app.now()
    regions = {r["id"]: r["slug"] for r in rows["region"]}
    by_id = {o["id"]: o for o in rows["organisation"]}
    open_networks = {n["id"]: n for n in rows["network"] if n["closed_at"] is None}
    points: dict[uuid.UUID, list[tuple[float, float]]] = {}  # the definition: active non-guest members' schools
    for m in rows["membership"]:
        school = by_id[m["organisation_id"]]
        if m["role"] != "guest" and (m["valid_to"] is None or m["valid_to"] > at) and school["latitude"] is not None:
            points.setdefault(m["network_id"], []).append((school["latitude"], school["longitude"]))
    assigned = {m["organisation_id"] for m in rows["membership"]
                if m["role"] != "guest" and (m["valid_to"] is None or m["valid_to"] > at)}
    suggested_somewhere = 0
    for region in REGIONS:
        found = {s["source_id"]: s for s in suggestions(app, region)["suggestions"]}
        expected: dict[str, tuple[str | None, float | None]] = {}
        for school in rows["organisation"]:
            if (regions[school["region_id"]] != region or school["kind"] != "public_school" or not school["in_scope"]
                    or school["closed_at"] is not None or school["id"] in assigned):
                continue
            best = None
            if school["latitude"] is not None:
                for network_id, network in open_networks.items():
                    if network["region_id"] != school["region_id"]:
                        continue
                    for lat, lon in points.get(network_id, []):
                        distance = distance_km(school["latitude"], school["longitude"], lat, lon)
                        if best is None or distance < best[0]:
                            best = (distance, network["slug"])
            expected[school["source_id"]] = (best[1], round(best[0], 2)) if best else (None, None)
        assert {key: (s["network"], s["distance_km"]) for key, s in found.items()} == expected
        assert found == {s["source_id"]: s for s in suggestions(app)["suggestions"]
                         if s["source_id"] in expected}  # the same as the country-wide suggestions
        suggested_somewhere += sum(1 for network, _km in expected.values() if network)
    assert suggested_somewhere > 20


def test_postgresql_connections_compile_no_jit(pg_database_url: str, clock: ManualClock) -> None:
    app = bootstrap(Settings(database_url=pg_database_url), clock=clock, trigger=RecordingTrigger())
    try:
        with app.uow(read_only=True) as uow:
            assert uow.session.connection().execute(text("SHOW jit")).scalar() == "off"
        with app.engine.connect() as connection:  # also after a rolled-back transaction
            connection.execute(text("SELECT 1"))
            connection.rollback()
            assert connection.execute(text("SHOW jit")).scalar() == "off"
    finally:
        app.engine.dispose()
