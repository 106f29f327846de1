"""Use cases of the constitutive consultation: schedule, invite, move, cancel, hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import Session, select

from verbund.domain.errors import InvalidInput
from verbund.domain.formatting import local_time
from verbund.domain.models import Network
from verbund.domain.work import Attendance, Consultation, ConsultationStatus, Goal
from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import network_by_slug
from verbund.services.app.usecase import change
from verbund.services.directory.member_scope import require_member
from verbund.services.stages.stage_gate import require_not_held, require_open

STAGE = "consultation"


@dataclass
class AttendanceInput:
    organisation_id: str
    present: bool
    represented_by: str | None = None


@dataclass
class HoldInput:
    attendance: list[AttendanceInput]
    decisions: list[str] = field(default_factory=list)
    confirm_goals: bool = True


def _consultation(session: Session, network: Network) -> Consultation:
    found = session.exec(select(Consultation).where(Consultation.network_id == network.id)).first()
    if found is None:
        raise InvalidInput(f"Verbund '{network.slug}': keine Beratung angesetzt")
    return found


def schedule_consultation(
    app: App, network_slug: str, *, starts_at: dt.datetime, place: str, by: str, at: dt.datetime | None = None
) -> None:
    """Schedule the consultation, or move it (a move raises SEQUENCE and needs new invitations)."""
    at = at or app.now()
    if starts_at.tzinfo is None:
        raise InvalidInput("Beginn der Beratung: Zeitpunkt ohne Zeitzone")
    if starts_at <= at:
        raise InvalidInput(f"Beginn der Beratung {local_time(starts_at)} liegt nicht in der Zukunft")
    if not place.strip():
        raise InvalidInput("Ort der Beratung fehlt")
    with change(app, at) as work:
        session = work.session
        network = network_by_slug(session, network_slug)
        require_open(session, network, STAGE)
        found = session.exec(select(Consultation).where(Consultation.network_id == network.id)).first()
        require_not_held(session, network, found)
        action = "scheduled" if found is None else "moved"
        if found is None:
            found = Consultation(network_id=network.id, starts_at=starts_at, place=place)
        else:
            found.starts_at, found.place, found.sequence = starts_at, place, found.sequence + 1
            found.status, found.invitations_sent_at = ConsultationStatus.scheduled, None
        session.add(found)
        work.audit(network, by, STAGE, "consultation", action, f"{local_time(starts_at)} · {place}")
        work.touch(network, STAGE)


def record_invitations_sent(app: App, network_slug: str, *, by: str, at: dt.datetime | None = None) -> None:
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _consultation(work.session, network)
        require_not_held(work.session, network, found)
        found.invitations_sent_at = work.at
        work.session.add(found)
        work.audit(network, by, STAGE, "consultation", "invited")
        work.touch(network, STAGE)


def cancel_consultation(app: App, network_slug: str, *, reason: str, by: str, at: dt.datetime | None = None) -> None:
    with change(app, at) as work:
        network = network_by_slug(work.session, network_slug)
        require_open(work.session, network, STAGE)
        found = _consultation(work.session, network)
        if found.status == ConsultationStatus.held:
            raise InvalidInput(f"Verbund '{network_slug}': eine abgehaltene Beratung kann nicht abgesagt werden")
        found.status, found.sequence = ConsultationStatus.cancelled, found.sequence + 1
        work.session.add(found)
        work.audit(network, by, STAGE, "consultation", "cancelled", reason)
        work.touch(network, STAGE)


def hold_consultation(
    app: App, network_slug: str, held: HoldInput, *, by: str, at: dt.datetime | None = None
) -> None:
    """Record that the consultation took place: attendance, decisions, goals confirmed."""
    with change(app, at) as work:
        session, at = work.session, work.at
        network = network_by_slug(session, network_slug)
        require_open(session, network, STAGE)
        found = _consultation(session, network)
        require_not_held(session, network, found)
        if found.status == ConsultationStatus.cancelled:
            raise InvalidInput(f"Verbund '{network_slug}': die Beratung ist abgesagt")
        if at < found.starts_at:
            raise InvalidInput(f"Die Beratung beginnt erst am {local_time(found.starts_at)}")
        for item in held.attendance:
            org = require_member(session, network, item.organisation_id, at, "Anwesenheit")
            row = session.exec(
                select(Attendance).where(Attendance.consultation_id == found.id, Attendance.organisation_id == org.id)
            ).first() or Attendance(consultation_id=found.id, organisation_id=org.id, present=item.present)
            row.present, row.represented_by = item.present, item.represented_by
            session.add(row)
        found.status, found.held_at = ConsultationStatus.held, found.held_at or at
        found.decisions = list(held.decisions)
        session.add(found)
        if held.confirm_goals:
            for goal in session.exec(select(Goal).where(Goal.network_id == network.id)):
                if goal.confirmed_at is None:
                    goal.confirmed_at = at
                    session.add(goal)
        present = sum(1 for a in held.attendance if a.present)
        work.audit(network, by, STAGE, "consultation", "held", f"{present} von {len(held.attendance)} anwesend")
        work.touch(network, STAGE)
