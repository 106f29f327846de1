"""Consensus decisions taken vote by vote, and members named the way people name them.

``open_decision`` opens a decision in a stage's open occurrence (status ``open``); ``cast_vote``
records one voting member's consent / objection / reservation. The decision is decided as soon as
a voter objects (not adopted; the responsibility stays with the previous one) or every voter has
voted without objection (adopted; the proposed responsibility applies) — ``domain.governance``
``decided`` and ``consensus``. Every step is audited; a vote triggers the stage's flow, which
reads adopted decisions through the template's ``decisions_adopted`` check.

Members are named by organisation id, source id, exact name or a unique part of the name
(``find_member``); decisions by id (or its first eight characters) or title (``find_decision``).
Errors name what is wrong: an unknown or ambiguous member, a member who may not vote, an unknown
decision, a decision already decided.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from sqlmodel import Session, col, select

from verbund.domain.errors import InvalidInput
from verbund.domain.governance import (
    VOTE_LABELS,
    Decision,
    DecisionStatus,
    DecisionVote,
    Vote,
    consensus,
    decided,
    pending_reason,
)
from verbund.domain.models import Membership, Network, Organisation
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.app.lookup import network_by_slug, template_of
from verbund.services.app.usecase import change
from verbund.services.governance.records import (
    DecisionReport,
    _active_run,
    _audit,
    _report,
    decision_titled,
    network_decisions,
    voters,
)
from verbund.services.stages.stage_gate import require_open

LISTED = 12  # names listed in an error before "…"


def _listing(names: list[str]) -> str:
    shown = sorted(names)[:LISTED]
    return "; ".join(shown) + ("; …" if len(names) > LISTED else "") if shown else "keine"


def _members(session: Session, network: Network, at: dt.datetime) -> list[tuple[Membership, Organisation]]:
    rows = session.exec(
        select(Membership, Organisation)
        .join(Organisation, col(Membership.organisation_id) == col(Organisation.id))
        .where(Membership.network_id == network.id)
    ).all()
    return [(m, o) for m, o in rows if m.active_at(at)]


def find_member(session: Session, network: Network, ref: str, at: dt.datetime,
                what: str = "--member") -> tuple[Membership, Organisation]:
    """The network's member (at ``at``) named by ``ref``: id, source id, exact name or a unique part of it."""
    members = _members(session, network, at)
    key = ref.strip().casefold()
    if not key:
        raise InvalidInput(f"{what}: kein Mitglied angegeben")
    for test in (
        lambda o: str(o.id) == key or o.source_id.casefold() == key,
        lambda o: o.name.casefold() == key,
        lambda o: key in o.name.casefold(),
    ):
        found = [(m, o) for m, o in members if test(o)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise InvalidInput(f"{what}: '{ref}' ist in {network.slug} mehrdeutig: "
                               f"{_listing([o.name for _m, o in found])} (genauer angeben oder die ID nutzen)")
    raise InvalidInput(f"{what}: unbekanntes Mitglied '{ref}' in {network.slug} "
                       f"(Mitglieder u. a.: {_listing([o.name for _m, o in members if o.kind != 'public_school'])})")


def member_ids(app: App, network_slug: str, refs: list[str], *, at: dt.datetime | None = None,
               what: str = "--party") -> list[str]:
    """Organisation ids of the members named by ``refs`` (see ``find_member``)."""
    at = at or app.now()
    with app.uow(read_only=True) as uow:
        network = network_by_slug(uow.session, network_slug)
        return [str(find_member(uow.session, network, ref, at, what)[1].id) for ref in refs]


def find_decision(session: Session, network: Network, ref: str) -> Decision:
    """The network's decision named by id (or an id prefix of ≥ 8 characters) or by its title."""
    rows = network_decisions(session, network)
    key = ref.strip()
    found = [d for d in rows if d.title == key]
    if re.fullmatch(r"[0-9a-fA-F-]{8,36}", key):
        found += [d for d in rows if str(d.id).startswith(key.lower()) and d not in found]
    if len(found) > 1:
        still_open = [d for d in found if d.status == DecisionStatus.open]
        found = still_open if len(still_open) == 1 else found
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidInput(f"Beschluss '{ref}' ist in {network.slug} mehrdeutig: " + "; ".join(
            f"{d.title} ({d.stage}, Durchlauf {d.cycle}, ID {str(d.id)[:8]})" for d in found))
    known = [f"{d.title} ({d.stage})" for d in rows]
    raise InvalidInput(f"unbekannter Beschluss '{ref}' in {network.slug} (Beschlüsse: {_listing(known)})")


def _default_kind(network: Network, stage: str) -> str:
    kinds = sorted({str(spec.params["kind"]) for spec in template_of(network).stage(stage).checks
                    if spec.check == "decisions_adopted" and "kind" in spec.params})
    if len(kinds) > 1:
        raise InvalidInput(f"--kind: Stufe '{stage}' erwartet Beschlüsse verschiedener Art "
                           f"({', '.join(kinds)}); bitte angeben")
    return kinds[0] if kinds else "decision"


def open_decision(
    app: App, network_slug: str, stage: str, *, title: str, kind: str | None = None,
    proposed: str | None = None, previous: str | None = None, text: str = "", by: str,
    at: dt.datetime | None = None,
) -> DecisionReport:
    """Open a decision in the stage's open occurrence; the same title there again returns it unchanged."""
    at = at or app.now()
    if not title.strip():
        raise InvalidInput("--title: ein Beschluss braucht einen Titel")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        run = _active_run(session, network, stage)
        existing = decision_titled(session, network, stage, run.cycle, title)
        if existing is not None:
            return _report(session, network, existing)
        entitled = voters(session, network, at)
        if not entitled:
            role = template_of(network).role_label(template_of(network).voters)
            raise InvalidInput(f"{network.slug}: kein stimmberechtigtes Mitglied ({role}) am {at.date().isoformat()}")
        decision = Decision(
            network_id=network.id, stage=stage, cycle=run.cycle, kind=kind or _default_kind(network, stage),
            title=title, text=text, previous_responsibility=previous, proposed_responsibility=proposed,
            responsibility=previous, status=DecisionStatus.open, reason=pending_reason(set(entitled), {}, entitled),
            decided_at=at, recorded_by=by,
        )
        session.add(decision)
        _audit(session, network, at, app.wall_time(), by, stage, run.cycle, "decision", "opened",
               f"{title}: {decision.reason}", {"proposed": proposed, "previous": previous})
        session.flush()
        report = _report(session, network, decision)
    return report


def cast_vote(
    app: App, network_slug: str, decision_ref: str, *, member: str, vote: str, reason: str | None = None,
    by: str, at: dt.datetime | None = None,
) -> DecisionReport:
    """Record one voting member's vote; decide the decision when an objection or the last vote comes in."""
    at = at or app.now()
    if vote not in Vote.__members__:
        raise InvalidInput(f"--vote: unbekannte Stimme '{vote}' (erlaubt: {', '.join(Vote.__members__)})")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        decision = find_decision(session, network, decision_ref)
        require_open(session, network, decision.stage)
        membership, org = find_member(session, network, member, at)
        cast = {str(v.organisation_id): v.vote for v in session.exec(
            select(DecisionVote).where(DecisionVote.decision_id == decision.id))}
        if cast.get(str(org.id)) == vote:
            return _report(session, network, decision)  # the same vote again changes nothing
        entitled = voters(session, network, at)
        _check_vote(network, decision, membership, org, entitled, cast, at)
        session.add(DecisionVote(decision_id=decision.id, organisation_id=org.id, vote=vote, note=reason or None))
        cast[str(org.id)] = vote
        _audit(session, network, at, app.wall_time(), by, decision.stage, decision.cycle, "decision_vote", vote,
               f"{decision.title}: {org.name} — {VOTE_LABELS[vote]}" + (f" ({reason})" if reason else ""))
        _tally(session, app, network, decision, entitled, cast, at, by)
        session.flush()
        report = _report(session, network, decision)
        work.touch(network, decision.stage)
    return report


def _local(at: dt.datetime) -> str:
    return at.astimezone(BERLIN).isoformat(timespec="seconds")


def _check_vote(network: Network, decision: Decision, membership: Membership, org: Organisation,
                entitled: dict[str, str], cast: dict[str, str], at: dt.datetime) -> None:
    template = template_of(network)
    if str(org.id) not in entitled:
        role, voting = template.role_label(membership.role), template.role_label(template.voters)
        raise InvalidInput(f"--member: {org.name} ist in {network.slug} nicht stimmberechtigt "
                           f"({role}; es stimmt: {voting})")
    if decision.status != DecisionStatus.open:
        raise InvalidInput(f"Beschluss „{decision.title}“ ist bereits entschieden ({decision.reason}); "
                           "weitere Stimmen werden nicht angenommen")
    if at < decision.decided_at:
        raise InvalidInput(f"--at: {_local(at)} liegt vor der Eröffnung des Beschlusses "
                           f"„{decision.title}“ ({_local(decision.decided_at)})")
    if str(org.id) in cast:
        raise InvalidInput(f"--member: {org.name} hat zu „{decision.title}“ bereits mit "
                           f"{VOTE_LABELS[cast[str(org.id)]]} gestimmt; eine abgegebene Stimme wird nicht geändert")


def _tally(session: Session, app: App, network: Network, decision: Decision, entitled: dict[str, str],
           cast: dict[str, str], at: dt.datetime, by: str) -> None:
    """Decide when settled (an objection, or every voter voted); else say whose votes are outstanding."""
    names = dict(entitled)
    for oid in set(cast) - set(entitled):  # voted while entitled, membership ended since: the vote counts
        found = session.get(Organisation, uuid.UUID(oid))
        names[oid] = found.name if found else oid
    electorate = set(entitled) | set(cast)
    if not decided(electorate, cast):
        decision.reason = pending_reason(electorate, cast, names)
        session.add(decision)
        return
    result = consensus(electorate, cast, proposed=decision.proposed_responsibility,
                       previous=decision.previous_responsibility, names=names)
    decision.status = DecisionStatus.adopted if result.adopted else DecisionStatus.not_agreed
    decision.responsibility, decision.reason, decision.decided_at = result.responsibility, result.reason, at
    session.add(decision)
    _audit(session, network, at, app.wall_time(), by, decision.stage, decision.cycle, "decision", decision.status,
           f"{decision.title}: {result.reason}",
           {"votes": {names[oid]: vote for oid, vote in cast.items()}, "responsibility": result.responsibility})


def show_decision(app: App, network_slug: str, decision_ref: str) -> DecisionReport:
    with app.uow(read_only=True) as uow:
        network = network_by_slug(uow.session, network_slug)
        return _report(uow.session, network, find_decision(uow.session, network, decision_ref))
