"""Dashboard read model of one network: members, stage timeline with audit trail, the work, messages."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from verbund.domain.errors import NotFound, TemplateError
from verbund.domain.governance import VOTE_LABELS, Agreement, Decision, DecisionStatus, DecisionVote, StageEvidence
from verbund.domain.models import KIND_LABELS, Contact, Membership, Network, Organisation, Region
from verbund.domain.process import ProcessTemplate
from verbund.domain.stages import AuditEvent, StageRun
from verbund.domain.work import (
    AREA_LABELS,
    CATEGORY_LABELS,
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
from verbund.services.access.actor_refs import named
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import local_date
from verbund.services.app.lookup import network_by_slug, region_of, template_of
from verbund.services.governance.records import declared_steps, voters
from verbund.services.readmodels.network_glance import MessageQuery, glance, messages


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value else None


_ACTIVE = and_(col(Membership.valid_from) <= bindparam("at"),  # Membership.active_at, in SQL
               or_(col(Membership.valid_to).is_(None), col(Membership.valid_to) > bindparam("at")))
_MEMBERSHIPS = (sa_select(col(Organisation.id), col(Organisation.name), col(Organisation.kind), col(Membership.role),
                          col(Membership.valid_from), _ACTIVE.label("current"))
                .join(Organisation, col(Organisation.id) == col(Membership.organisation_id))
                .where(col(Membership.network_id) == bindparam("network")))
_CONTACTS = (sa_select(col(Contact.organisation_id), col(Contact.id), col(Contact.name), col(Contact.function),
                       func.json_array_length(col(Contact.channels)))
             .where(col(Contact.active), col(Contact.organisation_id).in_(
                 sa_select(col(Membership.organisation_id)).where(col(Membership.network_id) == bindparam("network"),
                                                                  _ACTIVE))))


def _members(session: Session, network: Network, at: dt.datetime) -> tuple[list[dict[str, Any]], dict[uuid.UUID, str]]:
    """The current members with their active contacts, and the names of every organisation that ever was one.

    Plain columns from statements built once, not ORM objects: a network has about a hundred members,
    and their organisations' other columns (JSON lists, coordinates) are not shown here; which
    memberships are current and how many channels a contact has are answered by the database.
    """
    connection = session.connection()
    rows = connection.execute(_MEMBERSHIPS, {"network": network.id, "at": at}).all()
    names = {row[0]: row[1] for row in rows}
    current = [row for row in rows if row[5]]
    contacts: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if current:
        for org_id, cid, name, function, channels in connection.execute(_CONTACTS, {"network": network.id, "at": at}):
            contacts.setdefault(org_id, []).append({"id": str(cid), "name": name, "function": function,
                                                    "channels": channels or 0})
    members = [{"organisation_id": str(org_id), "name": name, "kind": kind, "kind_label": KIND_LABELS.get(kind, kind),
                "role": role, "since": _iso(since), "contacts": contacts.get(org_id, [])}
               for org_id, name, kind, role, since, _current in current]
    return sorted(members, key=lambda m: (m["kind"], m["name"])), names


def _columns(model: Any, *names: str) -> list[Any]:
    table = model.__table__
    return [table.c[name] for name in names]


def _of_network(model: Any, *names: str, order: tuple[str, ...] = ()) -> Any:
    """A statement built once: ``names`` of ``model``'s rows of the network ``:network``, in ``order``."""
    table = model.__table__
    return (sa_select(*_columns(model, *names)).where(table.c.network_id == bindparam("network"))
            .order_by(*(table.c[name] for name in order)))


# The page's statements, built once (SQLAlchemy memoises their cache keys and compiled forms), with
# only the columns the page shows, read as plain rows: an ORM statement built per request cost about
# three times as much per execution (building, cache key, identity map) on ~20 statements a page.
_NETWORK = (sa_select(*Network.__table__.c, col(Region.slug).label("region_slug"),  # type: ignore[attr-defined]
                      col(Region.name).label("region_name"), col(Region.state).label("region_state"))
            .join(Region, col(Region.id) == col(Network.region_id)).where(col(Network.slug) == bindparam("slug")))
