"""Coverage: per region and Land, public schools in scope assigned exactly once, unassigned, twice;
and the Förderschwerpunkt matrix per network (offer and largest distance to it).

The one definition of coverage: open public schools in scope (``schools_in_scope``) and the number
of networks each belongs to by active non-guest memberships (``assignment_counts``). ``verbund
coverage`` and the analysis stage's exit criterion (``region_coverage`` → ``CoverageFact``, loaded
by ``services/stages/facts.py``) both use it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from verbund.domain.criteria import CoverageFact
from verbund.domain.models import (
    Membership,
    MembershipRole,
    Network,
    NotImportedSchool,
    Organisation,
    OrganisationKind,
    Region,
)
from verbund.domain.schools import FOCI, distance_km, is_foerderschule
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import network_by_slug


def active_membership(at: dt.datetime):  # type: ignore[no-untyped-def]
    return (
        (col(Membership.valid_from) <= at)
        & or_(col(Membership.valid_to).is_(None), col(Membership.valid_to) > at)
        & (col(Membership.role) != MembershipRole.guest)
    )


def open_organisation(at: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(col(Organisation.closed_at).is_(None), col(Organisation.closed_at) > at)


def school_in_scope(at: dt.datetime):  # type: ignore[no-untyped-def]
    """An open public school in scope at ``at``: what coverage counts (``== True`` lets the index match)."""
    return (
        (col(Organisation.kind) == OrganisationKind.public_school)
        & (col(Organisation.in_scope) == True)  # noqa: E712 - SQL
        & open_organisation(at)
    )


def schools_in_scope(session: Session, at: dt.datetime, region_id: uuid.UUID | None = None) -> list[Any]:
    query = sa_select(col(Organisation.id), col(Organisation.region_id), col(Organisation.name),
                      col(Organisation.source_id), col(Organisation.latitude), col(Organisation.longitude)).where(
        school_in_scope(at))
    if region_id is not None:
        query = query.where(col(Organisation.region_id) == region_id)
    return list(session.execute(query).all())


def assignment_counts(session: Session, at: dt.datetime, region_id: uuid.UUID | None = None) -> dict[uuid.UUID, int]:
    """Networks each public school (of the region, if given) belongs to at ``at`` (non-guest, active
    memberships)."""
    query = (
        select(Membership.organisation_id, func.count(func.distinct(Membership.network_id)))
        .join(Organisation, col(Membership.organisation_id) == col(Organisation.id))
        .where(Organisation.kind == OrganisationKind.public_school, active_membership(at))
        .group_by(col(Membership.organisation_id))
    )
    if region_id is not None:
        query = query.where(col(Organisation.region_id) == region_id)
    return {row[0]: int(row[1]) for row in session.exec(query).all()}


def region_coverage(session: Session, region_id: uuid.UUID, at: dt.datetime) -> CoverageFact:
    """The region's row of ``verbund coverage`` as the exit checks read it (names of the schools
    unassigned and of those in more than one network).

    The same definition as ``schools_in_scope`` and ``assignment_counts``, asked of the database so
    that only the exceptions come back: per school in scope a correlated count of its networks (active
    non-guest memberships, probing ``ix_membership_open``), and only the schools whose count is not 1;
    a region's ~1,400 schools with their coordinates and a grouped count of all their memberships
    cost ~26 ms of Python per region, on every network page's first screen of the analysis stage."""
    networks = (sa_select(func.count(func.distinct(col(Membership.network_id))))
                .where(col(Membership.organisation_id) == col(Organisation.id), active_membership(at))
                .correlate(Organisation).scalar_subquery())
    in_region = (col(Organisation.region_id) == region_id) & school_in_scope(at)
    total = session.execute(sa_select(func.count()).select_from(Organisation).where(in_region)).scalar_one()
    exceptions = session.execute(sa_select(col(Organisation.name), networks).where(in_region, networks != 1)).all()
    return CoverageFact(
        schools_in_scope=int(total),
        unassigned=tuple(name for name, count in exceptions if count == 0),
        multiply_assigned=tuple(name for name, count in exceptions if count > 1),
    )


