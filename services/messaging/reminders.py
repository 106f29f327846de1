"""Planning the reminder sweep: what every contact should hear, decided from the domain state.

The sweep computes the full set of items that are relevant at ``now`` (stage opened, the latest
reminder before the due date, overdue, escalations, consultation invitation / change / cancellation,
protocol circulated / published), stores the ones whose key is new, and suppresses pending items
that are no longer relevant (stage completed or waived, consultation cancelled or moved). Keys are
deterministic, so planning twice never duplicates. Contacts without a channel get their items
stored as ``suppressed`` with the reason, so they are reported, never silently skipped.
"""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from verbund.domain.business_days import BusinessCalendar, local_date
from verbund.domain.models import Contact, Membership, MembershipRole, Network, Organisation, OrganisationKind, Region
from verbund.domain.outbox import (
    HOLIDAY_SENSITIVE,
    OutboxItem,
    OutboxKind,
    OutboxStatus,
    PlannedItem,
    Recipient,
    SchoolHolidays,
    day_start,
    due_for,
    escalation_level,
    idempotency_key,
    next_send_slot,
    plan_item,
    reminder_day,
)
from verbund.domain.process import StageTemplate, load_template
from verbund.domain.stages import StageRun, StageState
from verbund.domain.work import Consultation, ConsultationStatus, Protocol, ProtocolStatus
from verbund.services.app.bootstrap import App
from verbund.services.app.db import serialize
from verbund.services.app.ferien import Calendars
from verbund.services.app.versions import bump
from verbund.services.inputs.links import message_link, signing_key

NO_CHANNEL = "keine Kanäle hinterlegt"
STALE = "nicht mehr aktuell"
OUTBOX: Table = OutboxItem.metadata.tables["outboxitem"]
OUTBOX_LOCK = "outbox"  # planning and claiming: one sweep at a time (services.app.db.serialize)
FAILURE_PREFIX = "failed:"  # subjects of escalations after a failed delivery (planned when sending)


@dataclass
class PlanReport:
    planned: int = 0
    suppressed: int = 0
    without_channel: list[str] = field(default_factory=list)  # contact ids (never names: Prefect results), new
    warnings: list[str] = field(default_factory=list)  # Schulferien not known for a date planning needed


@dataclass
class _NetworkView:
    id: uuid.UUID
    slug: str
    name: str
    template: str
    region_id: uuid.UUID
    calendar: BusinessCalendar
    holidays: SchoolHolidays
    members: list[Recipient] = field(default_factory=list)
    coordinators: list[Recipient] = field(default_factory=list)


def _recipients(session: Session, now: dt.datetime) -> dict[uuid.UUID, list[tuple[str, Recipient]]]:
    """Active contacts of the organisations that are members at ``now``, per network (validity and
    "has a channel" decided in SQL: the sweep reads tens of thousands of these)."""
    rows = session.execute(
        sa_select(col(Membership.network_id), col(Membership.role), col(Contact.id), col(Contact.name),
                  or_(func.json_array_length(col(Contact.channels)) > 0, col(Contact.email).is_not(None)),
                  col(Organisation.name), col(Organisation.kind))
        .join(Organisation, col(Organisation.id) == col(Membership.organisation_id))
        .join(Contact, col(Contact.organisation_id) == col(Organisation.id))
        .where(col(Contact.active).is_(True), col(Membership.valid_from) <= now,
               or_(col(Membership.valid_to).is_(None), col(Membership.valid_to) > now))
    ).all()
    found: dict[uuid.UUID, list[tuple[str, Recipient]]] = defaultdict(list)
    known: dict[uuid.UUID, Recipient] = {}
    for network_id, role, cid, cname, has_channel, oname, kind in rows:
        recipient = known.get(cid)
        if recipient is None:
            recipient = known[cid] = Recipient(cid, cname, oname, kind, bool(has_channel))
        found[network_id].append((role, recipient))
    return found


def _process_owners(session: Session) -> dict[uuid.UUID, list[Recipient]]:
    """Contacts of the region's school authority (Schulaufsicht, e.g. the LaSuB-Standort)."""
    rows = session.execute(
        sa_select(*[col(c) for c in (Organisation.region_id, Contact.id, Contact.name, Contact.channels,
                                     Organisation.name, Organisation.kind, Contact.email)])
        .join(Contact, col(Contact.organisation_id) == col(Organisation.id))
        .where(col(Organisation.kind) == OrganisationKind.school_authority, col(Contact.active).is_(True))
    ).all()
    found: dict[uuid.UUID, list[Recipient]] = defaultdict(list)
    for region_id, cid, cname, channels, oname, kind, email in rows:
        if region_id is not None:
            found[region_id].append(Recipient(cid, cname, oname, kind, bool(channels) or bool(email)))
    return found