_EVENTS = _of_network(AuditEvent, "at", "actor", "actor_ref", "stage", "entity", "action", "from_state", "to_state",
                      "reason", order=("at", "recorded_at"))
_RUNS = _of_network(StageRun, "stage", "cycle", "state", "due", "opened_at", "completed_at", "waiver_reason",
                    order=("position", "cycle"))  # as services.app.lookup.stage_runs
_ANALYSIS = _of_network(AnalysisEntry, "organisation_id", "category", "text", "no_information", "reason",
                        "recorded_by", "recorded_by_ref", "recorded_at")
_POTENTIALS = _of_network(Potential, "id", "area", "title", "description", "raised_by", order=("area", "title"))
_GOALS = _of_network(Goal, "id", "title", "kind", "owner_organisation_id", "indicator", "target_date",
                     "confirmed_at", order=("title",))
_GOAL_LINKS = (sa_select(col(GoalPotential.goal_id), col(GoalPotential.potential_id))
               .join(Goal, col(Goal.id) == col(GoalPotential.goal_id))
               .where(col(Goal.network_id) == bindparam("network")))
_CONSULTATION = _of_network(Consultation, "id", "status", "starts_at", "place", "invitations_sent_at", "held_at",
                            "decisions").limit(1)
_ATTENDANCE = (sa_select(*_columns(Attendance, "organisation_id", "present", "represented_by", "represented_by_ref"))
               .where(col(Attendance.consultation_id) == bindparam("meeting")))
_PROTOCOL = _of_network(Protocol, "id", "status", "body", "objection_deadline", "circulated_at", "approved_at",
                        "approved_by", "approved_by_ref", "published_at", "content_hash", "drafted_by",
                        "drafted_by_ref").limit(1)
_OBJECTIONS = (sa_select(*_columns(ProtocolObjection, "organisation_id", "text", "raised_at", "resolved_at",
                                   "resolution"))
               .where(col(ProtocolObjection.protocol_id) == bindparam("protocol"))
               .order_by(col(ProtocolObjection.raised_at)))
_RECOMMENDATIONS = _of_network(Recommendation, "title", "status", "due", order=("title",))
_AGREEMENTS = _of_network(Agreement, "title", "parties", "signed_on", "fields_of_action", "responsibilities",
                          "recorded_by", "recorded_by_ref", "recorded_at", order=("title",))
_DECISIONS = _of_network(Decision, "id", "title", "text", "kind", "stage", "cycle", "status", "reason",
                         "previous_responsibility", "proposed_responsibility", "responsibility", "decided_at",
                         order=("decided_at", "title"))
_VOTES = (sa_select(col(DecisionVote.decision_id), col(Organisation.name), col(DecisionVote.vote),
                    col(DecisionVote.note))
          .join(Organisation, col(Organisation.id) == col(DecisionVote.organisation_id))
          .join(Decision, col(Decision.id) == col(DecisionVote.decision_id))
          .where(col(Decision.network_id) == bindparam("network"))
          .order_by(col(Organisation.name)))
_EVIDENCE = _of_network(StageEvidence, "stage", "cycle", "kind", "text", "recorded_by", "recorded_by_ref",
                        "recorded_at", order=("recorded_at", "stage"))


