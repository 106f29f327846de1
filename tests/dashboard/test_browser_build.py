"""Issue 13 in a real headless Chromium against a real uvicorn server: a process owner creates a
network on the region page, accepts the suggested assignment with one click and moves a school; a
coordinator schedules the consultation, records a consensus decision with one objection (not
adopted, the reason kept) and holds the consultation — all in the dashboard. Stage flows run as the
reconcile use case inline (no Prefect start-up). Screenshots go to ``tmp_path``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import login, needs_chromium, serve
from dashboard_world import PASSWORD, World

from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.directory.networks import find_schools
from verbund.services.readmodels.network_page import end_membership, network_page
from verbund.services.stages.lifecycle import Outcome, reconcile_stage, waive_stage

REGION = "sn-muldenland"
pytestmark = [
    pytest.mark.slow,  # a browser drives the dashboard
    needs_chromium,
]


@dataclass
class Inline:
    app: App | None = None

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        assert self.app is not None
        queue = [stage]
        while queue:
            report = reconcile_stage(self.app, network, queue.pop(0), at)
            if report.outcome in (Outcome.completed, Outcome.waived):
                queue.extend(report.next_stages)


@pytest.fixture
def served(world: World) -> Iterator[tuple[str, App]]:
    trigger = Inline()
    server_app = bootstrap(world.app.settings, clock=world.app.clock, trigger=trigger)
    trigger.app = server_app
    with serve(server_app) as base:
        try:
            yield base, server_app
        finally:
            server_app.engine.dispose()


def _login(browser: Any, base: str, email: str) -> Any:
    return login(browser.new_context(viewport={"width": 1280, "height": 900}).new_page(), base, email, PASSWORD)


def _submit(page: Any, form: Any, button: str) -> str:
    with page.expect_navigation():
        form.locator("button", has_text=button).click()
    assert page.locator("#fehler").count() == 0, page.locator("#fehler").inner_text()
    text: str = page.locator("#meldung").inner_text()
    return text


def test_a_process_owner_and_a_coordinator_build_out_in_the_dashboard(
    world: World, served: tuple[str, App], browser: Any, tmp_path: Path
) -> None:
    base, app = served
    network = world.own[0]
    school = find_schools(app, "Oberschule Lindenau")[0]["school"]
    oid = next(m["organisation_id"] for m in network_page(app, network)["members"] if m["name"] ==
               "Oberschule Lindenau")
    end_membership(app, network, oid, by="test")  # unassigned now: the suggestion will name a network

    po = _login(browser, base, world.users["po_region"])
    po.goto(f"{base}/region/{REGION}")
    po.locator("summary", has_text="Verbund anlegen").click()
    create = po.locator("#verbund-anlegen")
    create.locator("input[name=slug]").fill("kv-auental-mitte")
    create.locator("input[name=name]").fill("Kooperationsverbund Auental-Mitte")
    assert "kv-auental-mitte angelegt" in _submit(po, create, "Verbund anlegen")
    assert po.locator("tr[data-network='kv-auental-mitte']").count() == 1
    accept = po.locator("form[action$='vorschlaege-uebernehmen']")
    assert "1 Vorschlag übernommen" in _submit(po, accept, "Vorschläge übernehmen")
    assert find_schools(app, school)[0]["network"] is not None
    po.locator("summary", has_text="Schule umordnen").click()
    move = po.locator("#schule-umordnen")
    move.locator("input[name=school]").fill(school)
    move.locator("select[name=network]").select_option("kv-auental-mitte")
    move.locator("input[name=reason]").fill("kürzerer Schulweg")
    assert f"{school} → kv-auental-mitte" in _submit(po, move, "Umordnen")
    assert find_schools(app, school)[0]["network"] == "kv-auental-mitte"
    assert po.locator(f"#kartentabelle tr[data-school='{school}']").inner_text().count("Auental-Mitte") == 1
    po.screenshot(path=str(tmp_path / "region.png"), full_page=True)

    for stage in ("analysis", "potentials", "goals"):  # the earlier stages are not this test's subject
        waive_stage(app, network, stage, reason="im Test erlassen", by=world.users["po_region"])
    coordinator = _login(browser, base, world.users["coordinator"])
    coordinator.goto(f"{base}/verbund/{network}")
    coordinator.locator("summary", has_text="Beratung ansetzen").click()
    plan = coordinator.locator("form[action$='beratung-ansetzen']")
    plan.locator("input[name=starts_at]").fill("2019-10-01T15:00")
    plan.locator("input[name=place]").fill("Rathaus Lindenau")
    assert _submit(coordinator, plan, "Ansetzen") == "Beratung angesetzt"

    coordinator.locator("#steuerung summary", has_text="noch nichts erfasst").click()  # folded while empty (issue 20)
    coordinator.locator("summary", has_text="Beschluss eröffnen").click()
    proposal = coordinator.locator("form[action$='beschluss-eroeffnen']")
    proposal.locator("select[name=stage]").select_option("consultation")
    proposal.locator("input[name=title]").fill("Geschäftsordnung")
    proposal.locator("input[name=responsibility]").fill("Lenkungsgruppe")
    proposal.locator("input[name=previous]").fill("Schulaufsicht")
    assert "eröffnet" in _submit(coordinator, proposal, "Beschluss eröffnen")
    ballot = coordinator.locator("form[action$='/aktion/stimme']")
    ballot.locator("select[name=member]").select_option(index=0)
    ballot.locator("select[name=vote]").select_option("objection")
    ballot.locator("input[name=reason]").fill("Geschäftsordnung erst mit dem Jugendamt abstimmen")
    assert "Stimme erfasst" in _submit(coordinator, ballot, "Stimme erfassen")
    decision = coordinator.locator("[data-decision='Geschäftsordnung']")
    assert decision.get_attribute("data-status") == "not_agreed"
    assert "Geschäftsordnung erst mit dem Jugendamt abstimmen" in decision.inner_text()
    assert "Zuständig: Schulaufsicht" in " ".join(decision.inner_text().split())

    world.app.clock.set(dt.datetime(2019, 10, 1, 17, 0, tzinfo=BERLIN))  # type: ignore[attr-defined]
    coordinator = _login(browser, base, world.users["coordinator"])  # a month later: a new session
    coordinator.goto(f"{base}/verbund/{network}")
    coordinator.locator("summary", has_text="Anwesenheit und Beschlüsse erfassen").click()
    held = coordinator.locator("form[action$='beratung-abhalten']")
    boxes = held.locator("input[type=checkbox]")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    held.locator("textarea[name=decisions]").fill("Arbeitsgruppen gebildet")
    assert "Anwesenden erfasst" in _submit(coordinator, held, "Beratung erfassen")
    assert "abgehalten" in coordinator.locator("#beratung").inner_text()  # the status in German
    coordinator.screenshot(path=str(tmp_path / "verbund.png"), full_page=True)
    assert all((tmp_path / name).stat().st_size > 1000 for name in ("region.png", "verbund.png"))
