"""The directory in the dashboard: every new route × every role gets exactly what the rules allow
(expected outcomes derived from the rules, not per cell), invitations work once, a partner link edits
nothing but its own channels, and a refused or bad form stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from dashboard_world import World, login
from sqlalchemy import func, select
from sqlmodel import col

from verbund.domain.tables import Contact, DashboardUser, Invitation, Membership, Network, Organisation
from verbund.notifications import read_mailbox
from verbund.services.app.notification_settings import default_mailbox_dir
from verbund.services.directory.partner_directory import PartnerInput, add_partner, partner_key
from verbund.services.inputs.links import sign

ROLES = ["ministry", "po_region", "po_land", "po_other", "coordinator", "coordinator_other"]


@dataclass(frozen=True)
class Target:
    key: str
    region: str  # region slug, or "land:SN" for a shared partner
    networks: frozenset[str]


def _member_only_of(world: World, network: str, exclude: set[str]) -> Target:
    with world.app.uow() as uow:
        rows = uow.session.exec(select(Organisation, Network.slug)
                                .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
                                .join(Network, col(Network.id) == col(Membership.network_id))
                                .where(col(Membership.valid_to).is_(None))).all()
    networks: dict[str, set[str]] = {}
    orgs = {}
    for organisation, slug in rows:
        networks.setdefault(partner_key(organisation), set()).add(slug)
        orgs[partner_key(organisation)] = organisation
    key = next(k for k, slugs in sorted(networks.items()) if slugs == {network} and k not in exclude)
    region = {"kv-anderland": "sn-anderland", "bn-bochum": "nw-bochum"}.get(network, "sn-muldenland")
    return Target(key, region, frozenset(networks[key]))


@pytest.fixture
def targets(world: World) -> list[Target]:
    shared = add_partner(world.app, PartnerInput(name="Regionaldirektion Sachsen", kind="employment_agency",
                                                 land="SN", networks=[world.own[0], world.other]))
    found = [_member_only_of(world, world.own[0], set()), _member_only_of(world, world.own[1], set()),
             _member_only_of(world, world.other, set()), _member_only_of(world, world.foreign, set())]
    return [*found, Target(shared, "land:SN", frozenset({world.own[0], world.other}))]


def may_edit_contacts(world: World, role: str, target: Target) -> bool:
    """The issue's rules: process owners within their region (or Land; shared partners of their Land),
    coordinators for members of their own networks except shared partners, the ministry never."""
    land = "NW" if target.region.startswith(("nw-", "land:NW")) else "SN"
    return {
        "ministry": False,
        "po_region": target.region in ("sn-muldenland", "land:SN"),
        "po_land": land == "SN",
        "po_other": target.region in ("nw-bochum", "land:NW"),
        "coordinator": world.own[0] in target.networks and not target.region.startswith("land:"),
        "coordinator_other": world.other in target.networks and not target.region.startswith("land:"),
    }[role]


def counts(world: World) -> tuple[int, ...]:
    with world.app.engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (Organisation, Membership, Contact, DashboardUser, Invitation))


def _contact_of(world: World, key: str) -> str:
    from verbund.services.directory.contacts import list_contacts

    return str(list_contacts(world.app, organisation=key)[0]["id"])


@pytest.mark.parametrize("role", ROLES)
def test_contacts_are_added_edited_and_deactivated_exactly_as_the_role_allows(
        world: World, client: Any, targets: list[Target], role: str) -> None:
    from verbund.services.directory.contacts import ContactInput, add_contact

    for target in targets:  # every target has a contact to edit
        add_contact(world.app, ContactInput(organisation=target.key, name="Vorhanden", email="da@example.org"))
    csrf = login(client, world.users[role])
    for target in targets:
        may = may_edit_contacts(world, role, target)
        before = counts(world)
        added = client.post("/verzeichnis/kontakt", data={"csrf": csrf, "organisation": target.key,
                                                          "name": "Neue Person", "email": "neu@example.org"},
                            follow_redirects=False)
        assert added.status_code == (303 if may else 403), (role, target, added.status_code)
        assert counts(world)[2] == before[2] + (1 if may else 0)
        contact = _contact_of(world, target.key)
        edited = client.post(f"/verzeichnis/kontakt/{contact}", data={"csrf": csrf, "function": "Leitung"},
                             follow_redirects=False)
        assert edited.status_code == (303 if may else 403), (role, target, "edit")
        deactivate = client.post(f"/verzeichnis/kontakt/{contact}/deaktivieren", data={"csrf": csrf},
                                 follow_redirects=False)
        allowed = may and role.startswith("po_")
        assert deactivate.status_code == (303 if allowed else 403), (role, target, "deactivate")
        partner = client.post(f"/verzeichnis/partner/{target.key}", data={"csrf": csrf, "address": "Markt 1"},
                              follow_redirects=False)
        assert partner.status_code == (303 if allowed else 403), (role, target, "partner")


@pytest.mark.parametrize("role", ROLES)
def test_partners_are_registered_and_coordinators_invited_by_process_owners_of_the_region(
        world: World, client: Any, role: str) -> None:
    csrf = login(client, world.users[role])
    before = counts(world)
    registered = client.post("/verzeichnis/partner", data={
        "csrf": csrf, "name": f"Kita Regenbogen {role}", "kind": "daycare", "region": "sn-muldenland",
        "networks": world.own[0]}, follow_redirects=False)
    invited = client.post("/verzeichnis/einladung", data={"csrf": csrf, "email": f"neu-{role}@example.org",
                                                           "network": world.own[0]}, follow_redirects=False)
    may = role in ("po_region", "po_land")
    assert (registered.status_code, invited.status_code) == ((303, 303) if may else (403, 403)), role
    assert counts(world)[0] == before[0] + (1 if may else 0) and counts(world)[4] == before[4] + (1 if may else 0)
    assert client.get("/verzeichnis").status_code == 200


def test_a_bad_form_names_the_field_and_stores_nothing(world: World, client: Any) -> None:
    csrf = login(client, world.users["po_region"])
    before = counts(world)
    page = client.post("/verzeichnis/partner", data={"csrf": csrf, "name": "Feuerwehr", "kind": "fire_brigade",
                                                     "region": "sn-muldenland", "networks": world.own[0]})
    assert "Feld „Art“" in page.text and counts(world) == before
    target = _member_only_of(world, world.own[0], set())
    page = client.post("/verzeichnis/kontakt", data={"csrf": csrf, "organisation": target.key, "name": "X",
                                                     "channels": "fax://x:geheim@fax.example.org"})
    assert "Feld „weitere Kanäle“" in page.text and "geheim" not in page.text and counts(world) == before


def test_an_invitation_sets_the_password_once_and_the_coordinator_then_adds_a_contact(
        world: World, client: Any) -> None:
    csrf = login(client, world.users["po_region"])
    response = client.post("/verzeichnis/einladung", data={"csrf": csrf, "email": "Neu.Koord@example.org",
                                                            "network": world.own[1]})
    assert "per E-Mail gesendet an neu.koord@example.org" in response.text
    path = "einladung/" + response.text.split("/einladung/")[1].split("<")[0].strip()
    mailbox = default_mailbox_dir(str(world.app.engine.url))  # the default sender: local://
    assert any(path in message["body"] for message in read_mailbox(mailbox, "neu.koord"))
    client.cookies.clear()
    assert client.get(f"/{path}").status_code == 200
    weak = client.post(f"/{path}", data={"password": "kurz", "password_again": "kurz"})
    assert weak.status_code == 400 and "Feld „Passwort“" in weak.text
    done = client.post(f"/{path}", data={"password": "Ein-gutes-Passwort-2024", "password_again":
                                         "Ein-gutes-Passwort-2024"}, follow_redirects=False)
    assert done.status_code == 303
    before = counts(world)
    again = client.post(f"/{path}", data={"password": "Noch-ein-Passwort-2025", "password_again":
                                          "Noch-ein-Passwort-2025"})
    assert again.status_code == 410 and "bereits verwendet" in again.text and counts(world) == before
    csrf = login(client, "neu.koord@example.org", "Ein-gutes-Passwort-2024")
    own = _member_only_of(world, world.own[1], set())
    other = _member_only_of(world, world.own[0], set())
    ok = client.post("/verzeichnis/kontakt", data={"csrf": csrf, "organisation": own.key, "name": "Zweite Person",
                                                   "email": "zweite@example.org"}, follow_redirects=False)
    refused = client.post("/verzeichnis/kontakt", data={"csrf": csrf, "organisation": other.key, "name": "X"},
                          follow_redirects=False)
    assert (ok.status_code, refused.status_code) == (303, 403)


def test_a_partner_link_and_anonymous_requests_reach_no_directory_route(world: World, client: Any) -> None:
    network = world.own[0]
    token = sign(world.app, world.contact_of(network), network, "analysis", "analysis")
    other = _contact_of(world, _member_only_of(world, world.own[1], set()).key)
    before = counts(world)
    for path in ("/verzeichnis", f"/verzeichnis?t={token}"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/login"
    for path in ("/verzeichnis/partner", "/verzeichnis/kontakt", f"/verzeichnis/kontakt/{other}",
                 f"/verzeichnis/kontakt/{other}/deaktivieren", "/verzeichnis/einladung",
                 f"/verzeichnis/partner/x?t={token}"):
        response = client.post(path, data={"t": token, "name": "Fremd", "organisation": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    assert client.get("/einladung/erfunden").status_code == 404
    assert counts(world) == before