def _networks(session: Session, now: dt.datetime, only: str | None, ferien: Calendars) -> list[_NetworkView]:
    query = select(Network, Region.state).join(Region, col(Region.id) == col(Network.region_id))
    if only:
        query = query.where(Network.slug == only)
    recipients = _recipients(session, now)
    views = []
    for network, state in session.exec(query).all():
        view = _NetworkView(network.id, network.slug, network.name, network.template, network.region_id,
                            BusinessCalendar(state), ferien(state))
        for role, recipient in recipients.get(network.id, []):
            view.members.append(recipient)
            if role == MembershipRole.coordinator:
                view.coordinators.append(recipient)
        views.append(view)
    return views


def _base(view: _NetworkView, recipient: Recipient, link: str) -> dict[str, Any]:
    return {"network": view.slug, "network_name": view.name, "contact_name": recipient.contact_name,
            "organisation": recipient.organisation, "link": link}


def _member_timings(
    run: StageRun, stage: StageTemplate, is_school: bool, now: dt.datetime, cal: BusinessCalendar,
    hol: SchoolHolidays,
) -> list[tuple[str, str, dt.date, dt.datetime, dict[str, Any]]]:
    """(kind, subject, due, send_after, extra context) of a stage's items for a school or another partner.

    The same for every member of that sort, so computed once per run and sort, not per contact.
    """
    today = local_date(now)
    subject = str(run.id)
    due = due_for(run.due, is_school, cal, hol) if run.due else today

    def slot(kind: str, earliest: dt.datetime) -> dt.datetime:
        return next_send_slot(earliest, cal, hol if is_school and kind in HOLIDAY_SENSITIVE else None)

    timings = [(OutboxKind.stage_opened.value, subject, due, slot(OutboxKind.stage_opened, run.opened_at or now),
                {"due": due.isoformat()})]
    if run.state != StageState.open or run.due is None:
        return timings
    reminder = reminder_day(due, stage.reminders_business_days, today, cal)
    if reminder is not None:
        offset, day = reminder
        extra: dict[str, Any] = {"due": due.isoformat(), "days_left": cal.business_days_between(today, due)}
        timings.append((OutboxKind.reminder.value, f"{subject}:{offset}", day,
                        slot(OutboxKind.reminder, day_start(day)), extra))
    if today > due:
        timings.append((OutboxKind.overdue.value, subject, due,
                        slot(OutboxKind.overdue, day_start(due + dt.timedelta(days=1))), {"due": due.isoformat()}))
    return timings


def _stage_items(view: _NetworkView, run: StageRun, now: dt.datetime, public_url: str,
                 owners: list[Recipient]) -> list[PlannedItem]:
    stage = load_template(view.template).stage(run.stage)
    today = local_date(now)
    cal, hol = view.calendar, view.holidays
    link = f"{public_url}/eingabe/{view.slug}/{run.stage}"
    subject = str(run.id)
    shared = {"network": view.slug, "network_name": view.name, "link": link, "stage_title": stage.title,
              "stage_description": stage.description}
    timings = {flag: _member_timings(run, stage, flag, now, cal, hol) for flag in (False, True)}
    items = []
    for r in view.members:
        person = {"contact_name": r.contact_name, "organisation": r.organisation}
        for kind, item_subject, due, send_after, extra in timings[r.is_school]:
            items.append(PlannedItem(
                key=idempotency_key(r.contact_id, item_subject, kind, due), recipient=r, kind=kind,
                subject=item_subject, due=due, send_after=send_after, stage=run.stage,
                context=shared | person | extra,
            ))
    if run.state == StageState.open and run.due is not None:
        level = escalation_level(run.due, today, cal)
        targets = [(1, r) for r in view.coordinators] + [(2, r) for r in owners if level >= 2]
        late = cal.business_days_between(run.due, today)
        dashboard = f"{public_url}/verbund/{view.slug}/stufe/{run.stage}"  # they act in the dashboard
        for target_level, r in targets if level else []:
            ctx = _base(view, r, dashboard) | {"stage_title": stage.title, "due": run.due.isoformat(),
                                               "level": target_level, "late_days": late, "reason": "overdue",
                                               "reason_title": f"„{stage.title}“ überfällig"}
            items.append(plan_item(r, OutboxKind.escalation, f"{subject}:level{target_level}", run.due,
                                   now, cal, hol, run.stage, ctx))
    return items


