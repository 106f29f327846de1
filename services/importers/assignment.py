"""Assigning public schools to networks: rules (by Kreis, municipality list or an explicit list),
manual overrides, and suggestions by distance for the schools still unassigned.

An assignment is an exclusive ``Membership`` (role member); the unique index
``ux_membership_one_assignment`` makes a second open one impossible. Rules only assign schools that
have no network yet, so manual overrides (and earlier assignments) survive re-imports and re-runs.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Membership, MembershipRole, Network, Organisation, OrganisationKind
from verbund.domain.process import load_template
from verbund.domain.schools import distance_km
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import current_stage, network_by_slug, region_by_slug
from verbund.services.app.usecase import change
from verbund.services.directory.setup import create_network, ensure_open
from verbund.services.importers.base import ImportFileError, load_toml, read_text
from verbund.services.importers.coverage import active_membership, school_in_scope, schools_in_scope

LEVELS = ("schools", "communities", "kreise")  # most specific first
# The template a rule's new network gets when the rule names none: the Land's own process.
DEFAULT_TEMPLATES = {"SN": "sachsen-inklusion", "NW": "nrw-bildungsnetzwerk", "HE": "hessen-kooperationsverbund"}
ONE_ASSIGNMENT = "ux_membership_one_assignment"  # the partial unique index (domain.schools)
LEVEL_LABELS = {"schools": "Schulliste", "communities": "Gemeinde", "kreise": "Kreis"}


@dataclass
class NetworkRule:
    slug: str
    name: str
    region: str
    template: str | None  # None: the default template of the region's Land
    keys: dict[str, set[str]]


@dataclass
class RulesReport:
    dry_run: bool = False
    assigned: int = 0
    unchanged: int = 0
    kept: int = 0
    unmatched: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"assigned": self.assigned, "unchanged": self.unchanged, "kept": self.kept,
                "unmatched": self.unmatched, "conflicts": self.conflicts, "dry_run": self.dry_run}


def load_rules(path: Path) -> list[NetworkRule]:
    """``[[networks]]`` with slug, name, region, optional template (default: the Land's, see
    ``DEFAULT_TEMPLATES``), kreise, communities, schools."""
    data = load_toml(path, read_text(path))
    entries = data.get("networks")
    if not isinstance(entries, list) or not entries:
        raise ImportFileError(path, "[[networks]]", "keine Verbünde angegeben")
    rules = []
    for index, entry in enumerate(entries):
        where = f"networks[{index}]"
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("slug", "name", "region")):
            raise ImportFileError(path, where, "braucht slug, name und region (Text)")
        template = entry.get("template")
        if template is not None and not isinstance(template, str):
            raise ImportFileError(path, f"{where}.template", "muss ein Vorlagenschlüssel (Text) sein")
        keys = {level: {str(v) for v in entry.get(level, [])} for level in LEVELS}
        rules.append(NetworkRule(entry["slug"], entry["name"], entry["region"], template, keys))
    return rules


def _match(school: Any, rules: list[NetworkRule], region_slug: str) -> tuple[list[NetworkRule], str]:
    """The rules that claim a school at the most specific level that matches, and that level."""
    community_key = school.community_key or ""
    values = {"schools": {school.source_id, f"{school.source}:{school.source_id}"},
              "communities": {community_key}, "kreise": {community_key[:5]}}
    for level in LEVELS:
        found = [r for r in rules if r.region == region_slug and r.keys[level] & values[level]]
        if found:
            return found, level
    return [], ""


def apply_rules(app: App, rules: list[NetworkRule], *, dry_run: bool = False, by: str = "system",
                at: dt.datetime | None = None) -> RulesReport:
    at = at or app.now()
    report = RulesReport(dry_run=dry_run)
    touched: set[str] = set()
    with change(app, at) as work:
        session = work.session
        networks = {r.slug: _network(session, r, at) for r in rules}
        current = _current_networks(session, at)
        for region_slug in sorted({r.region for r in rules}):
            region = region_by_slug(session, region_slug)
            for school in _schools(session, region.id, at):
                matched, level = _match(school, rules, region_slug)
                if not matched:
                    report.unmatched += school.id not in current
                    continue
                if len(matched) > 1:
                    report.conflicts.append({"source_id": school.source_id, "name": school.name, "reason":
                                             f"{LEVEL_LABELS[level]}: " + ", ".join(r.slug for r in matched)})
                    continue
                network = networks[matched[0].slug]
                if school.id in current:
                    if network.id in current[school.id]:
                        report.unchanged += 1
                    else:
                        report.kept += 1
                    continue
                _assign(session, school, network, f"Regel: {LEVEL_LABELS[level]}", by, at)
                touched.add(network.slug)
                report.assigned += 1
        for slug in sorted(touched):
            work.touch(slug, current_stage(session, networks[slug]))
        if dry_run:
            work.discard()
    return report


def assign_school(app: App, school: str, network_slug: str, *, by: str, reason: str | None = None,
                  at: dt.datetime | None = None) -> dict[str, Any]:
    """Manual override: ``SOURCE:ID`` into a network; any other assignment of the school ends now."""
    at = at or app.now()
    if not by.strip():
        raise InvalidInput("--by: wer die Zuordnung ändert, muss angegeben sein")
    source, _, source_id = school.partition(":")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        ensure_open(network)
        organisation = session.exec(select(Organisation).where(
            Organisation.source == source, Organisation.source_id == source_id)).first()
        if organisation is None:
            raise NotFound("Schule", school)
        if organisation.kind != OrganisationKind.public_school or not organisation.in_scope:
            raise InvalidInput(f"Schule '{school}' ({organisation.name}) ist keine zuzuordnende öffentliche Schule: "
                               f"{organisation.out_of_scope_reason or organisation.kind}")
        if organisation.region_id != network.region_id:
            raise InvalidInput(f"Schule '{school}' liegt nicht in der Region des Verbunds '{network_slug}'")
        ended = _end_assignments(session, organisation, network, by, at)
        already = _open(session, organisation.id, network.id)
        if already is None:
            _assign(session, organisation, network, f"manuell: {reason or 'ohne Begründung'}", by, at)
        work.touch(network, current_stage(session, network))
    return {"school": school, "network": network_slug, "ended": ended, "changed": already is None}


def suggestions(app: App, region: str | None = None, at: dt.datetime | None = None) -> dict[str, Any]:
    """For each unassigned school in scope: the network of the same region whose nearest member school
    is closest (km); schools or networks without coordinates get no suggestion, with the reason."""
    at = at or app.now()
    with app.uow(read_only=True) as uow:
        session = uow.session
        region_id = region_by_slug(session, region).id if region else None
        query = select(type_coerce(col(Network.id), String), Network.slug, Network.region_id) \
            .where(col(Network.closed_at).is_(None))
        if region_id is not None:
            query = query.where(Network.region_id == region_id)
        networks: list[Any] = list(session.exec(query).all())  # rows: id (as stored), slug, region_id
        # a school is suggested a network of its own region: with a region, only those networks' points
        points = _member_points(session, at, region_id)
        out = [_suggest(school, [n for n in networks if n[2] == school[1]], points)
               for school in _unassigned_schools(session, at, region_id)]
    return {"suggestions": sorted(out, key=lambda s: (s["distance_km"] is None, s["distance_km"] or 0))}


Points = dict[Any, list[tuple[float, float]]]  # by network id as stored (no UUID parsed per member school)
_KM_PER_DEGREE_AT_LEAST = 2 * math.pi * 6371.0088 / 360 * (1 - 1e-9)  # a degree of latitude on ``distance_km``'s sphere


def _unassigned_schools(session: Session, at: dt.datetime, region_id: uuid.UUID | None) -> list[Any]:
    """The rows of ``schools_in_scope`` whose ``assignment_counts`` would be 0 (no active non-guest
    membership), found by the database: the region page needs the few, not every school's count."""
    member = select(Membership.id).where(col(Membership.organisation_id) == col(Organisation.id),
                                         active_membership(at))
    if region_id is not None:
        # ``OFFSET 0`` keeps PostgreSQL from turning the NOT EXISTS into an anti join, which hashed all
        # memberships of the country (40,000) for a region's 1,420 schools: one probe of
        # ``ix_membership_open`` per school instead, as SQLite does anyway (issue 20). The whole
        # country keeps the anti join (a hash is cheaper than 28,000 probes there).
        member = member.offset(0)
    query = sa_select(col(Organisation.id), col(Organisation.region_id), col(Organisation.name),
                      col(Organisation.source_id), col(Organisation.latitude), col(Organisation.longitude)) \
        .where(school_in_scope(at), ~member.exists())
    if region_id is not None:
        query = query.where(col(Organisation.region_id) == region_id)
    return list(session.execute(query).all())


