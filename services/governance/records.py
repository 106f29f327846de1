"""Use cases for the other templates' stages: agreements, consensus decisions, documented steps.

Each records and audits in one write use case (``services.app.usecase.change``), which commits and then
triggers the flows of the network's stages that are under way (a stage reads agreements, decisions
or steps through its declared checks).

Consensus decisions: the voters are the network's active members in the template's voting role
(``[decisions] voters``); every voter's consent / objection / reservation is stored; the decision
is adopted only when every voter voted and none objects. What is not adopted keeps the previous
responsibility, and the decision row says so (``responsibility``, ``reason``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.errors import DomainError, InvalidInput
from verbund.domain.formatting import local_date
from verbund.domain.governance import (
    Agreement,
    Decision,
    DecisionStatus,
    DecisionVote,
    StageEvidence,
    Vote,
    consensus,
)
from verbund.domain.models import Membership, Network, Organisation
from verbund.domain.stages import AuditEvent, StageRun
from verbund.services.access.actor_refs import named
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import as_utc, network_by_slug, organisation, stage_run, template_of
from verbund.services.app.usecase import change
from verbund.services.stages.lifecycle import stages_under_way
from verbund.services.stages.stage_gate import require_open


@dataclass
class Responsibility:
    task: str
    implements: str
    checks_quality: str

    def as_dict(self) -> dict[str, str]:
        return {"task": self.task, "implements": self.implements, "checks_quality": self.checks_quality}


@dataclass
class DecisionReport:
    network: str
    stage: str
    cycle: int
    title: str
    adopted: bool
    reason: str
    responsibility: str | None
    votes: dict[str, str] = field(default_factory=dict)  # organisation name → vote
    id: str = ""
    kind: str = ""
    status: str = ""  # open, adopted, not_agreed
    previous_responsibility: str | None = None
    proposed_responsibility: str | None = None
    decided_at: str | None = None  # ISO datetime; None while open
    notes: dict[str, str] = field(default_factory=dict)  # organisation name → reason given with the vote

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _audit(session: Session, network: Network, at: dt.datetime, recorded: dt.datetime, actor: str,
           stage: str | None, cycle: int | None, entity: str, action: str, reason: str,
           detail: dict[str, Any] | None = None) -> None:
    session.add(AuditEvent(at=at, recorded_at=recorded, actor=actor, network_id=network.id, stage=stage,
                           cycle=cycle, entity=entity, action=action, reason=reason, detail=detail or {}))


def _active_run(session: Session, network: Network, stage: str) -> StageRun:
    """The stage's current occurrence while it accepts decisions and steps: the one rule of
    ``services.stages.stage_gate`` (open or ready; the refusal says why in German and whom to ask)."""
    return require_open(session, network, stage)


def record_agreement(
    app: App, network_slug: str, *, title: str, parties: list[str], signed_on: dt.date | None,
    fields_of_action: list[str] | None = None, responsibilities: list[Responsibility] | None = None,
    by: str, at: dt.datetime | None = None,
) -> None:
    """Record (or update) an agreement: parties (organisation ids), signed date, fields, responsibilities."""
    at = at or app.now()
    if not title.strip():
        raise InvalidInput("title: eine Vereinbarung braucht einen Titel")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        names = [organisation(session, party).name for party in parties]
        for index, item in enumerate(responsibilities or []):
            if not (item.task.strip() and item.implements.strip() and item.checks_quality.strip()):
                raise InvalidInput(f"responsibilities[{index}]: Aufgabe, Umsetzung und Qualitätssicherung nötig")
        found = session.exec(
            select(Agreement).where(Agreement.network_id == network.id, Agreement.title == title)
        ).first()
        values: dict[str, Any] = {
            "parties": names, "signed_on": signed_on, "fields_of_action": list(fields_of_action or []),
            "responsibilities": [r.as_dict() for r in responsibilities or []],
        }
        if found is not None and all(getattr(found, k) == v for k, v in values.items()):
            return  # nothing new: no event, no trigger
        if found is None:
            found = Agreement(network_id=network.id, title=title, recorded_by=by, recorded_at=at, **values)
        else:
            for key, value in values.items():
                setattr(found, key, value)
            found.recorded_at, found.recorded_by = at, by
        session.add(found)
        signed = f", unterzeichnet am {local_date(signed_on)}" if signed_on else ""
        _audit(session, network, at, app.wall_time(), by, None, None, "agreement", "recorded",
               f"{title}: {', '.join(names)}{signed}")
        work.touch_all(network, stages_under_way(session, network))


def record_step(app: App, network_slug: str, stage: str, step: str, *, text: str = "", by: str,
                at: dt.datetime | None = None) -> int:
    """Document a step (``steps_documented``) of the stage's open occurrence; returns its cycle."""
    at = at or app.now()
    if not step.strip():
        raise InvalidInput("step: Schritt fehlt")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        latest = stage_run(session, network, stage)
        _check_step(network, stage, step)
        found = session.exec(
            select(StageEvidence).where(StageEvidence.network_id == network.id, StageEvidence.stage == stage,
                                        StageEvidence.cycle == latest.cycle, StageEvidence.kind == step)
        ).first()
        if found is not None:
            return latest.cycle
        run = _active_run(session, network, stage)
        session.add(StageEvidence(network_id=network.id, stage=stage, cycle=run.cycle, kind=step, text=text,
                                  recorded_by=by, recorded_at=at))
        _audit(session, network, at, app.wall_time(), by, stage, run.cycle, "step", "documented", step)
        cycle = run.cycle
        work.touch(network, stage)
    return cycle