def _work(session: Session, network: Network, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    connection, key = session.connection(), {"network": network.id}
    rows = connection.execute(_ANALYSIS, key).all()
    entries = [{"organisation": names.get(e.organisation_id, str(e.organisation_id)), "category": e.category,
                "category_label": CATEGORY_LABELS.get(e.category, e.category), "text": e.text,
                "no_information": e.no_information, "reason": e.reason, "by": by, "at": _iso(e.recorded_at)}
               for e, by in zip(rows, named(session, rows, "recorded_by"), strict=True)]
    potentials = connection.execute(_POTENTIALS, key).all()
    titles = {p.id: p.title for p in potentials}
    goals = connection.execute(_GOALS, key).all()
    derived: dict[uuid.UUID, list[str]] = {}
    if goals:
        for goal_id, potential_id in connection.execute(_GOAL_LINKS, key):
            derived.setdefault(goal_id, []).append(titles.get(potential_id, "?"))
    return {
        "analysis": sorted(entries, key=lambda e: (e["organisation"], e["category"])),
        "potentials": [{"area": p.area, "area_label": AREA_LABELS.get(p.area, p.area), "title": p.title,
                        "description": p.description,
                        "raised_by": [names.get(uuid.UUID(i), i) for i in p.raised_by]} for p in potentials],
        "goals": [{"title": g.title, "kind": g.kind, "derived_from": sorted(derived.get(g.id, [])),
                   "owner": names.get(g.owner_organisation_id) if g.owner_organisation_id else None,
                   "indicator": g.indicator, "target_date": _iso(g.target_date),
                   "confirmed_at": _iso(g.confirmed_at)} for g in goals],
    }


def _consultation(session: Session, network: Network, names: dict[uuid.UUID, str]) -> dict[str, Any] | None:
    connection = session.connection()
    meeting = connection.execute(_CONSULTATION, {"network": network.id}).first()
    if meeting is None:
        return None
    attendance = connection.execute(_ATTENDANCE, {"meeting": meeting.id}).all()
    return {"status": meeting.status, "starts_at": _iso(meeting.starts_at), "place": meeting.place,
            "invitations_sent_at": _iso(meeting.invitations_sent_at), "held_at": _iso(meeting.held_at),
            "decisions": list(meeting.decisions),
            "attendance": [{"organisation": names.get(a.organisation_id, "?"), "present": a.present,
                            "represented_by": by}
                           for a, by in zip(attendance, named(session, attendance, "represented_by"), strict=True)]}


def _protocol(session: Session, network: Network, names: dict[uuid.UUID, str]) -> dict[str, Any] | None:
    connection = session.connection()
    minutes = connection.execute(_PROTOCOL, {"network": network.id}).first()
    if minutes is None:
        return None
    objections = connection.execute(_OBJECTIONS, {"protocol": minutes.id}).all()
    return {"status": minutes.status, "body": minutes.body, "objection_deadline": _iso(minutes.objection_deadline),
            "circulated_at": _iso(minutes.circulated_at), "approved_at": _iso(minutes.approved_at),
            "approved_by": named(session, [minutes], "approved_by")[0], "published_at": _iso(minutes.published_at),
            "content_hash": minutes.content_hash, "drafted_by": named(session, [minutes], "drafted_by")[0],
            "objections": [{"organisation": names.get(o.organisation_id, "?"), "text": o.text,
                            "raised_at": _iso(o.raised_at), "resolved_at": _iso(o.resolved_at),
                            "resolution": o.resolution} for o in objections]}


DECISION_STATUS_LABELS: dict[str, str] = {DecisionStatus.open: "offen", DecisionStatus.adopted: "beschlossen",
                                           DecisionStatus.not_agreed: "nicht beschlossen"}


def _stage_title(template: ProcessTemplate, stage: str) -> str:
    try:
        return template.stage(stage).title
    except TemplateError:  # a stage the template no longer has: named as stored
        return stage


def _governance(session: Session, network: Network, template: ProcessTemplate, at: dt.datetime,
                latest_cycles: dict[str, int]) -> dict[str, Any]:
    """Agreements, consensus decisions (each voter's vote and reason, the responsibility that applies)
    and documented steps (with the declared steps still missing in each stage's latest occurrence)."""
    connection, key = session.connection(), {"network": network.id}
    signed = connection.execute(_AGREEMENTS, key).all()
    agreements = [{"title": a.title, "parties": list(a.parties), "signed_on": _iso(a.signed_on),
                   "fields_of_action": list(a.fields_of_action), "responsibilities": list(a.responsibilities),
                   "recorded_by": by, "recorded_at": _iso(a.recorded_at)}
                  for a, by in zip(signed, named(session, signed, "recorded_by"), strict=True)]
    rows = connection.execute(_DECISIONS, key).all()
    votes: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if rows:
        for decision_id, name, vote, note in connection.execute(_VOTES, key):
            votes.setdefault(decision_id, []).append({"organisation": name, "vote": vote,
                                                      "vote_label": VOTE_LABELS.get(vote, vote), "note": note})
    entitled = sorted(voters(session, network, at).values()) if any(
        d.status == DecisionStatus.open for d in rows) else []
    decisions = []
    for d in rows:
        cast = votes.get(d.id, [])
        voted = {v["organisation"] for v in cast}
        decisions.append({
            "id": str(d.id), "title": d.title, "text": d.text, "kind": d.kind, "stage": d.stage,
            "stage_title": _stage_title(template, d.stage), "cycle": d.cycle, "status": d.status,
            "status_label": DECISION_STATUS_LABELS.get(d.status, d.status), "reason": d.reason,
            "previous_responsibility": d.previous_responsibility,
            "proposed_responsibility": d.proposed_responsibility, "responsibility": d.responsibility,
            "kept": d.status != DecisionStatus.adopted,  # the previous responsibility applies (open or not agreed)
            "decided_at": None if d.status == DecisionStatus.open else _iso(d.decided_at), "votes": cast,
            "outstanding": [name for name in entitled if name not in voted] if d.status == DecisionStatus.open
            else []})
    evidence = connection.execute(_EVIDENCE, key).all()
    steps = [{"stage": e.stage, "stage_title": _stage_title(template, e.stage), "cycle": e.cycle, "kind": e.kind,
              "text": e.text, "by": by, "at": _iso(e.recorded_at)}
             for e, by in zip(evidence, named(session, evidence, "recorded_by"), strict=True)]
    documented = {(e["stage"], e["cycle"], e["kind"]) for e in steps}
    missing = []
    for stage in template.stage_names:
        cycle = latest_cycles.get(stage)
        if cycle is None:
            continue
        open_steps = [step for step in declared_steps(network, stage) if (stage, cycle, step) not in documented]
        if open_steps:
            missing.append({"stage": stage, "stage_title": _stage_title(template, stage), "cycle": cycle,
                            "steps": open_steps})
    return {"agreements": agreements, "decisions": decisions, "steps": steps, "missing_steps": missing,
            "voting_role": template.role_label(template.voters) if template.voters else None}


def _network_and_region(session: Session, slug: str) -> tuple[Network, Any]:
    """The network (a detached ``Network`` for the functions that take one) and its region's slug,
    name and Land, in one statement; ``NotFound`` when unknown."""
    row = session.connection().execute(_NETWORK, {"slug": slug}).first()
    if row is None:
        raise NotFound("Verbund", slug)
    fields = row._mapping
    return Network(**{c.name: fields[c.name] for c in Network.__table__.c}), row  # type: ignore[attr-defined]


def network_page(app: App, slug: str, prefect_ui: str | None = None,
                 message_query: MessageQuery | None = None, *, shared: bool = False) -> dict[str, Any]:
    """Everything the network page shows (no credentials: channels are only counted).

    ``message_query`` None: the latest 200 messages (the JSON API); else one filtered page of them.
    ``shared``: region-wide facts may come from the per-region-version memo (``network_glance.kept_region_coverage``).
    """
    with app.uow(read_only=True) as uow:
        return network_page_in(uow.session, app, slug, prefect_ui, message_query, shared=shared)


def network_page_in(session: Session, app: App, slug: str, prefect_ui: str | None = None,
                    message_query: MessageQuery | None = None, *, shared: bool = False) -> dict[str, Any]:
    """``network_page`` in the caller's read transaction (the dashboard reads the forecast in the same one)."""
    at = app.now()
    today = local_date(at)
    network, region = _network_and_region(session, slug)
    connection, key = session.connection(), {"network": network.id}
    template = template_of(network)
    members, names = _members(session, network, at)
    events = connection.execute(_EVENTS, key).all()
    by_stage: dict[str | None, list[dict[str, Any]]] = {}
    for e, actor in zip(events, named(session, events, "actor"), strict=True):
        by_stage.setdefault(e.stage, []).append({"at": _iso(e.at), "actor": actor, "entity": e.entity,
                                                 "action": e.action, "from": e.from_state, "to": e.to_state,
                                                 "reason": e.reason})
    stages = []
    latest_cycles: dict[str, int] = {}
    for run in connection.execute(_RUNS, key):
        latest_cycles[run.stage] = max(run.cycle, latest_cycles.get(run.stage, 0))
        spec = template.stage(run.stage)
        overdue = run.state in ("open", "ready") and run.due is not None and run.due < today
        stages.append({"name": run.stage, "title": spec.title, "cycle": run.cycle, "state": run.state,
                       "due": _iso(run.due), "overdue": overdue, "opened_at": _iso(run.opened_at),
                       "completed_at": _iso(run.completed_at), "waiver_reason": run.waiver_reason,
                       "sign_off": spec.sign_off, "events": by_stage.get(run.stage, []),
                       "prefect_runs": _prefect_link(prefect_ui, network.slug, run.stage)})
    rsvps = [e for e in by_stage.get("consultation", []) if e["entity"] == "rsvp"]
    page = {"slug": network.slug, "name": network.name, "region": region.region_slug,
            "region_name": region.region_name, "land": region.region_state, "template": network.template,
            "template_name": template.name, "members": members, "stages": stages,
            "other_events": by_stage.get(None, []), **_work(session, network, names),
            "consultation": _consultation(session, network, names), "rsvps": rsvps,
            "protocol": _protocol(session, network, names),
            "recommendations": [{"title": r.title, "status": r.status, "due": _iso(r.due)}
                                for r in connection.execute(_RECOMMENDATIONS, key)],
            "governance": _governance(session, network, template, at, latest_cycles)}
    listing = messages(session, network, message_query)
    page["messages"] = listing.pop("items")
    page["message_list"] = listing
    page["glance"] = glance(session, network, template, region.region_state, at, stages, members, page["analysis"],
                            page["governance"]["decisions"], shared=shared)
    return page


def _prefect_link(ui: str | None, network: str, stage: str) -> str | None:
    """The Prefect UI's flow-run list filtered by the stage's tags (only with a Prefect server)."""
    if not ui:
        return None
    from urllib.parse import quote

    return f"{ui.rstrip('/')}/runs?tags={quote('network:' + network)}&tags={quote('stage:' + stage)}"


def network_scope(app: App, slug: str) -> tuple[str, str, str]:
    """(network, region slug, Land code) for permission checks; ``NotFound`` when unknown."""
    with app.uow(read_only=True) as uow:
        network = network_by_slug(uow.session, slug)
        region = region_of(uow.session, network)
        return network.slug, region.slug, region.state


def end_membership(app: App, slug: str, organisation_id: str, *, by: str, at: dt.datetime | None = None) -> str:
    """End an organisation's membership (kept as history with ``valid_to``); triggers the current stage."""
    from verbund.domain.errors import InvalidInput
    from verbund.services.app.lookup import current_stage
    from verbund.services.app.usecase import change

    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, slug)
        try:
            key = uuid.UUID(organisation_id)
        except ValueError as error:
            raise InvalidInput("Organisation: keine gültige Kennung") from error
        rows = [m for m in session.exec(select(Membership).where(Membership.network_id == network.id,
                                                                 Membership.organisation_id == key))
                if m.active_at(at)]
        if not rows:
            raise InvalidInput("Diese Organisation ist kein aktives Mitglied")
        org = session.get(Organisation, key)
        for m in rows:
            m.valid_to = at
            session.add(m)
        name = org.name if org else organisation_id
        work.audit(network, by, None, "membership", "removed", name)
        work.touch(network, current_stage(session, network))
    return name


def find_organisations(app: App, text: str, limit: int = 20, network: str | None = None) -> list[dict[str, str]]:
    """Organisations whose name contains ``text`` (for adding members); with ``network`` only those
    it may take (its region, Land-wide partners of its template's kinds: ``services.directory.member_scope``)."""
    from verbund.services.directory.member_scope import eligible

    if len(text.strip()) < 3:
        return []
    with app.uow(read_only=True) as uow:
        query = select(Organisation).where(col(Organisation.name).ilike(f"%{text.strip()}%"))
        if network is not None:
            query = query.where(eligible(uow.session, network_by_slug(uow.session, network)))
        rows = uow.session.exec(query.order_by(col(Organisation.name)).limit(limit)).all()
        return [{"id": str(o.id), "name": o.name, "kind": KIND_LABELS.get(o.kind, o.kind)} for o in rows]
