"""Every dashboard page passes axe-core 4.14 (WCAG 2.0/2.1 A and AA rules) at 1280 px and 320 px, for
every role, the partner link pages (valid, expired, tampered, "new link sent") and the error pages,
in a world with every stage state; at 320 px no page is wider than the viewport (WCAG 1.4.10).

axe-core is vendored in tests/dashboard/vendor/axe-core (MPL-2.0, its LICENSE beside it). The sweep
drives Debian's /usr/bin/chromium through Playwright; it takes a minute or two, hence ``slow``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from a11y_world import every_state
from browser_support import login, needs_chromium, serve
from dashboard_world import PASSWORD, World

from verbund.services.app.clock import ManualClock
from verbund.services.forecast.cache import refresh_forecasts
from verbund.services.inputs.links import sign

AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"]}
WIDTHS = (1280, 320)

pytestmark = [
    pytest.mark.slow,
    needs_chromium,
]


def audit(page: Any, width: int) -> list[str]:
    """axe's violations on the loaded page, and whether it is wider than the viewport, as readable lines."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async (options) => await axe.run(document, options)", AXE_OPTIONS)
    found = [f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:4])}"
             for v in result["violations"]]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        wide = page.evaluate("""(w) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1).slice(0, 3)
            .map(e => e.tagName + (e.className ? '.' + e.className : ''))""", width)
        found.append(f"reflow: {scroll_width} px breit bei {width} px ({', '.join(wide)})")
    return found


def sweep(context: Any, base: str, paths: list[str], failures: dict[str, list[str]]) -> None:
    page = context.new_page()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(base + path)
            assert response is not None
            for line in audit(page, width):
                failures.setdefault(f"{path} @{width}", []).append(line)
    page.close()


def logged_in(browser: Any, base: str, email: str) -> Any:
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    login(context.new_page(), base, email, PASSWORD).close()
    return context


def partner_paths(world: World, states: dict[str, tuple[str, str]]) -> list[str]:
    app = world.app
    meeting(world, world.own[1])  # the RSVP page with when and where
    paths = []
    for network, stage, purpose in ((states["overdue"][0], "analysis", "analysis"),
                                    (states["open"][0], "potentials", "potentials"),
                                    (world.own[1], "consultation", "rsvp"),
                                    (world.own[1], "protocol", "objection"),
                                    (world.other, "goals", "info")):
        token = sign(app, world.contact_of(network), network, stage, purpose)
        paths.append(f"/eingabe/{network}/{stage}?t={token}")
    token = sign(app, world.contact_of(world.other), world.other, "analysis", "analysis")
    paths.append(f"/eingabe/{world.other}/analysis?t={token[:-3]}xyz")  # tampered
    expired = sign(app, world.contact_of(world.other), world.other, "analysis", "analysis",
                   now=app.now() - dt.timedelta(days=60))
    paths.append(f"/eingabe/{world.other}/analysis?t={expired}&abgelaufen")
    paths.append(f"/einladung/{invitation(world)}")
    paths.append("/einladung/gibt-es-nicht")
    return paths


def meeting(world: World, network: str) -> None:
    """A scheduled consultation for ``network`` (set-up only: its stage need not be open for the page)."""
    from sqlmodel import select

    from verbund.domain.models import Network
    from verbund.domain.work import Consultation

    with world.app.uow(write=True) as uow:
        found = uow.session.exec(select(Network).where(Network.slug == network)).one()
        uow.session.add(Consultation(network_id=found.id, starts_at=world.app.now() + dt.timedelta(days=20),
                                     place="Rathaus, Saal 2"))
        uow.commit()


def invitation(world: World) -> str:
    """A process owner's one-time invitation for a new coordinator (its token)."""
    from verbund.services.access import user_admin, users

    session = users.login(world.app, world.users["po_region"], PASSWORD)
    who = users.session_principal(world.app, session)
    assert who is not None
    link = user_admin.invite_coordinator(world.app, who, email="neu@example.org", network=world.own[1])
    return link.rstrip("/").rsplit("/", 1)[1]


def role_paths(world: World, states: dict[str, tuple[str, str]], role: str) -> list[str]:
    networks = {"coordinator": [world.own[0]], "po_region": world.own}.get(
        role, [*world.own, world.other] + ([world.foreign] if role == "ministry" else []))
    paths = ["/uebersicht", "/uebersicht?zustand=overdue&sortierung=overdue", "/konto", "/verzeichnis",
             "/uebersicht?meldung=Gespeichert&fehler=Fehler", "/verbund/gibt-es-nicht",
             "/uebersicht?risiko=on_track"]  # issue 19: the forecast column and its filter
    paths += [f"/verbund/{n}" for n in networks]
    paths += [f"/verbund/{n}/stufe/{s}" for n, s in states.values() if n in networks]
    if role in ("ministry", "po_land", "po_region"):
        paths.append("/berichte")
    return paths


def test_every_page_passes_axe_for_every_role_at_1280_and_320_px(
    world: World, clock: ManualClock, browser: Any
) -> None:
    states = every_state(world, clock)
    refresh_forecasts(world.app, draws=200)  # the overview's column and the network pages' forecast (issue 19)
    failures: dict[str, list[str]] = {}
    with serve(world.app) as base:
        anonymous = browser.new_context(bypass_csp=True)
        partner = partner_paths(world, states)
        expired = next(path for path in partner if "abgelaufen" in path).replace("&abgelaufen", "")
        sweep(anonymous, base, ["/login", "/barrierefreiheit", "/leichte-sprache", *partner], failures)
        page = anonymous.new_page()  # the "new link sent" page and a refused login
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(base + expired)
            page.click("button")
            page.wait_for_selector(".note")
            failures.update({f"neuer-link @{width}": lines for lines in [audit(page, width)] if lines})
            page.goto(f"{base}/login")
            page.fill("input[name=email]", "niemand@example.org")
            page.fill("input[name=password]", "falsch")
            page.click("button[type=submit]")
            page.wait_for_selector(".err")
            failures.update({f"login-fehler @{width}": lines for lines in [audit(page, width)] if lines})
        anonymous.close()
        for role in ("ministry", "po_land", "po_region", "coordinator"):
            context = logged_in(browser, base, world.users[role])
            sweep(context, base, role_paths(world, states, role), failures)
            context.close()
    report = "\n".join(f"{where}: {line}" for where, lines in failures.items() for line in lines)
    assert not failures, f"{len(failures)} Seiten mit Befunden:\n{report}"