def _consultation_items(
    view: _NetworkView, meeting: Consultation, now: dt.datetime, public_url: str
) -> list[PlannedItem]:
    if meeting.starts_at <= now or meeting.status == ConsultationStatus.held:
        return []
    cancelled = meeting.status == ConsultationStatus.cancelled
    if cancelled and meeting.sequence == 0:
        return []
    kind = OutboxKind.consultation_changed if meeting.sequence > 0 or cancelled else OutboxKind.invitation
    subject = f"{meeting.id}:{meeting.sequence}" + (":cancel" if cancelled else "")
    day = local_date(meeting.starts_at)
    link = f"{public_url}/eingabe/{view.slug}/consultation"
    ics = {"uid": f"{meeting.id}@verbund", "sequence": meeting.sequence, "starts_at": meeting.starts_at.isoformat(),
           "place": meeting.place, "cancelled": cancelled}
    return [
        plan_item(r, kind, subject, day, now, view.calendar, view.holidays, "consultation",
                  _base(view, r, link) | ics)
        for r in view.members
    ]


def _protocol_items(view: _NetworkView, minutes: Protocol, now: dt.datetime, public_url: str) -> list[PlannedItem]:
    link = f"{public_url}/eingabe/{view.slug}/protocol"
    if minutes.status == ProtocolStatus.circulated and minutes.objection_deadline and minutes.circulated_at:
        if local_date(now) > minutes.objection_deadline:
            return []
        kind, day, since = OutboxKind.protocol_circulated, minutes.objection_deadline, minutes.circulated_at
        extra: dict[str, Any] = {"objection_deadline": day.isoformat()}
    elif minutes.status == ProtocolStatus.published and minutes.published_at:
        kind, day, since = OutboxKind.protocol_published, local_date(minutes.published_at), minutes.published_at
        extra = {"content_hash": (minutes.content_hash or "")[:16]}
    else:
        return []
    return [plan_item(r, kind, str(minutes.id), day, since, view.calendar, view.holidays, "protocol",
                      _base(view, r, link) | extra) for r in view.members]


def collect(
    session: Session, now: dt.datetime, public_url: str, network: str | None = None,
    ferien: Calendars | None = None,
) -> list[tuple[uuid.UUID, PlannedItem]]:
    """Every item relevant at ``now``, as (network id, item). Reads only; stores nothing."""
    views = _networks(session, now, network, ferien if ferien is not None else Calendars(session))
    ids = [view.id for view in views]
    runs: dict[uuid.UUID, list[StageRun]] = defaultdict(list)
    active = (StageState.open, StageState.ready)
    for run in session.exec(select(StageRun).where(col(StageRun.network_id).in_(ids), col(StageRun.state).in_(active))):
        runs[run.network_id].append(run)
    meetings = {m.network_id: m for m in session.exec(
        select(Consultation).where(col(Consultation.network_id).in_(ids)))}
    protocols = {p.network_id: p for p in session.exec(select(Protocol).where(col(Protocol.network_id).in_(ids)))}
    owners = _process_owners(session)
    planned: list[tuple[uuid.UUID, PlannedItem]] = []
    for view in views:
        items = [item for run in runs.get(view.id, [])
                 for item in _stage_items(view, run, now, public_url, owners.get(view.region_id, []))]
        if view.id in meetings:
            items += _consultation_items(view, meetings[view.id], now, public_url)
        if view.id in protocols:
            items += _protocol_items(view, protocols[view.id], now, public_url)
        planned += [(view.id, item) for item in items]
    return planned


LinkSigner = Callable[[PlannedItem], "str | None"]


