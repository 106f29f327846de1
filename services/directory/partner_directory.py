"""Partner organisations in the directory: register, list, show, edit, close (CLI, files, dashboard).

A partner is an ``Organisation`` of source ``verzeichnis`` with a key (slug) of its own, a kind from
its networks' templates (``[partner_kinds]``; the German label is accepted too), a region, or a
Land for Land-wide partners serving networks of several regions, and optionally an address and an
AGS (``community_key``). It may belong to several networks. Every check names the field
(``FieldError``); ``plan_partner`` runs all checks against a session without committing, so a file
import can check every row first and store nothing when one is bad.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.directory import PARTNER_SOURCE
from verbund.domain.errors import FieldError, InvalidInput, NotFound
from verbund.domain.models import Contact, Membership, Network, Organisation, Region
from verbund.domain.process import load_template
from verbund.domain.slugs import is_slug, slugify
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import current_stage
from verbund.services.app.usecase import Change, change
from verbund.services.directory.setup import add_member, ensure_open

AGS = re.compile(r"^\d{8}(\d{4})?$")


@dataclass
class PartnerInput:
    """A partner as entered (CLI options, a file row, a form); ``None`` = not given (edit keeps it)."""

    name: str | None = None
    kind: str | None = None
    key: str | None = None
    region: str | None = None
    land: str | None = None
    networks: list[str] | None = None
    address: str | None = None
    ags: str | None = None


@dataclass
class PlannedPartner:
    key: str
    values: dict[str, Any]
    networks: list[Network] = field(default_factory=list)
    existing: Organisation | None = None


def partner_key(organisation: Organisation) -> str:
    """The key the CLI shows: the slug for directory partners, ``SOURCE:ID`` for schools."""
    if organisation.source == PARTNER_SOURCE:
        return organisation.source_id
    return f"{organisation.source}:{organisation.source_id}"


def find_organisation(session: Session, key: str) -> Organisation:
    """A directory partner by key, or any organisation by ``SOURCE:ID``."""
    source, _, source_id = key.strip().rpartition(":")
    found = session.exec(select(Organisation).where(Organisation.source == (source or PARTNER_SOURCE),
                                                    Organisation.source_id == source_id)).first()
    if found is None:
        raise NotFound("Partner", key)
    return found


def _text(value: str | None, name: str, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise FieldError(name, "fehlt")
    return cleaned or None


def _networks(session: Session, slugs: list[str]) -> list[Network]:
    found = []
    for slug in dict.fromkeys(s.strip() for s in slugs if s.strip()):
        network = session.exec(select(Network).where(Network.slug == slug)).first()
        if network is None:
            raise FieldError("network", f"Verbund '{slug}' gibt es nicht")
        try:
            ensure_open(network, "er nimmt keine neuen Mitglieder mehr auf")
        except InvalidInput as closed:
            raise FieldError("network", str(closed)) from closed
        found.append(network)
    return found


def check_kind(value: str, networks: list[Network]) -> str:
    """The kind key for ``value`` (key or label) if every network's template knows it."""
    from verbund.domain.models import KIND_LABELS

    templates = [load_template(t) for t in dict.fromkeys(n.template for n in networks)]
    known: dict[str, str] = {}
    for template in templates:
        known.update(template.partner_kinds)
    if not templates:
        known = dict(KIND_LABELS)
    wanted = value.strip()
    kind = next((k for k, label in known.items() if wanted in (k, label)), None)
    lacking = next((t for t in templates if kind not in t.partner_kinds), None)
    if kind is None or lacking is not None:
        where = f"steht nicht in [partner_kinds] der Vorlage {lacking.key}" if lacking else "ist unbekannt"
        allowed = sorted(lacking.partner_kinds if lacking else known)
        raise FieldError("kind", f"Partnerart '{wanted}' {where} (erlaubt: {', '.join(allowed)})")
    return kind


