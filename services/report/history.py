"""Load the event history once, as plain records (nothing of today's state columns is trusted).

What counts as of a date comes from when things happened (domain time): stage transitions
(``AuditEvent`` with entity ``stage``), memberships' ``valid_from``/``valid_to``, schools'
``closed_at``, ``Consultation.held_at``, ``Protocol.published_at``, the outbox's ``sent_at``.
The stage run's due date is the one set when the stage opened, moved only by deadline extensions
(``AuditEvent`` action ``deadline_extended``, which keeps both dates), replayed as of the date.
The school register itself is not historized: a school's kind, region, scope and Förderschwerpunkte
are taken as they are now, and it counts from the beginning unless ``closed_at`` says otherwise
(see docs/report.md).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from verbund.domain.errors import TemplateError
from verbund.domain.models import (
    Membership,
    MembershipRole,
    Network,
    NotImportedSchool,
    Organisation,
    OrganisationKind,
    Region,
)
from verbund.domain.process import load_template
from verbund.domain.stages import AuditEvent, StageRun
from verbund.domain.work import Consultation, Protocol
from verbund.services.report.outbox import MessageLog, load_messages


@dataclass(frozen=True)
class Transition:
    at: dt.datetime
    from_state: str
    to_state: str


@dataclass(frozen=True)
class Extension:
    """A deadline extension (issue 13): from ``at`` on, the due date is ``to`` instead of ``previous``."""

    at: dt.datetime
    previous: dt.date
    to: dt.date


@dataclass(frozen=True)
class RunRecord:
    network_id: uuid.UUID
    stage: str
    title: str
    cycle: int
    position: int
    due: dt.date | None  # today's due date (after every extension)
    transitions: tuple[Transition, ...]
    extensions: tuple[Extension, ...] = ()

    def due_before(self, before: dt.datetime) -> tuple[dt.date | None, bool]:
        """The due date as it stood just before ``before``, and whether it had been extended then."""
        applied = [e for e in self.extensions if e.at < before]
        if applied:
            return applied[-1].to, True
        return (self.extensions[0].previous if self.extensions else self.due), False


@dataclass(frozen=True)
class NetworkRecord:
    id: uuid.UUID
    slug: str
    name: str
    region_id: uuid.UUID
    template: str
    created_at: dt.datetime


@dataclass(frozen=True)
class RegionRecord:
    id: uuid.UUID
    slug: str
    name: str
    state: str


@dataclass(frozen=True)
class SchoolRecord:
    """A public school in scope (to be assigned), or any organisation with a Förderschwerpunkt.

    ``public`` is False for public schools the import marked out of scope (``verbund coverage``
    lists them with the reason): they count neither in scope nor as assigned, as in the coverage.
    """

    id: uuid.UUID
    region_id: uuid.UUID | None
    public: bool
    special_needs: tuple[str, ...]
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class MembershipRecord:
    network_id: uuid.UUID
    organisation_id: uuid.UUID
    valid_from: dt.datetime
    valid_to: dt.datetime | None


@dataclass
class History:
    regions: list[RegionRecord] = field(default_factory=list)
    networks: list[NetworkRecord] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    schools: list[SchoolRecord] = field(default_factory=list)
    memberships: list[MembershipRecord] = field(default_factory=list)
    held: dict[uuid.UUID, dt.datetime] = field(default_factory=dict)  # network → consultation held
    published: dict[uuid.UUID, dt.datetime] = field(default_factory=dict)  # network → protocol published
    messages: MessageLog | None = None
    # in-scope rows the importer could not store (issue 16): (region, recorded at)
    not_imported: list[tuple[uuid.UUID, dt.datetime]] = field(default_factory=list)


def load_history(session: Session, region: RegionRecord | None) -> History:
    """Everything the figures need, for one region or for all (one query per table)."""
    history = History()
    regions = select(Region.id, Region.slug, Region.name, Region.state)
    if region is not None:
        regions = regions.where(Region.id == region.id)
    history.regions = [RegionRecord(*row) for row in session.exec(regions)]
    region_ids = {r.id for r in history.regions}
    networks = select(Network.id, Network.slug, Network.name, Network.region_id).order_by(col(Network.slug))
    created = dict(session.exec(select(Network.id, Network.created_at)).all())
    templates = dict(session.exec(select(Network.id, Network.template)).all())
    history.networks = [
        NetworkRecord(nid, slug, name, region_id, templates[nid], created[nid])
        for nid, slug, name, region_id in session.exec(networks)
        if region_id in region_ids
    ]
    network_ids = {n.id for n in history.networks}
    history.runs = _runs(session, history.networks, network_ids)
    history.schools = _schools(session, region_ids)
    relevant = {s.id for s in history.schools}
    history.memberships = _memberships(session, network_ids, relevant)
    for network_id, held_at in session.exec(select(Consultation.network_id, Consultation.held_at)):
        if network_id in network_ids and held_at is not None:
            history.held[network_id] = held_at
    for network_id, published_at in session.exec(select(Protocol.network_id, Protocol.published_at)):
        if network_id in network_ids and published_at is not None:
            history.published[network_id] = published_at
    history.messages = load_messages(session, network_ids)
    history.not_imported = [(region_id, at) for region_id, at in session.exec(
        select(NotImportedSchool.region_id, NotImportedSchool.recorded_at)) if region_id in region_ids]
    return history


def _runs(session: Session, networks: list[NetworkRecord], network_ids: set[uuid.UUID]) -> list[RunRecord]:
    moves: dict[tuple[uuid.UUID, str, int], list[Transition]] = defaultdict(list)
    events = AuditEvent.__table__.c  # type: ignore[attr-defined]
    query = sa_select(events.network_id, events.stage, events.cycle, events.at, events.from_state,
                      events.to_state).where(events.entity == "stage", events.action == "transition")
    for network_id, stage, cycle, at, from_state, to_state in session.connection().execute(query):
        if network_id in network_ids and stage and from_state and to_state:
            moves[(network_id, stage, cycle or 1)].append(Transition(at, from_state, to_state))
    extended = _extensions(session, network_ids)
    titles = _stage_titles({n.template for n in networks})
    template_of = {n.id: n.template for n in networks}
    runs = []
    table = StageRun.__table__.c  # type: ignore[attr-defined]
    query = sa_select(table.network_id, table.stage, table.cycle, table.position, table.due).order_by(
        table.position, table.cycle)
    for network_id, stage, cycle, position, due in session.connection().execute(query):
        if network_id not in network_ids:
            continue
        title = titles.get((template_of[network_id], stage), stage)
        ordered = tuple(sorted(moves.get((network_id, stage, cycle), []), key=lambda move: move.at))
        runs.append(RunRecord(network_id, stage, title, cycle, position, due, ordered,
                              tuple(extended.get((network_id, stage, cycle), []))))
    return runs


def _extensions(session: Session, network_ids: set[uuid.UUID]) -> dict[tuple[uuid.UUID, str, int], list[Extension]]:
    found: dict[tuple[uuid.UUID, str, int], list[Extension]] = defaultdict(list)
    events = AuditEvent.__table__.c  # type: ignore[attr-defined]
    query = sa_select(events.network_id, events.stage, events.cycle, events.at, events.detail).where(
        events.entity == "stage", events.action == "deadline_extended").order_by(events.at, events.recorded_at)
    for network_id, stage, cycle, at, detail in session.connection().execute(query):
        if network_id in network_ids and stage and isinstance(detail, dict):
            found[(network_id, stage, cycle or 1)].append(
                Extension(at, dt.date.fromisoformat(detail["from"]), dt.date.fromisoformat(detail["to"])))
    return found


def _stage_titles(templates: set[str]) -> dict[tuple[str, str], str]:
    titles = {}
    for key in templates:
        try:
            template = load_template(key)
        except TemplateError:  # a template that is gone: stage names stand for themselves
            continue
        for stage in template.stages:
            titles[(key, stage.name)] = stage.title
    return titles


def _memberships(session: Session, network_ids: set[uuid.UUID], relevant: set[uuid.UUID]) -> list[MembershipRecord]:
    table = Membership.__table__.c  # type: ignore[attr-defined]
    query = sa_select(_raw(table.network_id), _raw(table.organisation_id), _raw(table.valid_from),
                      _raw(table.valid_to)).where(table.role != MembershipRole.guest)
    ids = RawIds()
    found = []
    for network_raw, organisation_raw, since, until in session.connection().execute(query):
        network_id, organisation_id = ids(network_raw), ids(organisation_raw)
        if network_id in network_ids and organisation_id in relevant:
            valid_from = _when(since)
            assert valid_from is not None  # NOT NULL
            found.append(MembershipRecord(network_id, organisation_id, valid_from, _when(until)))
    return found


def _schools(session: Session, region_ids: set[uuid.UUID]) -> list[SchoolRecord]:
    table = Organisation.__table__.c  # type: ignore[attr-defined]
    query = sa_select(_raw(table.id), _raw(table.region_id), table.kind, table.in_scope, _raw(table.special_needs),
                      _raw(table.closed_at))
    ids = RawIds()
    schools = []
    for oid, region_raw, kind, in_scope, needs_raw, closed_at in session.connection().execute(query):
        region_id = None if region_raw is None else ids(region_raw)
        public = kind == OrganisationKind.public_school and bool(in_scope)
        needs = _needs(needs_raw)
        if (public and region_id in region_ids) or needs:
            schools.append(SchoolRecord(ids(oid, keep=False), region_id, public, needs, _when(closed_at)))
    return schools


def _raw(column: Any) -> Any:
    """A column read without SQLAlchemy's per-value processing (see ``RawIds``, ``_when``, ``_needs``)."""
    return type_coerce(column, String)


class RawIds:
    """UUIDs from raw values, one object per distinct value: SQLAlchemy's ``Uuid`` processing of the
    ~180,000 ids of a nationwide history was the report's largest single cost. SQLite gives 32 hex
    digits; PostgreSQL's driver gives ``uuid.UUID`` already."""

    def __init__(self) -> None:
        self._seen: dict[object, uuid.UUID] = {}

    def __call__(self, value: object, *, keep: bool = True) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        found = self._seen.get(value)
        if found is None:
            found = uuid.UUID(str(value))
            if keep:
                self._seen[value] = found
        return found


def _when(raw: object) -> dt.datetime | None:
    """An aware UTC datetime from the raw column, as ``UTCDateTime`` reads it (SQLite keeps text without offset)."""
    if raw is None:
        return None
    value = raw if isinstance(raw, dt.datetime) else dt.datetime.fromisoformat(str(raw))
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _needs(raw: object) -> tuple[str, ...]:
    """Förderschwerpunkte from the raw JSON column (text on SQLite, a list from PostgreSQL's driver)."""
    if raw is None or raw == "[]":
        return ()
    values = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(values) if isinstance(values, list) else ()