def store(session: Session, planned: list[tuple[uuid.UUID, PlannedItem]], now: dt.datetime,
          networks: list[uuid.UUID] | None = None, *, write: bool = True, link: LinkSigner | None = None,
          suppress_stale: bool = True) -> PlanReport:
    """Insert the items with new keys, suppress pending ones that are no longer planned
    (``write=False``: only count what would be inserted and suppressed). ``link`` gives a new item
    that will be sent its recipient's signed link (signed only for new rows: planning stays cheap).
    ``suppress_stale=False``: only add (an announcement's items, planned apart from the sweep)."""
    report = PlanReport()
    wanted = {item.key for _nid, item in planned}
    keys = select(OutboxItem.key)
    pending = select(OutboxItem.id, OutboxItem.key, OutboxItem.subject).where(
        OutboxItem.status == OutboxStatus.pending,
        OutboxItem.kind != OutboxKind.announcement)  # planned when made (services.messaging.announcements), never stale
    if networks is not None:
        keys = keys.where(col(OutboxItem.network_id).in_(networks))
        pending = pending.where(col(OutboxItem.network_id).in_(networks))
    known = set(session.exec(keys).all())
    stale = [row_id for row_id, key, subject in session.exec(pending).all()
             if key not in wanted and not subject.startswith(FAILURE_PREFIX)] if suppress_stale else []
    rows = []
    seen: set[str] = set()
    for network_id, item in planned:
        if item.key in known or item.key in seen:
            continue
        seen.add(item.key)
        reachable = item.recipient.has_channel
        if not reachable:
            report.without_channel.append(str(item.recipient.contact_id))
        signed = link(item) if link is not None and reachable else None
        rows.append({
            "key": item.key, "delivery": None, "contact_id": item.recipient.contact_id,
            "network_id": network_id, "stage": item.stage, "subject": item.subject, "kind": str(item.kind),
            "due": item.due, "send_after": item.send_after, "attempts": 0, "created_at": now,
            "status": OutboxStatus.pending if reachable else OutboxStatus.suppressed,
            "last_error": None if reachable else NO_CHANNEL,
            "context": item.context | {"key": item.key} | ({"link": signed} if signed else {}),
            "claimed_at": None, "sent_at": None,
        })
    if rows and write:
        for row in rows:
            row["id"] = uuid.uuid4()
        session.connection().execute(insert(OUTBOX), rows)  # Core executemany: no ORM bookkeeping per row
        changed = {row["network_id"] for row in rows if isinstance(row["network_id"], uuid.UUID)}
        bump(session, networks=changed)  # issue 20: the pages' message counts: the pages' message counts
    if stale and write:
        for chunk in range(0, len(stale), 500):
            ids = stale[chunk:chunk + 500]
            bump(session, networks=session.execute(
                sa_select(col(OutboxItem.network_id)).where(col(OutboxItem.id).in_(ids)).distinct()).scalars())
            session.execute(update(OutboxItem).where(col(OutboxItem.id).in_(ids))
                            .values(status=OutboxStatus.suppressed, last_error=STALE))
    report.planned = sum(1 for row in rows if row["status"] == OutboxStatus.pending)
    report.suppressed = len(stale) + len(rows) - report.planned
    report.without_channel = sorted(set(report.without_channel))
    return report


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Planning allocates a few objects per contact and frees none until it ends: the cyclic garbage
    collector would walk the growing heap again and again (over half the time at 40,000 contacts)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _message_links(app: App) -> LinkSigner:
    """Each partner item's link, signed for its recipient (escalations keep their dashboard link)."""
    signing_key(app)  # read or create the key now, not from inside the planning transaction

    def signed(item: PlannedItem) -> str | None:
        if item.kind == OutboxKind.escalation or item.stage is None:
            return None
        return message_link(app, item.recipient.contact_id, str(item.context["network"]), item.stage,
                            item.send_after, info_only=item.kind == OutboxKind.protocol_published)

    return signed


def plan(app: App, now: dt.datetime, *, network: str | None = None, dry_run: bool = False) -> PlanReport:
    """Plan the sweep at ``now`` and store it (``dry_run``: decide and count, store nothing)."""
    signer = None if dry_run else _message_links(app)
    with _without_cycle_collection(), app.uow(write=True) as uow:
        serialize(uow.session, OUTBOX_LOCK)  # concurrent sweeps: the second plans after the first's commit
        ferien = Calendars(uow.session)
        planned = collect(uow.session, now, app.notification_settings.public_url, network, ferien)
        ids = None if network is None else list({nid for nid, _item in planned})
        report = store(uow.session, planned, now, ids, write=not dry_run, link=signer)
        report.warnings = ferien.warnings()
        if not dry_run:
            uow.commit()
    return report
