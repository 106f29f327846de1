"""End-to-end in a real headless Chromium (Debian's /usr/bin/chromium) against a real uvicorn server.

A process owner logs in, sees the overview, opens a network and waives a stage with a reason; a
partner opens a signed link, submits analysis entries, and the stage's state changes (the stage
flow runs through the trigger port on the Prefect test harness). Screenshots go to the test's
output folder (``tmp_path``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import needs_chromium, serve
from dashboard_world import PASSWORD, World, build_world

from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.lookup import network_by_slug
from verbund.services.directory.setup import OrganisationSpec, add_member, upsert_organisation
from verbund.services.inputs.links import sign
from verbund.services.inputs.work import AnalysisInput, record_analysis

CATEGORIES = ("conditions", "actors", "responsibilities", "cooperation_structures")

pytestmark = [
    pytest.mark.slow,  # long: a browser drives the dashboard
    needs_chromium,
]


def _prepare_partner_network(world: World) -> None:
    """kv-anderland needs only its school's analysis: the required partners have answered already."""
    app, slug = world.app, world.other
    with app.uow(write=True) as uow:
        network = network_by_slug(uow.session, slug)
        partners = []
        for kind in ("school_board", "youth_welfare", "social_welfare", "student_transport"):
            org = upsert_organisation(uow.session, None, OrganisationSpec("test", f"{slug}-{kind}", f"{kind} Anderland",
                                                                          kind))
            uow.session.flush()
            add_member(uow.session, network, org, "member", app.now(), "test")
            partners.append(str(org.id))
        uow.commit()
    record_analysis(app, slug, [AnalysisInput(oid, c, "liegt vor") for oid in partners for c in CATEGORIES], by="test")


@pytest.fixture
def served(world: World, prefect_api: str) -> Iterator[tuple[str, App]]:
    from verbund.flows.runtime import use_app
    from verbund.flows.trigger import EmbeddedTrigger

    _prepare_partner_network(world)
    server_app = bootstrap(world.app.settings, clock=world.app.clock, trigger=EmbeddedTrigger())
    use_app(server_app)
    with serve(server_app) as base:
        try:
            yield base, server_app
        finally:
            use_app(None)
            server_app.engine.dispose()


def test_a_process_owner_waives_a_stage_and_a_partner_s_analysis_moves_the_stage_on(
    world: World, served: tuple[str, App], browser: Any, tmp_path: Path
) -> None:
    base, _server_app = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/uebersicht")
    assert page.url.endswith("/login")
    page.fill("input[name=email]", world.users["po_land"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/uebersicht")
    assert page.locator("#matrix a.st").count() >= 5 * (len(world.own) + 1)
    page.screenshot(path=str(tmp_path / "uebersicht.png"), full_page=True)

    network = world.own[0]
    page.click(f"a[href='/verbund/{network}']")
    page.wait_for_url(f"**/verbund/{network}")
    page.screenshot(path=str(tmp_path / "verbund.png"), full_page=True)
    analysis = page.locator("details", has=page.locator("[data-stage=analysis]"))
    analysis.locator("summary", has_text="Entscheiden").click()  # folded on the network page (issue 20)
    waiver = analysis.locator("form", has=page.locator("button", has_text="Stufe erlassen"))  # not the extension's
    waiver.locator("input[name=reason]").fill("Analyse liegt aus dem Vorjahr vor")
    with page.expect_navigation():
        waiver.locator("button", has_text="Stufe erlassen").click()
    assert "erlassen" in page.locator(".note").inner_text()
    assert page.locator("[data-stage=analysis]").get_attribute("data-state") == "waived"
    assert "Analyse liegt aus dem Vorjahr vor" in page.content()

    partner = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    token = sign(world.app, world.contact_of(world.other), world.other, "analysis", "analysis")
    partner.goto(f"{base}/eingabe/{world.other}/analysis?t={token}")
    assert partner.locator("#stage-state").get_attribute("data-state") == "open"
    for category in CATEGORIES:
        partner.fill(f"#text-{category}", f"Unsere Angaben zu {category}")
    with partner.expect_navigation():
        partner.click("#submit-analysis")
    assert "Vielen Dank" in partner.locator(".note").inner_text()
    assert partner.locator("#stage-state").get_attribute("data-state") == "ready"
    partner.screenshot(path=str(tmp_path / "partner.png"), full_page=True)
    assert all((tmp_path / name).stat().st_size > 1000 for name in ("uebersicht.png", "verbund.png", "partner.png"))


def test_a_tampered_link_shows_a_german_page_without_data(world: World, served: tuple[str, App], browser: Any) -> None:
    base, _ = served
    token = sign(world.app, world.contact_of(world.other), world.other, "analysis", "analysis")
    page = browser.new_page()
    page.goto(f"{base}/eingabe/{world.other}/analysis?t={token[:-3]}xyz")
    assert "Dieser Link ist ungültig" in page.content()
    assert page.locator("textarea").count() == 0


def build_world_for_docs(app: App) -> World:  # pragma: no cover - kept for manual runs
    return build_world(app)
