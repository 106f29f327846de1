"""Networks outside a rules file: create, rename, close, list, show; find a school; move a school.

The slug is fixed once a network exists: it keys messages, Prefect tags and the history. Renaming
changes the name only; closing ends every membership (a network with assigned public schools must
hand them over first) and keeps the history. Each change writes an audit event (entity
``network``). Moving a school is the manual assignment (``services.importers.assignment``) with a
reason that is required here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel import Session, col, func, or_, select

from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import count, local_date
from verbund.domain.models import Membership, MembershipRole, Network, Organisation, OrganisationKind, Region
from verbund.domain.slugs import is_slug
from verbund.domain.stages import DONE_STATES, AuditEvent, StageRun
from verbund.services.access.actor_refs import named
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import current_stage, network_by_slug, region_by_slug, region_of
from verbund.services.directory.setup import create_network as create_network_in
from verbund.services.importers.assignment import NetworkRule, assign_school, template_for
from verbund.services.importers.coverage import active_membership

SCHOOL_KINDS = (OrganisationKind.public_school, OrganisationKind.private_school)


def _audit(session: Session, network: Network, at: dt.datetime, recorded: dt.datetime, by: str, action: str,
           reason: str | None = None, **detail: Any) -> None:
    session.add(AuditEvent(at=at, recorded_at=recorded, actor=by, network_id=network.id, entity="network",
                           action=action, reason=reason, detail=dict(detail)))


def create_network(app: App, slug: str, *, name: str, region: str, template: str | None = None, by: str,
                   at: dt.datetime | None = None) -> dict[str, Any]:
    """A new network with its template's stage runs (pending: the first assignment or build-out opens
    the first stage); the same call again changes nothing."""
    at = at or app.now()
    slug, name = slug.strip(), name.strip()
    if not is_slug(slug):
        raise InvalidInput(f"Slug '{slug}': nur Kleinbuchstaben, Ziffern und Bindestriche (z. B. kv-zwickau-nord)")
    if not name:
        raise InvalidInput("--name: der Verbund braucht einen Namen")
    with app.uow(write=True) as uow:
        session = uow.session
        home = region_by_slug(session, region)
        chosen = _template(slug, template, home)
        found = session.exec(select(Network).where(Network.slug == slug)).first()
        if found is not None:
            if (found.name, found.region_id, found.template) != (name, home.id, chosen):
                raise InvalidInput(f"Verbund '{slug}' gibt es bereits ({found.name}, {region_of(session, found).slug},"
                                   f" {found.template}); der Slug bleibt fest, umbenennen: verbund network rename")
        else:
            found = create_network_in(session, home, slug, name, chosen, at)
            _audit(session, found, at, app.wall_time(), by, "created", f"{name} ({home.slug}, {chosen})")
        uow.commit()
    return network_details(app, slug)


def _template(slug: str, template: str | None, region: Region) -> str:
    return template_for(NetworkRule(slug, "", region.slug, template, {}), region.state)


def rename_network(app: App, slug: str, *, name: str, by: str, at: dt.datetime | None = None) -> dict[str, Any]:
    at = at or app.now()
    if not name.strip():
        raise InvalidInput("--name: der neue Name fehlt")
    with app.uow(write=True) as uow:
        network = network_by_slug(uow.session, slug)
        old = network.name
        if old != name.strip():
            network.name = name.strip()
            uow.session.add(network)
            _audit(uow.session, network, at, app.wall_time(), by, "renamed", f"{old} → {network.name}")
        uow.commit()
    return network_details(app, slug)


def close_network(app: App, slug: str, *, reason: str, by: str, at: dt.datetime | None = None) -> dict[str, Any]:
    """Close a network: every membership ends; refused while public schools are assigned to it."""
    at = at or app.now()
    if not reason.strip():
        raise InvalidInput("--reason: das Schließen braucht eine Begründung")
    with app.uow(write=True) as uow:
        session = uow.session
        network = network_by_slug(session, slug)
        if network.closed_at is not None:
            raise InvalidInput(f"Verbund '{slug}' ist seit {local_date(network.closed_at)} geschlossen")
        schools = _assigned_schools(session, network, at)
        if schools:
            assigned = count(len(schools), "Schule", "Schulen")
            raise InvalidInput(f"Verbund '{slug}': noch {assigned} zugeordnet, erst umordnen "
                               f"(verbund school move SCHULE VERBUND --reason …), z. B. {', '.join(schools[:3])}")
        ended = 0
        for membership in session.exec(select(Membership).where(Membership.network_id == network.id,
                                                                col(Membership.valid_to).is_(None))):
            membership.valid_to = max(at, membership.valid_from)
            session.add(membership)
            ended += 1
        network.closed_at, network.closed_reason = at, reason.strip()
        session.add(network)
        _audit(session, network, at, app.wall_time(), by, "closed", reason.strip(), memberships_ended=ended)
        uow.commit()
    return network_details(app, slug)


def _assigned_schools(session: Session, network: Network, at: dt.datetime) -> list[str]:
    rows = session.exec(select(Organisation.name).join(Membership, col(Membership.organisation_id) ==
                                                       col(Organisation.id))
                        .where(Membership.network_id == network.id, active_membership(at),
                               Organisation.kind == OrganisationKind.public_school)
                        .order_by(col(Organisation.name))).all()
    return list(rows)


def list_networks(app: App, region: str | None = None) -> list[dict[str, Any]]:
    at = app.now()
    with app.uow(read_only=True) as uow:
        session = uow.session
        query = select(Network, Region).join(Region, col(Region.id) == col(Network.region_id))
        if region:
            query = query.where(Region.slug == region_by_slug(session, region).slug)
        pairs = session.exec(query.order_by(col(Region.slug), col(Network.slug))).all()
        ids = [network.id for network, _home in pairs]
        counts = _counts(session, at, ids if region else None)  # a region's page counts its own networks
        stages = _current_stages(session, ids)
        return [_summary(session, network, home, counts, stages) for network, home in pairs]


def _counts(session: Session, at: dt.datetime, networks: list[uuid.UUID] | None = None
            ) -> dict[tuple[Any, bool], int]:
    """Open memberships per (network, is a school), of ``networks`` if given."""
    is_school = col(Organisation.kind).in_(SCHOOL_KINDS)
    query = (select(Membership.network_id, is_school, func.count())
             .join(Organisation, col(Organisation.id) == col(Membership.organisation_id))
             .where(active_membership(at)).group_by(col(Membership.network_id), is_school))
    if networks is not None:
        query = query.where(col(Membership.network_id).in_(networks))
    return {(network_id, bool(school)): count for network_id, school, count in session.exec(query).all()}


def _current_stages(session: Session, networks: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """``lookup.current_stage`` of many networks in one query: the first run (by position, cycle)
    neither completed nor waived."""
    found: dict[uuid.UUID, str | None] = dict.fromkeys(networks)
    done: set[uuid.UUID] = set()
    for start in range(0, len(networks), 500):
        for network_id, stage, state in session.exec(
                select(StageRun.network_id, StageRun.stage, StageRun.state)
                .where(col(StageRun.network_id).in_(networks[start:start + 500]))
                .order_by(col(StageRun.network_id), col(StageRun.position), col(StageRun.cycle))):
            if network_id not in done and state not in DONE_STATES:
                found[network_id] = stage
                done.add(network_id)
    return found


def _summary(session: Session, network: Network, region: Region, counts: dict[tuple[Any, bool], int],
             stages: dict[uuid.UUID, str | None] | None = None) -> dict[str, Any]:
    return {"slug": network.slug, "name": network.name, "region": region.slug, "template": network.template,
            "created_at": network.created_at.isoformat(),
            "closed_at": network.closed_at.isoformat() if network.closed_at else None,
            "closed_reason": network.closed_reason,
            "schools": counts.get((network.id, True), 0), "partners": counts.get((network.id, False), 0),
            "current_stage": stages[network.id] if stages is not None else current_stage(session, network)}


def network_details(app: App, slug: str) -> dict[str, Any]:
    """The network's summary, its assigned schools (since when, on which basis) and its history."""
    at = app.now()
    with app.uow(read_only=True) as uow:
        session = uow.session
        network = network_by_slug(session, slug)
        summary = _summary(session, network, region_of(session, network), _counts(session, at, [network.id]))
        schools = session.exec(
            select(Organisation, Membership).join(Membership, col(Membership.organisation_id) == col(Organisation.id))
            .where(Membership.network_id == network.id, active_membership(at),
                   col(Organisation.kind).in_(SCHOOL_KINDS)).order_by(col(Organisation.name))).all()
        history = session.exec(select(AuditEvent).where(AuditEvent.network_id == network.id,
                                                        col(AuditEvent.entity).in_(["network", "membership"]))
                               .order_by(col(AuditEvent.at), col(AuditEvent.recorded_at))).all()
        return {**summary,
                "assigned_schools": [{"school": f"{o.source}:{o.source_id}", "name": o.name,
                                      "since": m.valid_from.isoformat(), "basis": m.basis} for o, m in schools],
                "history": [{"at": e.at.isoformat(), "actor": actor, "entity": e.entity, "action": e.action,
                             "reason": e.reason}
                            for e, actor in zip(history, named(session, history, "actor"), strict=True)]}


