"""Use cases for what partners and coordinators contribute: analysis entries, potentials, goals.

Each records and audits in one write use case (``services.app.usecase.change``), which commits and
then triggers the stage's flow through the trigger port.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from sqlmodel import Session, select

from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import count
from verbund.domain.models import Network
from verbund.domain.stages import AuditEvent
from verbund.domain.work import (
    AnalysisCategory,
    AnalysisEntry,
    Goal,
    GoalKind,
    GoalPotential,
    Potential,
    PotentialArea,
)
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import network_by_slug
from verbund.services.app.usecase import change
from verbund.services.directory.member_scope import require_member
from verbund.services.stages.stage_gate import require_open


@dataclass
class AnalysisInput:
    organisation_id: str
    category: str
    text: str = ""
    no_information: bool = False
    reason: str | None = None


@dataclass
class PotentialInput:
    area: str
    title: str
    description: str = ""
    raised_by: list[str] = field(default_factory=list)


@dataclass
class GoalInput:
    title: str
    derived_from: list[str]  # potential titles
    kind: str = GoalKind.development
    owner_organisation_id: str | None = None
    indicator: str | None = None
    target_date: dt.date | None = None


def audit(session: Session, network: Network, at: dt.datetime, recorded: dt.datetime, actor: str,
          stage: str, entity: str, action: str, reason: str | None = None) -> None:
    session.add(AuditEvent(at=at, recorded_at=recorded, actor=actor, network_id=network.id, stage=stage,
                           entity=entity, action=action, reason=reason))


def _check_choice(value: str, allowed: type[StrEnum], field_name: str, where: str) -> None:
    if value not in allowed.__members__:
        raise InvalidInput(f"{where}: {field_name} '{value}' unbekannt (erlaubt: {', '.join(allowed.__members__)})")


def record_analysis(
    app: App, network_slug: str, entries: list[AnalysisInput], *, by: str, at: dt.datetime | None = None
) -> int:
    """Record (or update) analysis entries; returns how many changed. Triggers ``analysis``."""
    changed = 0
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        require_open(session, network, "analysis")
        for index, item in enumerate(entries):
            where = f"Eintrag {index + 1}"
            _check_choice(item.category, AnalysisCategory, "Kategorie", where)
            if not item.text.strip() and not (item.no_information and (item.reason or "").strip()):
                raise InvalidInput(f"{where}: Text fehlt; für „keine Angaben“ ist eine Begründung nötig")
            org = require_member(session, network, item.organisation_id, at, f"{where}: Organisation")
            found = session.exec(
                select(AnalysisEntry).where(
                    AnalysisEntry.network_id == network.id,
                    AnalysisEntry.organisation_id == org.id,
                    AnalysisEntry.category == item.category,
                )
            ).first()
            new = (item.text.strip(), item.no_information, item.reason)
            if found is not None and (found.text, found.no_information, found.reason) == new:
                continue
            found = found or AnalysisEntry(network_id=network.id, organisation_id=org.id,
                                           category=item.category, recorded_by=by, recorded_at=at)
            found.text, found.no_information, found.reason = new
            found.recorded_by, found.recorded_at = by, at
            session.add(found)
            changed += 1
        if changed:
            work.audit(network, by, "analysis", "analysis_entry", "recorded", count(changed, "Eintrag", "Einträge"))
        work.touch(network, "analysis")
    return changed


def record_potentials(
    app: App, network_slug: str, items: list[PotentialInput], *, by: str, at: dt.datetime | None = None
) -> int:
    changed = 0
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        require_open(session, network, "potentials")
        for index, item in enumerate(items):
            where = f"Potenzial {index + 1} ('{item.title}')"
            _check_choice(item.area, PotentialArea, "Bereich", where)
            if not item.title.strip():
                raise InvalidInput(f"Potenzial {index + 1}: Titel fehlt")
            raised = sorted(str(require_member(session, network, oid, at, f"{where}: genannt von").id)
                            for oid in item.raised_by)
            found = session.exec(
                select(Potential).where(Potential.network_id == network.id, Potential.title == item.title)
            ).first()
            if found and (found.area, found.description, found.raised_by) == (item.area, item.description, raised):
                continue
            found = found or Potential(network_id=network.id, area=item.area, title=item.title,
                                       recorded_by=by, recorded_at=at)
            found.area, found.description, found.raised_by = item.area, item.description, raised
            session.add(found)
            changed += 1
        if changed:
            work.audit(network, by, "potentials", "potential", "recorded", count(changed, "Potenzial", "Potenziale"))
        work.touch(network, "potentials")
    return changed


def record_goals(
    app: App, network_slug: str, items: list[GoalInput], *, by: str, at: dt.datetime | None = None
) -> int:
    changed = 0
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        require_open(session, network, "goals")
        potentials = {p.title: p for p in session.exec(select(Potential).where(Potential.network_id == network.id))}
        for index, item in enumerate(items):
            where = f"Ziel {index + 1} ('{item.title}')"
            _check_choice(item.kind, GoalKind, "Art", where)
            unknown = [t for t in item.derived_from if t not in potentials]
            if unknown:
                raise InvalidInput(f"{where}: unbekannte Potenziale {', '.join(unknown)}")
            owner = (require_member(session, network, item.owner_organisation_id, at, f"{where}: verantwortlich").id
                     if item.owner_organisation_id else None)
            found = session.exec(select(Goal).where(Goal.network_id == network.id, Goal.title == item.title)).first()
            found = found or Goal(network_id=network.id, title=item.title, recorded_by=by, recorded_at=at)
            found.kind, found.owner_organisation_id = item.kind, owner
            found.indicator, found.target_date = item.indicator, item.target_date
            session.add(found)
            session.flush()
            linked = set(session.exec(select(GoalPotential.potential_id).where(GoalPotential.goal_id == found.id)))
            for title in item.derived_from:
                if potentials[title].id not in linked:
                    session.add(GoalPotential(goal_id=found.id, potential_id=potentials[title].id))
            changed += 1
        work.audit(network, by, "goals", "goal", "recorded", count(changed, "Ziel", "Ziele"))
        work.touch(network, "goals")
    return changed


def organisation_ids(app: App, network_slug: str) -> dict[str, uuid.UUID]:
    """Member organisations of a network by name (for scripts and the demo)."""
    from verbund.domain.models import Membership, Organisation

    with app.uow() as uow:
        network = network_by_slug(uow.session, network_slug)
        rows = uow.session.exec(
            select(Organisation.name, Organisation.id)
            .join(Membership, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .where(Membership.network_id == network.id)
        ).all()
        return dict(rows)