def _suggest(school: Any, networks: list[Any], points: Points) -> dict[str, Any]:
    entry: dict[str, Any] = {"source_id": school[3], "name": school[2], "network": None, "distance_km": None}
    if school[4] is None or school[5] is None:
        return {**entry, "reason": "Schule ohne Koordinaten"}
    best: tuple[float, str] | None = None
    for network in networks:
        for lat, lon in points.get(network[0], []):
            # the great-circle distance is at least the latitudes' difference (a margin for rounding):
            # a point that far away cannot be nearer, so the haversine is skipped (issue 20)
            if best is not None and abs(lat - school[4]) * _KM_PER_DEGREE_AT_LEAST > best[0] + 1e-6:
                continue
            distance = distance_km(school[4], school[5], lat, lon)
            if best is None or distance < best[0]:
                best = (distance, network[1])
    if best is None:
        return {**entry, "reason": "kein Verbund der Region mit Koordinaten seiner Schulen"}
    return {**entry, "network": best[1], "distance_km": round(best[0], 2), "reason": "nächste Mitgliedsschule"}


def _member_points(session: Session, at: dt.datetime, region_id: uuid.UUID | None = None) -> Points:
    """Coordinates of the member schools per network (of the region's networks, if given: from the
    network to its members, not through every school of the country)."""
    query = (select(type_coerce(col(Membership.network_id), String), Organisation.latitude, Organisation.longitude)
             .join(Organisation, col(Membership.organisation_id) == col(Organisation.id))
             .where(active_membership(at), col(Organisation.latitude).is_not(None),
                    col(Organisation.kind).in_([OrganisationKind.public_school, OrganisationKind.private_school])))
    if region_id is not None:
        query = query.join(Network, col(Network.id) == col(Membership.network_id)).where(Network.region_id == region_id)
    rows = session.exec(query).all()
    points: Points = {}
    for network_id, lat, lon in rows:
        if lat is not None and lon is not None:
            points.setdefault(network_id, []).append((lat, lon))
    return points