def plan_partner(session: Session, spec: PartnerInput, *, create: bool) -> PlannedPartner:
    """Check a new partner (``create``) or an edit against the database; nothing is written."""
    existing = None
    if create:
        name = _text(spec.name, "name", required=True)
        assert name is not None
        key = (spec.key or "").strip() or slugify(name)[:60].strip("-")
        if not is_slug(key):
            raise FieldError("key", f"'{key}' muss [a-z0-9-]+ sein")
        if session.exec(select(Organisation.id).where(Organisation.source == PARTNER_SOURCE,
                                                      Organisation.source_id == key)).first() is not None:
            raise FieldError("key", f"Partner '{key}' gibt es schon (ändern: verbund partner edit)")
    else:
        existing = find_organisation(session, spec.key or "")
        key = existing.source_id
        if existing.closed_at is not None:
            raise FieldError("key", f"Partner '{key}' ist geschlossen")
    networks = _networks(session, spec.networks or [])
    values: dict[str, Any] = {}
    if spec.name is not None:
        values["name"] = _text(spec.name, "name", required=True)
    land = (spec.land or "").strip().upper() or None
    if land is not None and not (len(land) == 2 and land.isalpha()):
        raise FieldError("land", f"'{land}' ist kein Länderkürzel (z. B. SN)")
    region = _region(session, spec.region, land, existing)
    if spec.region is not None or land is not None or create:
        values["region_id"], values["land"] = (region.id if region else None), land
    if existing is not None and "region_id" not in values:  # an edit keeps the stored region or Land
        region = session.get(Region, existing.region_id) if existing.region_id else None
        land = existing.land
    for network in networks:
        _check_reach(session, network, region, land)
    if spec.kind is not None:
        everyone = networks + (_current_networks(session, existing) if existing else [])
        values["kind"] = check_kind(spec.kind, everyone)
    elif create:
        raise FieldError("kind", "fehlt")
    if spec.address is not None:
        values["address"] = _text(spec.address, "address")
    if spec.ags is not None:
        ags = _text(spec.ags, "ags")
        if ags is not None and not AGS.match(ags):
            raise FieldError("ags", f"'{ags}' ist kein Gemeindeschlüssel (8 oder 12 Ziffern)")
        values["community_key"] = ags
    return PlannedPartner(key, values, networks, existing)


def _region(session: Session, slug: str | None, land: str | None, existing: Organisation | None) -> Region | None:
    if slug is None or not slug.strip():
        if land is None and existing is None:
            raise FieldError("region", "fehlt (Region des Partners, oder --land für landesweite Partner)")
        return None
    region = session.exec(select(Region).where(Region.slug == slug.strip())).first()
    if region is None:
        raise FieldError("region", f"Region '{slug.strip()}' gibt es nicht")
    if land is not None:
        raise FieldError("land", "landesweite Partner haben keine Region (nur land angeben)")
    return region


def _check_reach(session: Session, network: Network, region: Region | None, land: str | None) -> None:
    """A partner joins networks of its region; a Land-wide one networks anywhere in its Land."""
    network_region = session.get(Region, network.region_id)
    assert network_region is not None
    if land is not None and network_region.state != land:
        raise FieldError("network", f"Verbund '{network.slug}' liegt nicht im Land {land}")
    if region is not None and network.region_id != region.id:
        raise FieldError("network", f"Verbund '{network.slug}' liegt nicht in der Region '{region.slug}'")


def _current_networks(session: Session, organisation: Organisation) -> list[Network]:
    return list(session.exec(select(Network).join(Membership, col(Membership.network_id) == col(Network.id))
                             .where(Membership.organisation_id == organisation.id,
                                    col(Membership.valid_to).is_(None))).all())


def apply_partner(session: Session, plan: PlannedPartner, at: dt.datetime, by: str) -> tuple[Organisation, bool]:
    """Write a checked plan; returns the organisation and whether anything changed."""
    organisation = plan.existing
    fields: list[str] = []
    if organisation is None:
        organisation = Organisation.model_validate({"source": PARTNER_SOURCE, "source_id": plan.key,
                                                    "in_scope": False, **plan.values})
        fields = sorted(name for name, value in plan.values.items() if value is not None)
    else:
        for name, value in plan.values.items():
            if getattr(organisation, name) != value:
                setattr(organisation, name, value)
                fields.append(name)
    changed = bool(fields) or plan.existing is None
    session.add(organisation)
    session.flush()
    if changed:  # which fields, never their values (like contacts)
        names = sorted({"region" if f == "region_id" else "ags" if f == "community_key" else f for f in fields})
        session.add(AuditEvent(at=at, recorded_at=at, actor=by, entity="partner",
                               action="registered" if plan.existing is None else "edited",
                               reason=f"{plan.key}: {', '.join(names)}"))
    open_networks = {n.id for n in _current_networks(session, organisation)}
    for network in plan.networks:
        if network.id not in open_networks:
            add_member(session, network, organisation, "member", at, by)
            changed = True
    return organisation, changed


def _touch(work: Change, networks: list[Network]) -> None:
    for network in networks:
        work.touch(network, current_stage(work.session, network))