def move_school(app: App, school: str, network: str, *, reason: str, by: str,
                at: dt.datetime | None = None) -> dict[str, Any]:
    """Move a school (``SOURCE:ID``) to ``network`` with a reason; its earlier assignment ends (kept)."""
    if not reason.strip():
        raise InvalidInput("--reason: das Umordnen braucht eine Begründung")
    moved = assign_school(app, school, network, by=by, reason=reason.strip(), at=at)
    return {**moved, "reason": reason.strip()}


def find_schools(app: App, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Schools whose name, place, id (``SOURCE:ID`` or the source's id) or Dienststellenschlüssel matches:
    which network each is in, since when, on which basis, and its Förderschwerpunkte."""
    key = text.strip()
    if len(key) < 2:
        raise InvalidInput("Suche: mindestens zwei Zeichen")
    at = app.now()
    source, _, source_id = key.partition(":")
    pattern = f"%{key}%"
    with app.uow(read_only=True) as uow:
        session = uow.session
        matches = or_(col(Organisation.name).ilike(pattern), col(Organisation.community).ilike(pattern),
                      Organisation.source_id == key, Organisation.service_key == key,
                      (Organisation.source == source) & (Organisation.source_id == source_id))
        schools = session.exec(select(Organisation).where(col(Organisation.kind).in_(SCHOOL_KINDS), matches)
                               .order_by(col(Organisation.name)).limit(limit)).all()
        ids = [school.id for school in schools]
        placed = {m.organisation_id: (m, n) for m, n in session.exec(
            select(Membership, Network).join(Network, col(Network.id) == col(Membership.network_id))
            .where(col(Membership.organisation_id).in_(ids), active_membership(at),
                   Membership.role == MembershipRole.member).order_by(col(Membership.valid_from)))}
        regions = {r.id: r.slug for r in session.exec(select(Region))}
        return [_found(school, placed.get(school.id), regions) for school in schools]


def _found(school: Organisation, placed: tuple[Membership, Network] | None, regions: dict[Any, str]
           ) -> dict[str, Any]:
    membership, network = placed if placed else (None, None)
    return {"school": f"{school.source}:{school.source_id}", "name": school.name, "community": school.community,
            "region": regions.get(school.region_id), "service_key": school.service_key,
            "latitude": school.latitude, "longitude": school.longitude,
            "network": network.slug if network else None, "network_name": network.name if network else None,
            "since": membership.valid_from.isoformat() if membership else None,
            "basis": membership.basis if membership else None, "special_needs": list(school.special_needs),
            "in_scope": school.in_scope, "out_of_scope_reason": school.out_of_scope_reason,
            "closed": school.closed_at is not None}
