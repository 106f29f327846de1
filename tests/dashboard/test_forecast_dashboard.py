"""The forecast in the dashboard (issue 19): computed ahead (never while a page renders), the
overview's column "Prognose (P80)" with the risk word as text and a filter by risk, the network
page's forecast with its basis, and the forecast API within the reader's scope."""

from __future__ import annotations

import re
from typing import Any

from dashboard_world import World, login
from sqlmodel import select

from verbund.domain.forecast_cache import ForecastEntry
from verbund.services.forecast.cache import is_current, refresh_forecasts
from verbund.services.stages.lifecycle import waive_stage

WORDS = ("im Plan", "gefährdet", "verfehlt", "stockt")


def _stored(world: World) -> dict[str, str]:
    with world.app.uow() as uow:
        return {e.network: e.risk for e in uow.session.exec(select(ForecastEntry))}


def test_the_first_page_renders_without_a_forecast_and_the_forecast_is_computed_after_it(
        world: World, client: Any) -> None:
    login(client, world.users["ministry"])
    assert _stored(world) == {}
    page = client.get("/uebersicht").text  # the test client runs the background task after the response
    assert "Prognose (P80)" in page and "noch keine" in page
    assert not any(f"<strong>{word}</strong>" in page for word in WORDS)
    stored = _stored(world)
    assert set(stored) == {*world.own, world.other, world.foreign}
    again = client.get("/uebersicht").text
    assert "noch keine" not in again
    cells = re.findall(r'data-risk="([a-z_]+)"><strong>([^<]+)</strong>', again)
    assert len(cells) == len(stored) and all(word in WORDS for _, word in cells)


def test_a_change_makes_the_stored_forecast_stale_and_the_next_page_view_refreshes_it(
        world: World, client: Any) -> None:
    refresh_forecasts(world.app, draws=200)
    assert is_current(world.app)
    waive_stage(world.app, world.own[0], "analysis", reason="Vorarbeiten anerkannt", by="po-mulde@example.org")
    assert not is_current(world.app)
    login(client, world.users["po_region"])
    client.get(f"/verbund/{world.own[0]}")
    assert is_current(world.app)
    with world.app.uow() as uow:
        entry = uow.session.exec(select(ForecastEntry).where(ForecastEntry.network == world.own[0])).one()
    assert entry.payload["stages"][0]["state"] == "waived"


def test_the_overview_filters_by_risk_within_the_readers_scope(world: World, client: Any) -> None:
    refresh_forecasts(world.app, draws=200)
    stored = _stored(world)
    login(client, world.users["po_region"])
    for risk in {*stored.values(), "stalled"}:
        page = client.get(f"/uebersicht?risiko={risk}").text
        shown = set(re.findall(r'href="/verbund/([a-z0-9-]+)"', page))
        assert shown == {slug for slug in world.own if stored[slug] == risk}
        api = client.get(f"/api/overview?risk={risk}").json()
        assert {n["slug"] for n in api["networks"]} == shown
    assert client.get("/api/overview?risk=schlecht").status_code == 422


def test_the_network_page_shows_the_forecast_with_its_basis(world: World, client: Any) -> None:
    refresh_forecasts(world.app, draws=200)
    login(client, world.users["coordinator"])
    page = client.get(f"/verbund/{world.own[0]}").text
    assert '<section id="prognose"><h2>Prognose</h2>' in page
    assert "Zieldatum 2021-09-30" in page and "Grundlage je Stufe" in page
    assert "Soll-Dauer der Vorlage" in page  # four networks: too few observations, the template's prior
    data = client.get(f"/api/networks/{world.own[0]}/forecast").json()
    assert data["slug"] == world.own[0] and data["risk"] in WORDS
    assert [s["name"] for s in data["stages"]] == ["analysis", "potentials", "goals", "consultation", "protocol"]