def add_partner(app: App, spec: PartnerInput, *, by: str = "system", at: dt.datetime | None = None) -> str:
    """Register a partner; returns its key. Triggers the current stage of each of its networks."""
    with change(app, at) as work:
        plan = plan_partner(work.session, spec, create=True)
        apply_partner(work.session, plan, work.at, by)
        _touch(work, plan.networks)
    return plan.key


def edit_partner(app: App, spec: PartnerInput, *, leave: list[str] | None = None, by: str = "system",
                 at: dt.datetime | None = None) -> bool:
    """Change the given fields, join ``spec.networks``, leave ``leave``; True when anything changed."""
    with change(app, at) as work:
        session, at = work.session, work.at
        plan = plan_partner(session, spec, create=False)
        organisation, changed = apply_partner(session, plan, at, by)
        left = _networks(session, leave or [])
        for network in left:
            changed |= _end_membership(session, network, organisation, at, by)
        _touch(work, plan.networks + left)
    return changed


def _end_membership(session: Session, network: Network, organisation: Organisation, at: dt.datetime,
                    by: str) -> bool:
    rows = session.exec(select(Membership).where(Membership.network_id == network.id,
                                                 Membership.organisation_id == organisation.id,
                                                 col(Membership.valid_to).is_(None))).all()
    for membership in rows:
        membership.valid_to = at
        session.add(membership)
        session.add(AuditEvent(at=at, recorded_at=at, actor=by, network_id=network.id, entity="membership",
                               action="ended", reason=organisation.name))
    return bool(rows)


def close_partner(app: App, key: str, *, by: str = "system", at: dt.datetime | None = None) -> None:
    """Close a partner (never deleted): its memberships end, its contacts stay for the history."""
    with change(app, at) as work:
        session, at = work.session, work.at
        organisation = find_organisation(session, key)
        if organisation.closed_at is not None:
            raise FieldError("key", f"Partner '{key}' ist bereits geschlossen")
        networks = _current_networks(session, organisation)
        for network in networks:
            _end_membership(session, network, organisation, at, by)
        organisation.closed_at = at
        session.add(organisation)
        _touch(work, networks)


def _row(session: Session, organisation: Organisation, regions: dict[uuid.UUID, str]) -> dict[str, Any]:
    networks = sorted(n.slug for n in _current_networks(session, organisation))
    active = session.exec(select(Contact.id).where(Contact.organisation_id == organisation.id,
                                                   col(Contact.active).is_(True))).all()
    return {"key": partner_key(organisation), "name": organisation.name, "kind": organisation.kind,
            "region": regions.get(organisation.region_id) if organisation.region_id else None,
            "land": organisation.land, "networks": networks, "address": organisation.address,
            "ags": organisation.community_key, "active_contacts": len(active),
            "closed_at": organisation.closed_at.isoformat() if organisation.closed_at else None}


def list_partners(app: App, *, region: str | None = None, network: str | None = None, kind: str | None = None,
                  include_closed: bool = False) -> list[dict[str, Any]]:
    """Directory partners (and, with ``network``, every member organisation of that network)."""
    with app.uow(read_only=True) as uow:
        session = uow.session
        regions = {r.id: r.slug for r in session.exec(select(Region))}
        query = select(Organisation)
        if network:
            found = _networks(session, [network])[0]
            query = query.join(Membership, col(Membership.organisation_id) == col(Organisation.id)).where(
                Membership.network_id == found.id, col(Membership.valid_to).is_(None))
        else:
            query = query.where(Organisation.source == PARTNER_SOURCE)
        if region:
            region_id = next((k for k, v in regions.items() if v == region), None)
            if region_id is None:
                raise NotFound("Region", region)
            query = query.where(Organisation.region_id == region_id)
        if kind:
            query = query.where(Organisation.kind == kind)
        if not include_closed:
            query = query.where(col(Organisation.closed_at).is_(None))
        rows = {o.id: o for o in session.exec(query.order_by(col(Organisation.name))).all()}
        return [_row(session, o, regions) for o in rows.values()]


def show_partner(app: App, key: str) -> dict[str, Any]:
    with app.uow(read_only=True) as uow:
        session = uow.session
        organisation = find_organisation(session, key)
        regions = {r.id: r.slug for r in session.exec(select(Region))}
        data = _row(session, organisation, regions)
        contacts = session.exec(select(Contact).where(Contact.organisation_id == organisation.id)
                                .order_by(col(Contact.name))).all()
        data["contacts"] = [{"id": str(c.id), "name": c.name, "function": c.function, "email": c.email,
                             "channels": len(c.channels), "active": c.active} for c in contacts]
        return data
