"""Build the ``NetworkFacts`` snapshot the exit checks read, loading only the needed sections."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from verbund.domain.criteria import (
    AgreementFact,
    ConsultationFact,
    CoverageFact,
    DecisionFact,
    GoalFact,
    MemberFact,
    NetworkFacts,
    PotentialFact,
    ProtocolFact,
    RoleFact,
)
from verbund.domain.governance import Agreement, Decision, DecisionStatus, StageEvidence
from verbund.domain.models import Membership as M  # noqa: N817  (short alias keeps the queries readable)
from verbund.domain.models import MembershipRole, Network, Organisation
from verbund.domain.work import (
    AnalysisEntry,
    Attendance,
    Consultation,
    Goal,
    GoalPotential,
    Potential,
    Protocol,
    ProtocolObjection,
    Recommendation,
)
from verbund.services.importers.coverage import region_coverage


def _active(at: dt.datetime):  # type: ignore[no-untyped-def]
    return (col(M.valid_from) <= at) & or_(col(M.valid_to).is_(None), col(M.valid_to) > at)


def _open_org(at: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(col(Organisation.closed_at).is_(None), col(Organisation.closed_at) > at)


def members(session: Session, network: Network, at: dt.datetime) -> list[MemberFact]:
    rows = session.exec(
        select(Organisation.id, Organisation.name, Organisation.kind)
        .join(M, col(M.organisation_id) == col(Organisation.id))
        .where(M.network_id == network.id, M.role != MembershipRole.guest, _active(at), _open_org(at))
        .distinct()
    ).all()
    from verbund.services.messaging.reach import contact_reach

    reach = contact_reach(session, [row[0] for row in rows])
    return [MemberFact(str(row[0]), row[1], row[2], reach.get(row[0], False)) for row in rows]


def coverage(session: Session, network: Network, at: dt.datetime) -> CoverageFact:
    """Region-wide: each open public school of the region in exactly one network (the one
    definition in ``services.importers.coverage``, the same as ``verbund coverage``)."""
    return region_coverage(session, network.region_id, at)


def analysis(session: Session, network: Network, at: dt.datetime) -> dict[str, set[str]]:
    answered: dict[str, set[str]] = defaultdict(set)
    for entry in session.exec(
        select(AnalysisEntry).where(
            AnalysisEntry.network_id == network.id, col(AnalysisEntry.recorded_at) <= at
        )
    ):
        if entry.text.strip() or (entry.no_information and (entry.reason or "").strip()):
            answered[str(entry.organisation_id)].add(entry.category)
    return answered


def potentials(session: Session, network: Network, at: dt.datetime) -> list[PotentialFact]:
    rows = session.exec(select(Potential).where(Potential.network_id == network.id)).all()
    return [PotentialFact(p.area, p.title, tuple(p.raised_by)) for p in rows]


def goals(session: Session, network: Network, at: dt.datetime) -> list[GoalFact]:
    derived = dict(
        session.exec(
            select(GoalPotential.goal_id, func.count())
            .join(Goal, col(Goal.id) == col(GoalPotential.goal_id))
            .where(Goal.network_id == network.id)
            .group_by(col(GoalPotential.goal_id))
        ).all()
    )
    rows = session.exec(select(Goal).where(Goal.network_id == network.id)).all()
    return [
        GoalFact(
            title=g.title,
            potentials=derived.get(g.id, 0),
            owner=str(g.owner_organisation_id) if g.owner_organisation_id else None,
            indicator=g.indicator,
            target_date=g.target_date,
            confirmed=g.confirmed_at is not None and g.confirmed_at <= at,
        )
        for g in rows
    ]


def consultation(session: Session, network: Network, at: dt.datetime) -> ConsultationFact | None:
    found = session.exec(select(Consultation).where(Consultation.network_id == network.id)).first()
    if found is None:
        return None
    present = session.exec(
        select(Organisation.kind)
        .join(Attendance, col(Attendance.organisation_id) == col(Organisation.id))
        .where(Attendance.consultation_id == found.id, col(Attendance.present).is_(True))
    ).all()
    return ConsultationFact(
        status=found.status,
        starts_at=found.starts_at,
        invitations_sent_at=found.invitations_sent_at,
        held_at=found.held_at,
        present_kinds=frozenset(present),
    )


def protocol(session: Session, network: Network, at: dt.datetime) -> ProtocolFact | None:
    found = session.exec(select(Protocol).where(Protocol.network_id == network.id)).first()
    if found is None:
        return None
    open_objections = session.exec(
        select(func.count()).where(
            ProtocolObjection.protocol_id == found.id, col(ProtocolObjection.resolved_at).is_(None)
        )
    ).one()
    return ProtocolFact(
        status=found.status,
        objection_deadline=found.objection_deadline,
        open_objections=int(open_objections),
        content_hash=found.content_hash,
        published_at=found.published_at,
    )


def recommendations(session: Session, network: Network, at: dt.datetime) -> int:
    return int(
        session.exec(
            select(func.count()).where(Recommendation.network_id == network.id)
        ).one()
    )


def roles(session: Session, network: Network, at: dt.datetime) -> list[RoleFact]:
    """Every active membership with its role (guests included)."""
    rows = session.exec(
        select(Organisation.name, Organisation.kind, M.role)
        .join(M, col(M.organisation_id) == col(Organisation.id))
        .where(M.network_id == network.id, _active(at), _open_org(at))
    ).all()
    return [RoleFact(name, kind, role) for name, kind, role in rows]


def agreements(session: Session, network: Network, at: dt.datetime) -> list[AgreementFact]:
    rows = session.exec(
        select(Agreement).where(Agreement.network_id == network.id, col(Agreement.recorded_at) <= at)
    ).all()
    return [
        AgreementFact(a.title, tuple(a.parties), a.signed_on, tuple(a.fields_of_action), tuple(a.responsibilities))
        for a in rows
    ]


def decisions(session: Session, network: Network, at: dt.datetime, stage: str | None, cycle: int) -> list[DecisionFact]:
    rows = session.exec(
        select(Decision).where(
            Decision.network_id == network.id, Decision.stage == stage, Decision.cycle == cycle,
            col(Decision.decided_at) <= at,
        ).order_by(col(Decision.decided_at))
    ).all()
    return [DecisionFact(d.kind, d.title, d.status == DecisionStatus.adopted, d.reason) for d in rows]


def evidence(session: Session, network: Network, at: dt.datetime, stage: str | None, cycle: int) -> dict[str, str]:
    rows = session.exec(
        select(StageEvidence).where(
            StageEvidence.network_id == network.id, StageEvidence.stage == stage, StageEvidence.cycle == cycle,
            col(StageEvidence.recorded_at) <= at,
        )
    ).all()
    return {row.kind: row.text for row in rows}


# One loader per facts section of ``domain.criteria.SECTIONS`` (a test checks that none is missing);
# "decisions" and "evidence" are per stage occurrence and take the stage and cycle too.
CYCLE_LOADERS: dict[str, Callable[[Session, Network, dt.datetime, str | None, int], object]] = {
    "decisions": decisions,
    "evidence": evidence,
}

LOADERS: dict[str, Callable[[Session, Network, dt.datetime], object]] = {
    "roles": roles,
    "agreements": agreements,
    "members": members,
    "coverage": coverage,
    "analysis": analysis,
    "potentials": potentials,
    "goals": goals,
    "consultation": consultation,
    "protocol": protocol,
    "recommendations": recommendations,
}


def load_facts(
    session: Session, network: Network, state: str, at: dt.datetime, sections: set[str],
    *, stage: str | None = None, cycle: int = 1,
) -> NetworkFacts:
    """The snapshot at ``at``; ``stage``/``cycle`` scope the per-occurrence sections."""
    facts = NetworkFacts(network=network.slug, state=state, at=at, stage=stage, cycle=cycle)
    for section in sorted(sections):
        if section in CYCLE_LOADERS:
            setattr(facts, section, CYCLE_LOADERS[section](session, network, at, stage, cycle))
        else:
            setattr(facts, section, LOADERS[section](session, network, at))
    return facts
