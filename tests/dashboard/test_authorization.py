"""Authorization matrix: every route × every role (and anonymous, and a partner link) gets exactly what it may.

Expected outcomes are derived from the role rules, not hard-coded per cell: a principal reads a network
iff it is in its region/Land/networks (ministry: all), acts iff it reads and is not the ministry, decides
(waive, sign off) iff it is a process owner who reads it. Reading pages of a network outside the scope
answers 404 (its existence is not revealed); a forbidden action on a readable network answers 403.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from dashboard_world import PASSWORD, World, login

from verbund.dashboard.actions import ACTIONS
from verbund.services.forecast.cache import refresh_forecasts
from verbund.services.inputs.links import sign
from verbund.services.readmodels.overview import RISK_FILTERS

ROLES = ["ministry", "po_region", "po_land", "po_other", "coordinator", "coordinator_other"]


def readable(world: World, role: str) -> set[str]:
    everything = {*world.own, world.other, world.foreign}
    return {
        "ministry": everything,
        "po_region": set(world.own),
        "po_land": {*world.own, world.other},
        "po_other": {world.foreign},
        "coordinator": {world.own[0]},
        "coordinator_other": {world.other},
    }[role]


def _network_names(text: str) -> set[str]:
    return set(re.findall(r'href="/verbund/([a-z0-9-]+)"', text))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_and_api_route_shows_exactly_the_role_s_networks(world: World, client: Any, role: str) -> None:
    refresh_forecasts(world.app, draws=100)  # the forecasts are computed ahead (issue 19)
    login(client, world.users[role])
    allowed = readable(world, role)
    every = {*world.own, world.other, world.foreign}
    assert _network_names(client.get("/uebersicht").text) == allowed
    for risk in RISK_FILTERS:
        assert _network_names(client.get(f"/uebersicht?risiko={risk}").text) <= allowed
    api = client.get("/api/overview").json()
    assert {n["slug"] for n in api["networks"]} == allowed
    for network in sorted(every):
        expected = 200 if network in allowed else 404
        for path in (f"/verbund/{network}", f"/verbund/{network}/stufe/analysis", f"/api/networks/{network}",
                     f"/api/networks/{network}/stages/analysis", f"/api/networks/{network}/forecast"):
            response = client.get(path)
            assert response.status_code == expected, (role, path, response.status_code)
            if expected == 404:
                assert network not in response.text.replace(path, "")
    for other_region in ("sn-anderland", "nw-bochum", "sn-muldenland"):
        page = client.get(f"/uebersicht?region={other_region}").text
        assert _network_names(page) <= allowed


@pytest.mark.parametrize("role", ROLES)
def test_every_action_is_allowed_refused_or_hidden_by_role(world: World, client: Any, role: str) -> None:
    csrf = login(client, world.users[role])
    allowed = readable(world, role)
    for network in sorted({*world.own, world.other, world.foreign}):
        for name, action in ACTIONS.items():
            may = role != "ministry" and network in allowed
            if action.permission == "decide":
                may = may and role.startswith("po_")
            # an empty form: permitted actions answer 303 with a German error, refused ones 403/404
            response = client.post(f"/verbund/{network}/aktion/{name}", data={"csrf": csrf},
                                   follow_redirects=False)
            expected = 303 if may else (403 if network in allowed else 404)
            assert response.status_code == expected, (role, network, name, response.status_code)


def test_anonymous_gets_only_the_login_page_healthz_and_openapi(world: World, client: Any) -> None:
    network = world.own[0]
    for path in ("/", "/uebersicht", f"/verbund/{network}", f"/verbund/{network}/stufe/analysis", "/konto",
                 "/verzeichnis"):  # the directory's routes × roles: test_directory.py
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    for path in ("/api/me", "/api/overview", f"/api/networks/{network}", f"/api/networks/{network}/stages/analysis"):
        assert client.get(path).status_code == 401, path
    for name in ACTIONS:
        response = client.post(f"/verbund/{network}/aktion/{name}", data={}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    for path in ("/verzeichnis/partner", "/verzeichnis/kontakt", "/verzeichnis/einladung"):
        response = client.post(path, data={}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_a_partner_link_opens_its_own_page_only(world: World, client: Any) -> None:
    network = world.own[0]
    token = sign(world.app, world.contact_of(network), network, "analysis", "analysis")
    assert client.get(f"/eingabe/{network}/analysis?t={token}").status_code == 200
    # the same token on another network's or stage's page, or on a dashboard page: nothing
    assert client.get(f"/eingabe/{world.other}/analysis?t={token}").status_code == 403
    assert client.get(f"/eingabe/{network}/potentials?t={token}").status_code == 403
    client.cookies.clear()
    assert client.get(f"/verbund/{network}?t={token}", follow_redirects=False).status_code == 303
    assert client.get(f"/api/networks/{network}?t={token}").status_code == 401
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/eingabe/{network}/analysis?t={tampered}")
    assert response.status_code == 403 and "ungültig" in response.text and "Bedingungen" not in response.text


def test_actions_need_the_session_s_csrf_token(world: World, client: Any) -> None:
    login(client, world.users["po_region"])
    network = world.own[0]
    for token in ("", "falsch"):
        response = client.post(f"/verbund/{network}/aktion/erlassen",
                               data={"csrf": token, "stage": "analysis", "reason": "ohne Token"})
        assert response.status_code == 400
    assert client.get(f"/api/networks/{network}").json()["stages"][0]["state"] == "open"


def test_a_wrong_password_gets_no_session(world: World, client: Any) -> None:
    page = client.get("/login")
    nonce = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/login", data={"csrf": nonce, "email": world.users["ministry"], "password": "x" + PASSWORD})
    assert response.status_code == 401 and "falsch" in response.text
    assert client.get("/api/me").status_code == 401


def test_a_stand_in_acts_for_the_coordinator_s_network_while_the_absence_lasts(world: World, client: Any) -> None:
    import datetime as dt

    from verbund.services.access.users import set_stand_in

    network = world.own[0]
    login(client, world.users["coordinator_other"])
    assert client.get(f"/verbund/{network}").status_code == 404
    set_stand_in(world.app, coordinator=world.users["coordinator"], stand_in=world.users["coordinator_other"],
                 until=world.app.now() + dt.timedelta(days=7), by="test")
    assert client.get(f"/verbund/{network}").status_code == 200
    world.app.clock.advance(dt.timedelta(days=8))  # type: ignore[attr-defined]
    assert client.get(f"/verbund/{network}", follow_redirects=False).status_code == 303  # the session expired
    login(client, world.users["coordinator_other"])
    assert client.get(f"/verbund/{network}").status_code == 404


def test_only_process_owners_of_the_contact_s_region_export_or_erase_it(world: World, client: Any) -> None:
    from verbund.domain.models import Contact

    network = world.own[0]
    contact = world.contact_of(network)
    allowed = {"po_region", "po_land"}  # the region's and its Land's process owners, as for deactivating
    for role in ROLES:
        csrf = login(client, world.users[role])
        export = client.get(f"/verzeichnis/kontakt/{contact}/auskunft")
        assert export.status_code == (200 if role in allowed else 403), (role, export.status_code)
        if role in allowed:
            assert export.json()["id"] == str(contact) and export.headers["cache-control"] == "no-store"
            continue
        erase = client.post(f"/verzeichnis/kontakt/{contact}/loeschen", data={"csrf": csrf, "reason": "Antrag"},
                            follow_redirects=False)
        assert erase.status_code == 403, (role, erase.status_code)
    with world.app.uow() as uow:
        assert uow.session.get(Contact, contact).name != "[gelöscht]"  # type: ignore[union-attr]
    client.cookies.clear()
    assert client.get(f"/verzeichnis/kontakt/{contact}/auskunft", follow_redirects=False).status_code == 303
    csrf = login(client, world.users["po_region"])
    assert client.get("/verzeichnis/kontakt/00000000-0000-0000-0000-000000000000/auskunft").status_code == 404
    erase = client.post(f"/verzeichnis/kontakt/{contact}/loeschen", data={"csrf": csrf, "reason": "Antrag vom 2.12."},
                        follow_redirects=False)
    assert erase.status_code == 303 and "gel%C3%B6scht" in erase.headers["location"]
    with world.app.uow() as uow:
        erased = uow.session.get(Contact, contact)
        assert erased is not None and (erased.name, erased.email, erased.active) == ("[gelöscht]", None, False)