def declared_steps(network: Network, stage: str) -> list[str]:
    """The steps the stage's ``steps_documented`` checks ask for, in order."""
    steps: list[str] = []
    for spec in template_of(network).stage(stage).checks:
        if spec.check == "steps_documented":
            steps += [str(step) for step in spec.params.get("steps", []) if step not in steps]
    return steps


def _check_step(network: Network, stage: str, step: str) -> None:
    steps = declared_steps(network, stage)
    if not steps:
        raise InvalidInput(f"{network.slug} · {stage}: die Stufe dokumentiert keine Schritte "
                           f"(Vorlage {network.template})")
    if step not in steps:
        raise InvalidInput(f"{network.slug} · {stage}: unbekannter Schritt '{step}' (bekannt: {', '.join(steps)})")


def voters(session: Session, network: Network, at: dt.datetime) -> dict[str, str]:
    """Organisation id → name of the members entitled to vote (the template's voting role) at ``at``."""
    role = template_of(network).voters
    rows = session.exec(
        select(Membership, Organisation.name)
        .join(Organisation, col(Membership.organisation_id) == col(Organisation.id))
        .where(Membership.network_id == network.id, Membership.role == role)
    ).all()
    return {str(m.organisation_id): name for m, name in rows if m.active_at(at)}


def decide(
    app: App, network_slug: str, stage: str, *, title: str, kind: str, votes: dict[str, str],
    proposed: str | None = None, previous: str | None = None, text: str = "",
    notes: dict[str, str] | None = None, by: str, at: dt.datetime | None = None,
) -> DecisionReport:
    """Record a consensus decision in the stage's open occurrence (``votes``: organisation id → vote).

    Recording the same title again in the same occurrence changes nothing and returns the stored result.
    """
    at = at or app.now()
    for oid, vote in votes.items():
        if vote not in Vote.__members__:
            raise InvalidInput(f"votes[{oid}]: unbekannte Stimme '{vote}' (erlaubt: {', '.join(Vote.__members__)})")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        latest = stage_run(session, network, stage)
        existing = decision_titled(session, network, stage, latest.cycle, title)
        if existing is not None:
            return _report(session, network, existing)
        run = _active_run(session, network, stage)
        entitled = voters(session, network, at)
        strangers = [oid for oid in votes if oid not in entitled]
        if strangers:
            names = ", ".join(sorted(_name(session, oid) for oid in strangers))
            role = template_of(network).role_label(template_of(network).voters)
            raise InvalidInput(f"votes: nicht stimmberechtigt ({role}) in {network.slug}: {names}")
        result = consensus(set(entitled), votes, proposed=proposed, previous=previous, names=entitled)
        decision = Decision(
            network_id=network.id, stage=stage, cycle=run.cycle, kind=kind, title=title, text=text,
            previous_responsibility=previous, proposed_responsibility=proposed,
            responsibility=result.responsibility,
            status=DecisionStatus.adopted if result.adopted else DecisionStatus.not_agreed,
            reason=result.reason, decided_at=at, recorded_by=by,
        )
        session.add(decision)
        session.flush()
        for oid, vote in votes.items():
            session.add(DecisionVote(decision_id=decision.id, organisation_id=uuid.UUID(oid), vote=vote,
                                     note=(notes or {}).get(oid)))
        _audit(session, network, at, app.wall_time(), by, stage, run.cycle, "decision",
               "adopted" if result.adopted else "not_agreed", f"{title}: {result.reason}",
               {"votes": {entitled[oid]: vote for oid, vote in votes.items()},
                "responsibility": result.responsibility})
        session.flush()
        report = _report(session, network, decision)
        work.touch(network, stage)
    return report


