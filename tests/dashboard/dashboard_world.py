"""The dashboard tests' world (two Saxon regions, one in another Land, users of every role) and
the login helper; a module of its own so test modules import it by a name no other folder uses."""

from __future__ import annotations

import datetime as dt
import uuid
import warnings
from dataclasses import dataclass, field

with warnings.catch_warnings():  # starlette 1.x asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
from sqlmodel import select

from verbund.domain.models import Contact, Membership, Network
from verbund.services.access.users import add_user
from verbund.services.app.bootstrap import App
from verbund.services.demo.sample import build_sample_region
from verbund.services.directory.setup import (
    OrganisationSpec,
    add_member,
    create_network,
    upsert_organisation,
    upsert_region,
)
from verbund.services.stages.lifecycle import reconcile_stage

PASSWORD = "ein-sehr-sicheres-Passwort-42"


@dataclass
class World:
    app: App
    own: list[str]  # networks of sn-muldenland
    other: str  # a network in sn-anderland (same Land)
    foreign: str  # a network in nw-bochum (another Land)
    users: dict[str, str] = field(default_factory=dict)  # label -> email

    def contact_of(self, network: str) -> uuid.UUID:
        with self.app.uow() as uow:
            net = uow.session.exec(select(Network).where(Network.slug == network)).one()
            row = uow.session.exec(select(Contact.id).join(Membership, Membership.organisation_id ==  # type: ignore[arg-type]
                                                           Contact.organisation_id)
                                   .where(Membership.network_id == net.id, Membership.role == "member")).first()
            assert row is not None
            return row


def _small_region(app: App, slug: str, state: str, network: str, at: dt.datetime) -> None:
    with app.uow(write=True) as uow:
        region = upsert_region(uow.session, slug, slug.title(), state)
        uow.session.flush()
        net = create_network(uow.session, region, network, f"Verbund {network}", "sachsen-inklusion", at)
        org = upsert_organisation(uow.session, region, OrganisationSpec("test", network, f"Schule {network}",
                                                                        "public_school"))
        uow.session.flush()
        add_member(uow.session, net, org, "member", at, "test")
        uow.session.add(Contact(organisation_id=org.id, name=f"Kontakt {network}", email=f"k@{network}.example",
                                channels=[f"local://k-{network}"]))
        uow.commit()


def build_world(app: App) -> World:
    at = app.now()
    sample = build_sample_region(app, at=at)
    _small_region(app, "sn-anderland", "SN", "kv-anderland", at)
    _small_region(app, "nw-bochum", "NW", "bn-bochum", at)
    for network in [*sample.networks, "kv-anderland", "bn-bochum"]:
        reconcile_stage(app, network, "analysis", at)
    world = World(app, sorted(sample.networks), "kv-anderland", "bn-bochum")
    specs: dict[str, tuple[str, str, str | None, str | None]] = {
        "ministry": ("ministerium@example.org", "ministry", None, None),
        "po_region": ("po-mulde@example.org", "process_owner", "sn-muldenland", None),
        "po_land": ("po-sachsen@example.org", "process_owner", "SN", None),
        "po_other": ("po-bochum@example.org", "process_owner", "nw-bochum", None),
        "coordinator": ("koord@example.org", "coordinator", None, world.own[0]),
        "coordinator_other": ("koord-ander@example.org", "coordinator", None, "kv-anderland"),
    }
    for label, (email, role, region, scope_network) in specs.items():
        add_user(app, email=email, role=role, password=PASSWORD, region=region, network=scope_network)
        world.users[label] = email
    return world


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the CSRF token of the session."""
    page = client.get("/login")
    nonce = page.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/login", data={"csrf": nonce, "email": email, "password": password},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    me = client.get("/konto")
    token: str = me.text.split('name="csrf" value="')[1].split('"')[0]
    return token
