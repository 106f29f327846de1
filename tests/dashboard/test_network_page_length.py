"""In a real Chromium at 1280 × 800: a network with 500 messages gives a reader and a process owner a page
shorter than three screens, its messages take less than half a screen, and the first screen shows what is open
(issue 20: the page of a real network was 12,800–17,200 px long)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import login, needs_chromium, serve
from dashboard_world import PASSWORD, World
from message_world import add_messages

from verbund.services.app.bootstrap import bootstrap

WIDTH, HEIGHT = 1280, 800

pytestmark = [
    pytest.mark.slow,  # long: a browser drives the dashboard
    needs_chromium,
]


@pytest.fixture
def served(world: World) -> Iterator[str]:
    add_messages(world, world.own[0], 500)
    server_app = bootstrap(world.app.settings, clock=world.app.clock)
    with serve(server_app) as base:
        try:
            yield base
        finally:
            server_app.engine.dispose()


# A reader (the ministry) and a process owner, who also has every form (folded: the stage's waiver and
# extension, and sections with nothing recorded whose stage is not open are one line each), get under
# three screens (issue 20; the process owner's page was 3,451 px before).
SCREENS = {"ministry": 3.0, "po_land": 3.0}


@pytest.mark.parametrize("user", sorted(SCREENS))
def test_a_network_with_500_messages_fits_in_three_screens_and_shows_the_open_items_first(
    world: World, served: str, browser: Any, tmp_path: Path, user: str
) -> None:
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    login(page, served, world.users[user], PASSWORD)
    page.goto(f"{served}/verbund/{world.own[0]}")
    page.screenshot(path=str(tmp_path / "verbund.png"), full_page=True)
    length = page.evaluate("document.documentElement.scrollHeight")
    assert length < SCREENS[user] * HEIGHT, f"the page is {length} px long"
    messages = page.locator("#nachrichten").bounding_box()
    assert messages is not None and messages["height"] < HEIGHT / 2, messages  # 500 messages: one folded page
    assert "Nachrichten (500)" in page.locator("#nachrichten h2").inner_text()
    assert page.locator("#nachrichten tr").count() == 1 + 20  # header and one page (folded)
    glance = page.locator("#auf-einen-blick")
    assert glance.locator("[data-open-stage=analysis]").is_visible()
    box = glance.bounding_box()
    assert box is not None and box["y"] + box["height"] <= HEIGHT, box  # the whole summary on the first screen
    assert "Nächste Frist" in glance.inner_text() and "Ohne Eingabe" in glance.inner_text()
