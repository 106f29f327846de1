"""The directory in a real headless Chromium (Debian's /usr/bin/chromium) against a real uvicorn server:
a process owner registers a partner with one contact and invites a coordinator; the coordinator sets
a password through the one-time link and adds a second contact. Screenshots go to ``tmp_path``."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_world import PASSWORD, World

from verbund.dashboard import create_app
from verbund.services.directory.contacts import list_contacts

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium fehlt")]
NEW_PASSWORD = "Koordination-Passwort-2024"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(world: World) -> Iterator[str]:
    """The world's own app (triggers recorded) behind uvicorn on a free port."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(world.app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python) ist nicht installiert")
    with playwright_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def _login(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


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
    _login(owner, base, world.users["po_region"], PASSWORD)
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
    _login(coordinator, base, "neue.koordination@example.org", NEW_PASSWORD)
    coordinator.goto(f"{base}/verzeichnis")
    assert coordinator.locator("form#partner-registrieren").count() == 0  # coordinators register no partners
    _add_contact(coordinator, "kita-regenbogen", "Jonas Fischer", "jonas.fischer@kita-regenbogen.example")
    assert "Jonas Fischer angelegt" in coordinator.locator(".note").inner_text()
    coordinator.screenshot(path=str(tmp_path / "koordination.png"), full_page=True)

    names = sorted(c["name"] for c in list_contacts(world.app, organisation="kita-regenbogen"))
    assert names == ["Jonas Fischer", "Sabine Vogel"]
