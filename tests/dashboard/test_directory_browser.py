"""The directory in a real headless Chromium (Debian's /usr/bin/chromium) against a real uvicorn server:
a process owner registers a partner with one contact and invites a coordinator; the coordinator sets
a password through the one-time link and adds a second contact. Screenshots go to ``tmp_path``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import login, needs_chromium, serve
from dashboard_world import PASSWORD, World

from verbund.services.directory.contacts import list_contacts

pytestmark = [pytest.mark.slow, needs_chromium]
NEW_PASSWORD = "Koordination-Passwort-2024"


@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The world's own app (triggers recorded) behind uvicorn on a free port."""
    with serve(world.app) as base:
        yield base


def _add_contact(page: Any, key: str, name: str, email: str) -> None:
    details = page.locator(f"details#org-{key}")
    details.locator("summary").click()
    form = details.locator("form.kontakt-anlegen")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    with page.expect_navigation():
        form.locator("button").click()


def test_a_process_owner_registers_a_partner_and_invites_a_coordinator_who_adds_a_contact(
        world: World, served: str, browser: Any, tmp_path: Path) -> None:
    base, network = served, world.own[0]
    owner = browser.new_page(viewport={"width": 1280, "height": 900})
    login(owner, base, world.users["po_region"], PASSWORD, landing=None)
    owner.goto(f"{base}/verzeichnis")
    register = owner.locator("form#partner-registrieren")
    register.locator("input[name=name]").fill("Kita Regenbogen")
    register.locator("select[name=kind]").select_option("daycare")
    register.locator("select[name=region]").select_option("sn-muldenland")
    register.locator("input[name=networks]").fill(network)
    with owner.expect_navigation():
        register.locator("button").click()
    assert "Partner kita-regenbogen registriert" in owner.locator(".note").inner_text()
    _add_contact(owner, "kita-regenbogen", "Sabine Vogel", "leitung@kita-regenbogen.example")
    assert "Sabine Vogel angelegt" in owner.locator(".note").inner_text()

    invite = owner.locator("form#koordination-einladen")
    invite.locator("input[name=email]").fill("neue.koordination@example.org")
    invite.locator("select[name=network]").select_option(network)
    with owner.expect_navigation():
        invite.locator("button").click()
    notice = owner.locator(".note").inner_text()
    path = "/einladung/" + notice.split("/einladung/", 1)[1].strip()
    owner.screenshot(path=str(tmp_path / "verzeichnis.png"), full_page=True)

    coordinator = browser.new_context().new_page()
    coordinator.goto(base + path)
    coordinator.fill("input[name=password]", NEW_PASSWORD)
    coordinator.fill("input[name=password_again]", NEW_PASSWORD)
    with coordinator.expect_navigation():
        coordinator.click("button")
    assert coordinator.url.startswith(f"{base}/login") and "Passwort gesetzt" in coordinator.content()
    coordinator.goto(base + path)
    assert "bereits verwendet" in coordinator.content()  # the link works once
    login(coordinator, base, "neue.koordination@example.org", NEW_PASSWORD, landing=None)
    coordinator.goto(f"{base}/verzeichnis")
    assert coordinator.locator("form#partner-registrieren").count() == 0  # coordinators register no partners
    _add_contact(coordinator, "kita-regenbogen", "Jonas Fischer", "jonas.fischer@kita-regenbogen.example")
    assert "Jonas Fischer angelegt" in coordinator.locator(".note").inner_text()
    coordinator.screenshot(path=str(tmp_path / "koordination.png"), full_page=True)

    names = sorted(c["name"] for c in list_contacts(world.app, organisation="kita-regenbogen"))
    assert names == ["Jonas Fischer", "Sabine Vogel"]
