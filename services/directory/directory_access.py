"""Who may change what in the directory (dashboard), and the directory page's read model.

- Process owners (region or Land scope) register partners in their regions, edit the partners of
  their regions and the Land-wide (shared) partners of their Land, and add, edit and deactivate any
  contact of those organisations (schools included).
- Coordinators add contacts to the member organisations of their own networks and edit them; never
  a Land-wide partner's contacts, never deactivate, never register or edit partners.
- The ministry reads. Partners edit their own channels and deputy through their link (``partners``).
Every use case takes the acting ``Principal`` and raises ``NotAllowed`` outside these rules.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.access import UserRole
from verbund.domain.errors import NotAllowed
from verbund.domain.models import Contact, Membership, Network, Organisation, Region
from verbund.domain.process import load_template
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.directory.contacts import ContactInput, add_contact, edit_contact, find_contact, set_active
from verbund.services.directory.partner_directory import (
    PartnerInput,
    add_partner,
    edit_partner,
    find_organisation,
    partner_key,
)


@dataclass
class OrgScope:
    """Where an organisation belongs: its region (slug), its Land, its current networks."""

    region: str | None
    land: str
    shared: bool
    networks: set[str] = field(default_factory=set)


def org_scope(session: Session, organisation: Organisation) -> OrgScope:
    networks = set(session.exec(select(Network.slug).join(Membership, col(Membership.network_id) == col(Network.id))
                                .where(Membership.organisation_id == organisation.id,
                                       col(Membership.valid_to).is_(None))).all())
    region = session.get(Region, organisation.region_id) if organisation.region_id else None
    land = organisation.land or (region.state if region else "")
    return OrgScope(region.slug if region else None, land, organisation.land is not None, networks)


def _owner_covers(session: Session, who: Principal, scope: OrgScope) -> bool:
    if who.role != UserRole.process_owner:
        return False
    if scope.land.upper() in who.lands:
        return True
    if scope.shared:  # a shared partner: any process owner of a region in its Land
        states = set(session.exec(select(Region.state).where(col(Region.slug).in_(who.regions))).all())
        return scope.land in states
    if scope.region in who.regions:
        return True
    regions = set(session.exec(select(Region.slug).join(Network, col(Network.region_id) == col(Region.id))
                               .where(col(Network.slug).in_(scope.networks))).all())
    return bool(regions & who.regions)


def may_edit_partner(session: Session, who: Principal, organisation: Organisation) -> bool:
    return _owner_covers(session, who, org_scope(session, organisation))


def may_edit_contacts(session: Session, who: Principal, organisation: Organisation) -> bool:
    scope = org_scope(session, organisation)
    if who.role == UserRole.coordinator:
        return not scope.shared and bool(scope.networks & who.networks)
    return _owner_covers(session, who, scope)


def may_deactivate(session: Session, who: Principal, organisation: Organisation) -> bool:
    return who.role == UserRole.process_owner and may_edit_contacts(session, who, organisation)


def may_register_in(session: Session, who: Principal, region: str | None, land: str | None) -> bool:
    if who.role != UserRole.process_owner:
        return False
    if land:
        return _owner_covers(session, who, OrgScope(None, land.upper(), True))
    found = session.exec(select(Region).where(Region.slug == (region or ""))).first()
    return found is not None and (found.slug in who.regions or found.state in who.lands)


# --- use cases with the rules ------------------------------------------------------------------

def register_partner(app: App, who: Principal, spec: PartnerInput) -> str:
    with app.uow(read_only=True) as uow:
        allowed = may_register_in(uow.session, who, spec.region, spec.land)
        networks = uow.session.exec(select(Network, Region).join(Region, col(Region.id) == col(Network.region_id))
                                    .where(col(Network.slug).in_(spec.networks or []))).all()
    if not allowed or not all(who.may_read(n.slug, r.slug, r.state) for n, r in networks):
        raise NotAllowed("Partner: nur Prozessverantwortliche registrieren Partner in ihrer Region")
    return add_partner(app, spec, by=who.email)


def change_partner(app: App, who: Principal, spec: PartnerInput) -> bool:
    with app.uow(read_only=True) as uow:
        if not may_edit_partner(uow.session, who, find_organisation(uow.session, spec.key or "")):
            raise NotAllowed("Partner: nur Prozessverantwortliche der Region (landesweit: des Landes) ändern ihn")
    return edit_partner(app, spec, by=who.email)


def new_contact(app: App, who: Principal, spec: ContactInput) -> str:
    with app.uow(read_only=True) as uow:
        organisation = find_organisation(uow.session, spec.organisation or "")
        if not may_edit_contacts(uow.session, who, organisation):
            raise NotAllowed("Ansprechperson: diese Organisation gehört nicht zu Ihrem Bereich")
    return add_contact(app, spec, by=who.email)


def _contact_org(session: Session, ref: str) -> tuple[Contact, Organisation]:
    contact = find_contact(session, ref)
    organisation = session.get(Organisation, contact.organisation_id)
    assert organisation is not None
    return contact, organisation


def change_contact(app: App, who: Principal, ref: str, spec: ContactInput) -> list[str]:
    with app.uow(read_only=True) as uow:
        _contact, organisation = _contact_org(uow.session, ref)
        target = find_organisation(uow.session, spec.organisation) if spec.organisation else organisation
        if not (may_edit_contacts(uow.session, who, organisation) and may_edit_contacts(uow.session, who, target)):
            raise NotAllowed("Ansprechperson: gehört nicht zu Ihrem Bereich")
    return edit_contact(app, ref, spec, by=who.email)


def deactivate(app: App, who: Principal, ref: str) -> str:
    with app.uow(read_only=True) as uow:
        _contact, organisation = _contact_org(uow.session, ref)
        if not may_deactivate(uow.session, who, organisation):
            raise NotAllowed("Ansprechperson: nur Prozessverantwortliche der Region deaktivieren")
    return set_active(app, ref, False, by=who.email)


# --- the page ----------------------------------------------------------------------------------

def directory_page(app: App, who: Principal, at: dt.datetime | None = None) -> dict[str, Any]:
    """The organisations the person may see (members of readable networks, partners of readable
    regions, shared partners of their Land) with contacts and what the person may do with each."""
    with app.uow(read_only=True) as uow:
        session = uow.session
        readable = [(n, r) for n, r in session.exec(select(Network, Region).join(
            Region, col(Region.id) == col(Network.region_id)).order_by(col(Network.slug))).all()
                    if who.may_read(n.slug, r.slug, r.state)]
        ids = set(session.exec(select(Membership.organisation_id).where(
            col(Membership.network_id).in_([n.id for n, _ in readable]), col(Membership.valid_to).is_(None))).all())
        region_ids = {r.id for _, r in readable}
        lands = {r.state for _, r in readable}
        partners = session.exec(select(Organisation).where(Organisation.source == "verzeichnis")).all()
        ids |= {o.id for o in partners if o.region_id in region_ids or (o.land in lands)}
        organisations = _load(session, ids)
        contacts: dict[uuid.UUID, list[Contact]] = {}
        for contact in session.exec(select(Contact).where(col(Contact.organisation_id).in_(list(ids)))
                                    .order_by(col(Contact.name))):
            contacts.setdefault(contact.organisation_id, []).append(contact)
        rows = []
        for organisation in organisations:
            scope = org_scope(session, organisation)
            rows.append({"key": partner_key(organisation), "name": organisation.name, "kind": organisation.kind,
                         "region": scope.region, "land": organisation.land, "networks": sorted(scope.networks),
                         "may_edit": may_edit_partner(session, who, organisation),
                         "may_contacts": may_edit_contacts(session, who, organisation),
                         "may_deactivate": may_deactivate(session, who, organisation),
                         "contacts": [{"id": str(c.id), "name": c.name, "function": c.function or "",
                                       "email": c.email or "", "active": c.active}
                                      for c in contacts.get(organisation.id, [])]})
        kinds: dict[str, str] = {}
        for template in {n.template for n, _ in readable}:
            kinds.update(load_template(template).partner_kinds)
        owner = who.role == UserRole.process_owner
        return {"organisations": rows, "kinds": kinds,
                "networks": [n.slug for n, r in readable] if owner else [],
                "regions": sorted({r.slug for _, r in readable if may_register_in(session, who, r.slug, None)}),
                "lands": sorted(lands) if owner else [], "may_register": owner, "may_invite": owner}


def _load(session: Session, ids: set[uuid.UUID]) -> list[Organisation]:
    found = session.exec(select(Organisation).where(col(Organisation.id).in_(list(ids)),
                                                    col(Organisation.closed_at).is_(None))).all()
    return sorted(found, key=lambda o: (o.source != "verzeichnis", o.name))
