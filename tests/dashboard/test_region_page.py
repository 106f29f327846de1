"""The region page (issue 13): readers × roles, the map's marks and the table list the same schools,
and a process owner creates a network, accepts the suggested assignment with one click and moves a
school; the ministry reads but may not act (403), coordinators get 404. ``verbund coverage --map``
draws one mark per school with coordinates (NRW excerpt)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from dashboard_world import World, login
from typer.testing import CliRunner

from verbund.services.directory.networks import find_schools, network_details

REGION = "sn-muldenland"
ACTIONS = ("verbund-anlegen", "vorschlaege-uebernehmen", "schule-umordnen")
SHARED = Path(os.environ.get("VERBUND_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
NRW = SHARED / "nrw" / "schuldaten_arnsberg_excerpt.csv"


@pytest.mark.parametrize("role", ["ministry", "po_region", "po_land", "po_other", "coordinator", "coordinator_other"])
def test_the_region_page_and_its_actions_by_role(world: World, client: Any, role: str) -> None:
    csrf = login(client, world.users[role])
    reads = role in ("ministry", "po_region", "po_land")
    assert client.get(f"/region/{REGION}").status_code == (200 if reads else 404)
    assert client.get("/region/sn-gibtesnicht").status_code == 404
    for name in ACTIONS:
        response = client.post(f"/region/{REGION}/aktion/{name}", data={"csrf": csrf}, follow_redirects=False)
        expected = 303 if role.startswith("po_") and reads else (403 if reads else 404)
        assert response.status_code == expected, (role, name, response.status_code)
        if expected == 303:
            assert "fehler=" in response.headers["location"]  # an empty form: a German error, nothing stored
    assert client.get("/schulen?suche=Lindenau").status_code == 200
    school = find_schools(world.app, "Oberschule Lindenau")[0]
    readable = {"ministry": {*world.own, world.other, world.foreign}, "po_region": set(world.own),
                "po_land": {*world.own, world.other}, "po_other": {world.foreign}, "coordinator": {world.own[0]},
                "coordinator_other": {world.other}}[role]
    found = client.get("/schulen", params={"suche": "Oberschule Lindenau"}).text
    row = found[found.index(f'data-school="{school["school"]}"'):]
    row = row[:row.index("</tr>")]
    names = school["network"] in readable  # the network is named only to those who may read it
    assert (f'href="/verbund/{school["network"]}"' in row) == names, (role, row)
    assert ("zugeordnet (anderer Verbund)" in row) != names, (role, row)


def test_anonymous_gets_the_login_page(world: World, client: Any) -> None:
    for path in (f"/region/{REGION}", "/schulen?suche=Oberschule"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    response = client.post(f"/region/{REGION}/aktion/verbund-anlegen", data={}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_the_map_and_the_table_show_the_same_schools(world: World, client: Any) -> None:
    login(client, world.users["po_region"])
    html = client.get(f"/region/{REGION}").text
    svg = html[html.index("<svg"):html.index("</svg>")]
    table = html[html.index('id="kartentabelle"'):]
    marks = set(re.findall(r'<g class="school" data-school="([^"]+)"', svg))
    rows = set(re.findall(r'<tr data-school="([^"]+)"', table))
    assert len(marks) > 40 and marks == rows
    assert "<title id=\"map-title\">" in svg and "<desc" in svg and "Legende" in svg


def test_a_process_owner_creates_a_network_accepts_suggestions_and_moves_a_school(world: World, client: Any) -> None:
    app = world.app
    school = find_schools(app, "Oberschule Lindenau")[0]["school"]
    from verbund.services.readmodels.network_page import end_membership

    oid = next(m["organisation_id"] for m in _members(app, world.own[0]) if m["name"] == "Oberschule Lindenau")
    end_membership(app, world.own[0], oid, by="test")  # now unassigned: the suggestion will name a network
    csrf = login(client, world.users["po_region"])
    made = client.post(f"/region/{REGION}/aktion/verbund-anlegen", data={
        "csrf": csrf, "slug": "kv-auental-mitte", "name": "KV Auental-Mitte", "template": "sachsen-inklusion"},
        follow_redirects=False)
    assert "meldung=" in made.headers["location"], made.headers["location"]
    page = client.get(f"/region/{REGION}").text
    assert 'data-network="kv-auental-mitte"' in page and "Alle Vorschläge übernehmen (1 Schule)" in page
    from verbund.services.importers.assignment import suggestions

    suggested = next(s["network"] for s in suggestions(app, REGION)["suggestions"] if s["network"])
    accepted = client.post(f"/region/{REGION}/aktion/vorschlaege-uebernehmen", data={"csrf": csrf},
                           follow_redirects=False)
    assert "1+Vorschl" in accepted.headers["location"]
    assert find_schools(app, school)[0]["network"] == suggested
    assert find_schools(app, school)[0]["basis"].startswith("manuell: Vorschlag übernommen")
    moved = client.post(f"/region/{REGION}/aktion/schule-umordnen", data={
        "csrf": csrf, "school": school, "network": "kv-auental-mitte", "reason": "Schulweg"}, follow_redirects=False)
    assert "meldung=" in moved.headers["location"]
    assert find_schools(app, school)[0]["network"] == "kv-auental-mitte"
    assert school in [s["school"] for s in network_details(app, "kv-auental-mitte")["assigned_schools"]]


def test_the_region_data_is_computed_once_per_data_version_for_every_reader(world: World, client: Any,
                                                                           monkeypatch: Any) -> None:
    """The ministry's and the process owners' pages are cached apart; the map, table and suggestions
    beneath them are computed once per data version of the region, and again after a change."""
    from verbund.dashboard import regions
    from verbund.services.directory.networks import rename_network

    computed: list[str] = []
    original = regions._page

    def counted(app: Any, slug: str) -> dict[str, object]:
        computed.append(slug)
        return original(app, slug)

    monkeypatch.setattr(regions, "_page", counted)
    for role in ("ministry", "po_region", "po_land"):
        login(client, world.users[role])
        assert 'id="kartentabelle"' in client.get(f"/region/{REGION}").text
    assert computed == [REGION]
    rename_network(world.app, world.own[0], name="KV Neuer Name", by="test")
    for role in ("ministry", "po_region"):
        login(client, world.users[role])
        assert "KV Neuer Name" in client.get(f"/region/{REGION}").text
    assert computed == [REGION, REGION]


def _members(app: Any, network: str) -> list[dict[str, str]]:
    from verbund.services.readmodels.network_page import network_page

    members: list[dict[str, str]] = network_page(app, network)["members"]
    return members


@pytest.mark.skipif(not NRW.exists(), reason=f"{NRW} fehlt (VERBUND_SHARED_DATA setzen)")
def test_coverage_map_draws_one_mark_per_school_with_coordinates(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("VERBUND_DATABASE_URL", f"sqlite:///{tmp_path / 'nrw.db'}")
    from verbund.cli.main import app as verbund
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.settings import Settings
    from verbund.services.readmodels.region_map import region_points

    runner = CliRunner()
    assert runner.invoke(verbund, ["import", "nrw", str(NRW)]).exit_code == 0
    target = tmp_path / "karte.svg"
    result = runner.invoke(verbund, ["coverage", "--map", str(target)])
    assert result.exit_code == 0, result.output
    svg = target.read_text(encoding="utf-8")
    built = bootstrap(Settings())
    points = region_points(built)
    built.engine.dispose()
    marks = re.findall(r'<g class="school" data-school="([^"]+)"', svg)
    assert len(marks) == len(set(marks)) == len(points["schools"]) > 50
    assert svg.count('<text') > len(marks) // 2  # "?" labels: every unassigned school is marked, not only coloured