def _name(session: Session, oid: str) -> str:
    try:
        return organisation(session, oid).name
    except (ValueError, DomainError):  # an unknown or malformed id is named as given
        return oid


def _report(session: Session, network: Network, decision: Decision) -> DecisionReport:
    rows = session.exec(
        select(Organisation.name, DecisionVote.vote, DecisionVote.note)
        .join(DecisionVote, col(DecisionVote.organisation_id) == col(Organisation.id))
        .where(DecisionVote.decision_id == decision.id)
        .order_by(col(Organisation.name))
    ).all()
    return DecisionReport(
        network=network.slug, stage=decision.stage, cycle=decision.cycle, title=decision.title,
        adopted=decision.status == DecisionStatus.adopted, reason=decision.reason,
        responsibility=decision.responsibility, votes={name: vote for name, vote, _note in rows},
        id=str(decision.id), kind=decision.kind, status=decision.status,
        previous_responsibility=decision.previous_responsibility,
        proposed_responsibility=decision.proposed_responsibility,
        decided_at=None if decision.status == DecisionStatus.open else as_utc(decision.decided_at).isoformat(),
        notes={name: note for name, _vote, note in rows if note},
    )


def network_decisions(session: Session, network: Network) -> list[Decision]:
    """Every decision of the network, in the order taken."""
    return list(session.exec(
        select(Decision).where(Decision.network_id == network.id).order_by(col(Decision.decided_at))
    ).all())


def decision_titled(session: Session, network: Network, stage: str, cycle: int, title: str) -> Decision | None:
    """The decision of that title in one occurrence of the stage (titles are unique there)."""
    return session.exec(
        select(Decision).where(Decision.network_id == network.id, Decision.stage == stage,
                               Decision.cycle == cycle, Decision.title == title)
    ).first()


def decisions(app: App, network_slug: str) -> list[DecisionReport]:
    """Every decision of the network, in the order taken."""
    with app.uow() as uow:
        network = network_by_slug(uow.session, network_slug)
        return [_report(uow.session, network, row) for row in network_decisions(uow.session, network)]


def agreements(app: App, network_slug: str) -> list[dict[str, Any]]:
    """The network's agreements (Kooperationsvertrag, Vereinbarung) as plain values, by title."""
    with app.uow(read_only=True) as uow:
        network = network_by_slug(uow.session, network_slug)
        rows = uow.session.exec(
            select(Agreement).where(Agreement.network_id == network.id).order_by(col(Agreement.title))
        ).all()
        return [
            {"network": network.slug, "title": a.title, "parties": list(a.parties),
             "signed_on": a.signed_on.isoformat() if a.signed_on else None,
             "fields_of_action": list(a.fields_of_action), "responsibilities": list(a.responsibilities),
             "recorded_by": by, "recorded_at": a.recorded_at.isoformat()}
            for a, by in zip(rows, named(uow.session, rows, "recorded_by"), strict=True)
        ]
