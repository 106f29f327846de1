"""Keyboard only (WCAG 2.1.1, 2.4.3, 2.4.7, 4.1.3): a partner submits the analysis form and a coordinator
records a potential with Tab, typing and Enter; every focused element shows a visible focus ring, and
after the submit the focus is on the message that reports the result (a live region)."""

from __future__ import annotations

from typing import Any

import pytest
from a11y_world import every_state
from browser_support import needs_chromium, serve
from dashboard_world import PASSWORD, World

from verbund.services.app.clock import ManualClock
from verbund.services.inputs.links import sign

FOCUS_RING = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; }"""

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]


def tab_to(page: Any, selector: str, limit: int = 200) -> None:
    """Press Tab until the focus is on ``selector``; every stop on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        where = page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)")
        assert page.evaluate(FOCUS_RING), f"Fokus nicht sichtbar auf {where}"
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} ist mit der Tab-Taste nicht erreichbar")


def focused_message(page: Any) -> str:
    """The message the page reports after a submit, once the focus is on it.

    The focus comes from ``autofocus``, which Chromium applies at the next rendering update, and
    on a busy machine that can come after the ``load`` event: wait for the focus itself (a
    condition, bounded by Playwright's timeout), not for the load state."""
    page.wait_for_load_state()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.getAttribute('role') === 'status'"
    )
    text: str = page.evaluate("() => document.activeElement.textContent")
    return text


def test_a_partner_submits_the_analysis_with_the_keyboard_only(world: World, clock: ManualClock, browser: Any) -> None:
    states = every_state(world, clock)
    network, stage = states["overdue"]
    token = sign(world.app, world.contact_of(network), network, stage, "analysis")
    with serve(world.app) as base:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{base}/eingabe/{network}/{stage}?t={token}")
        tab_to(page, "a.skip")
        for category in ("conditions", "actors", "responsibilities", "cooperation_structures"):
            tab_to(page, f"#text-{category}")
            page.keyboard.type(f"Unsere Angaben zu {category}")
        tab_to(page, "#submit-analysis")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "4 Angaben gespeichert" in focused_message(page)


def test_a_coordinator_records_a_potential_with_the_keyboard_only(
    world: World, clock: ManualClock, browser: Any
) -> None:
    states = every_state(world, clock)
    network, _ = states["open"]  # potentials open
    with serve(world.app) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/login")
        tab_to(page, "input[name=email]")
        page.keyboard.type(world.users["coordinator"])
        tab_to(page, "input[name=password]")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto(f"{base}/verbund/{network}")
        tab_to(page, "#potenziale summary")
        page.keyboard.press("Enter")  # opens "Potenzial erfassen"
        tab_to(page, "#potenziale input[name=title]")
        page.keyboard.type("Gemeinsame Fortbildungen")
        tab_to(page, "#potenziale form[action$=potenzial] button")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "1 Potenzial gespeichert" in focused_message(page)