def coverage_report(app: App, at: dt.datetime | None = None) -> dict[str, Any]:
    """``verbund coverage --json`` (CONTRACTS.md), plus ``assigned_twice``, ``not_imported`` (per region a
    count; the list with reasons beside ``out_of_scope``) and per-Land totals."""
    at = at or app.now()
    with app.uow() as uow:
        session = uow.session
        counts = assignment_counts(session, at)
        per_region: dict[uuid.UUID | None, Counter[str]] = defaultdict(Counter)
        for school in schools_in_scope(session, at):
            bucket = per_region[school[1]]
            times = counts.get(school[0], 0)
            bucket["schools_in_scope"] += 1
            bucket[{0: "unassigned", 1: "assigned"}.get(times, "assigned_twice")] += 1
        regions = session.exec(select(Region).order_by(col(Region.slug))).all()
        slugs = {region.id: region.slug for region in regions}
        out = session.exec(
            select(Organisation.source_id, Organisation.name, Organisation.region_id, Organisation.out_of_scope_reason)
            .where(col(Organisation.out_of_scope_reason).is_not(None), open_organisation(at))
            .order_by(col(Organisation.source), col(Organisation.source_id))
        ).all()
        unreachable = _unreachable_per_region(session, at)
        missing = not_imported(session, at)
    for gap in missing:
        per_region[gap.region_id]["not_imported"] += 1
    keys = ("schools_in_scope", "assigned", "unassigned", "assigned_twice", "not_imported")
    rows: list[dict[str, Any]] = [{"slug": r.slug, "name": r.name, "state": r.state, "parent": r.parent,
             **{key: per_region[r.id][key] for key in keys},
             "unreachable_members": unreachable.get(r.id, {"count": 0, "organisations": []})} for r in regions]
    states: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        states[row["state"]].update({key: row[key] for key in keys})
    return {
        "as_of": at.isoformat(),
        "regions": rows,
        "states": [{"state": state, **{key: totals[key] for key in keys}} for state, totals in sorted(states.items())],
        "out_of_scope": [{"source_id": o[0], "name": o[1], "region": slugs.get(o[2]) if o[2] else None,
                          "reason": o[3]} for o in out],
        "not_imported": [{"source": m.source, "source_id": m.source_id, "name": m.name,
                          "region": slugs.get(m.region_id), "where": m.location, "field": m.field,
                          "reason": m.reason} for m in missing],
    }


def _unreachable_per_region(session: Session, at: dt.datetime) -> dict[uuid.UUID, dict[str, Any]]:
    """Per region: the member organisations of its networks that no message reaches (``services.messaging.reach``)."""
    from verbund.services.messaging.reach import unreachable_members

    networks = dict(session.exec(select(Network.id, Network.slug)).all())
    regions = dict(session.exec(select(Network.id, Network.region_id)).all())
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for network_id, rows in unreachable_members(session, at).items():
        entry = found.setdefault(regions[network_id], {"count": 0, "organisations": []})
        entry["count"] += len(rows)
        entry["organisations"] += [{"network": networks[network_id], "name": n, "reason": r} for n, r in rows]
    return found


def not_imported(session: Session, at: dt.datetime, region_id: uuid.UUID | None = None) -> list[NotImportedSchool]:
    """In-scope rows the importers could not store ("nicht importiert"), recorded by ``at``."""
    query = select(NotImportedSchool).where(col(NotImportedSchool.recorded_at) <= at)
    if region_id is not None:
        query = query.where(NotImportedSchool.region_id == region_id)
    return list(session.exec(query.order_by(col(NotImportedSchool.source), col(NotImportedSchool.location))).all())


@dataclass
class _School:
    name: str
    types: list[str]
    foci: list[str]
    point: tuple[float, float] | None


def foci_matrix(app: App, network: str | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    """Per network and Förderschwerpunkt: offered (Förderschule or inclusive offer) and the largest
    distance from a member school to the nearest member school offering it (km, over the member
    schools with coordinates; ``without_coordinates`` names the others). Without ``network``: every
    open network."""
    at = at or app.now()
    with app.uow() as uow:
        session = uow.session
        networks = [network_by_slug(session, network)] if network else list(
            session.exec(select(Network).where(col(Network.closed_at).is_(None)).order_by(col(Network.slug))).all())
        slugs = {r.id: r.slug for r in session.exec(select(Region)).all()}
        result = [_network_foci(n, slugs.get(n.region_id), _members(session, n, at)) for n in networks]
    return {"as_of": at.isoformat(), "networks": result}


def _network_foci(network: Network, region: str | None, members: list[_School]) -> dict[str, Any]:
    return {"slug": network.slug, "region": region, "member_schools": len(members),
            "without_coordinates": sorted(s.name for s in members if s.point is None), "foci": _foci(members)}


def _members(session: Session, network: Network, at: dt.datetime) -> list[_School]:
    rows = session.execute(
        sa_select(col(Organisation.name), col(Organisation.school_types), col(Organisation.special_needs),
                  col(Organisation.latitude), col(Organisation.longitude))
        .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
        .where(col(Membership.network_id) == network.id, active_membership(at), open_organisation(at),
               col(Organisation.kind).in_([OrganisationKind.public_school, OrganisationKind.private_school]))
        .distinct()
    ).all()
    return [_School(r[0], list(r[1]), list(r[2]), (r[3], r[4]) if r[3] is not None and r[4] is not None else None)
            for r in rows]


def _foci(schools: list[_School]) -> list[dict[str, Any]]:
    matrix = []
    for focus in FOCI:
        offering = [s for s in schools if focus in s.foci]
        offer = None
        if offering:
            offer = "foerderschule" if any(is_foerderschule(s.types) for s in offering) else "inklusiv"
        matrix.append({"focus": focus, "offered": bool(offering), "offer": offer,
                       "schools": sorted(s.name for s in offering),
                       "max_distance_km": _largest_distance(schools, offering)})
    return matrix


def _largest_distance(schools: list[_School], offering: list[_School]) -> float | None:
    targets = [s.point for s in offering if s.point]
    sources = [s.point for s in schools if s.point]
    if not targets or not sources:
        return None
    return round(max(min(distance_km(*a, *b) for b in targets) for a in sources), 2)