def _network(session: Session, rule: NetworkRule, at: dt.datetime) -> Network:
    found = session.exec(select(Network).where(Network.slug == rule.slug)).first()
    region = region_by_slug(session, rule.region)
    if found is not None:
        if found.region_id != region.id:
            raise InvalidInput(f"Verbund '{rule.slug}' gehört nicht zur Region '{rule.region}'")
        ensure_open(found, "die Regel für ihn bitte entfernen oder auf einen offenen Verbund ändern (nichts wurde "
                           "gespeichert)")
        return found
    return create_network(session, region, rule.slug, rule.name, template_for(rule, region.state), at)


def template_for(rule: NetworkRule, state: str) -> str:
    """The rule's template, or the Land's default; a template of another Land is refused."""
    template = rule.template or DEFAULT_TEMPLATES.get(state)
    if template is None:
        raise InvalidInput(f"Verbund '{rule.slug}': für {state} gibt es keine Standardvorlage; "
                           f"bitte template angeben (verbund templates list)")
    template_state = load_template(template).state
    if template_state != state:
        raise InvalidInput(f"Verbund '{rule.slug}': Vorlage '{template}' ist für {template_state}, "
                           f"die Region '{rule.region}' liegt in {state}")
    return template


def _schools(session: Session, region_id: uuid.UUID, at: dt.datetime) -> list[Organisation]:
    ids = [row[0] for row in schools_in_scope(session, at, region_id)]
    if not ids:
        return []
    return list(session.exec(select(Organisation).where(col(Organisation.id).in_(ids))
                             .order_by(col(Organisation.source_id))).all())


def _current_networks(session: Session, at: dt.datetime) -> dict[uuid.UUID, set[uuid.UUID]]:
    current: dict[uuid.UUID, set[uuid.UUID]] = {}
    for organisation_id, network_id in session.exec(
        select(Membership.organisation_id, Membership.network_id).where(active_membership(at))
    ).all():
        current.setdefault(organisation_id, set()).add(network_id)
    return current


def _open(session: Session, organisation_id: uuid.UUID, network_id: uuid.UUID) -> Membership | None:
    return session.exec(select(Membership).where(
        Membership.organisation_id == organisation_id, Membership.network_id == network_id,
        col(Membership.valid_to).is_(None), Membership.role == MembershipRole.member)).first()


def _assign(session: Session, school: Organisation, network: Network, basis: str, by: str, at: dt.datetime) -> None:
    label = f"{school.name} ({school.source}:{school.source_id})"  # read before a failed flush expires it
    session.add(Membership(network_id=network.id, organisation_id=school.id, role=MembershipRole.member,
                           valid_from=at, exclusive=True, basis=basis))
    session.add(AuditEvent(at=at, recorded_at=at, actor=by, network_id=network.id, entity="membership",
                           action="assigned", reason=f"{school.name} ({basis})"))
    try:
        session.flush()
    except IntegrityError as error:
        if ONE_ASSIGNMENT not in str(error.orig) and "membership.organisation_id" not in str(error.orig):
            raise
        raise InvalidInput(f"{label} wurde gleichzeitig einem "
                           "anderen Verbund zugeordnet; nichts wurde gespeichert, bitte erneut ausführen") from error


def _end_assignments(session: Session, school: Organisation, keep: Network, by: str, at: dt.datetime) -> int:
    """End the school's open member memberships in other networks (exclusive or not)."""
    ended = 0
    for membership in session.exec(select(Membership).where(
        Membership.organisation_id == school.id, col(Membership.valid_to).is_(None),
        Membership.role == MembershipRole.member, Membership.network_id != keep.id,
    )).all():
        membership.valid_to = max(at, membership.valid_from)
        session.add(membership)
        session.add(AuditEvent(at=at, recorded_at=at, actor=by, network_id=membership.network_id,
                               entity="membership", action="ended",
                               reason=f"{school.name}: umgeordnet nach {keep.slug}"))
        ended += 1
    session.flush()
    return ended
