"""The outbox (one row per intended message item) and the pure rules that decide when to send.

An item is identified by an idempotency key over (contact, subject, kind, date): planning the same
domain state twice yields the same keys, so re-planning never duplicates. Sending happens only on
business days of the Land between 08:00 and 18:00 Europe/Berlin; reminders to schools wait for
the end of the Land's school holidays (Schulferien, ``domain.ferien``), and a
school's due date that falls in them moves to the first school day after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from verbund.domain.business_days import BERLIN, BusinessCalendar, local_date
from verbund.domain.columns import JSONList, UTCDateTime, new_id
from verbund.domain.ferien import SchoolHolidays, merge, parse_school_holidays_csv, school_holidays


class OutboxKind(StrEnum):
    stage_opened = "stage_opened"
    reminder = "reminder"
    overdue = "overdue"
    escalation = "escalation"
    invitation = "invitation"
    consultation_changed = "consultation_changed"
    protocol_circulated = "protocol_circulated"
    protocol_published = "protocol_published"
    announcement = "announcement"  # a coordinator's free-text message (issue 13), planned when made


class OutboxStatus(StrEnum):
    pending = "pending"
    claimed = "claimed"
    sent = "sent"
    failed = "failed"
    suppressed = "suppressed"


SCHOOL_KINDS = frozenset({"public_school", "private_school"})
# Kinds that wait for the end of the school holidays when the recipient is a school.
HOLIDAY_SENSITIVE = frozenset({OutboxKind.reminder, OutboxKind.overdue})
QUIET_UNTIL = dt.time(8, 0)  # nothing is sent before 08:00 ...
QUIET_FROM = dt.time(18, 0)  # ... nor from 18:00 on (Europe/Berlin)
MAX_ATTEMPTS = 4
BACKOFF = (dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2))
ESCALATE_TO_COORDINATOR_AFTER = 3  # business days overdue
ESCALATE_TO_PROCESS_OWNER_AFTER = 10


class OutboxItem(SQLModel, table=True):
    """One intended message item for one contact; items merged into one message share ``delivery``."""

    # messages sent / failed per network on the dashboard's overview, from the index alone (issue 5)
    __table_args__ = (Index("ix_outboxitem_network_status", "network_id", "status"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    key: str = Field(unique=True, index=True)
    delivery: str | None = Field(default=None, index=True)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", index=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    stage: str | None = None
    subject: str  # what the item is about: a stage run, a consultation version, a protocol, a failed key
    kind: str
    due: dt.date
    send_after: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    status: str = Field(default=OutboxStatus.pending, index=True)
    attempts: int = 0
    last_error: str | None = None
    claimed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONList, nullable=False))


def idempotency_key(contact_id: uuid.UUID | str, subject: str, kind: str, due: dt.date) -> str:
    """Deterministic key of one item: the same (contact, subject, kind, date) always gives it."""
    raw = f"{contact_id}|{subject}|{kind}|{due.isoformat()}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def delivery_id(contact_id: uuid.UUID | str, day: dt.date) -> str:
    """The one message a contact receives on ``day`` (the digest of that day's items)."""
    return hashlib.sha256(f"{contact_id}|{day.isoformat()}".encode()).hexdigest()[:24]


def parse_school_holidays(text: str, state: str, where: str = "schulferien.csv") -> SchoolHolidays:
    """Rows ``land,name,first_day,last_day`` of ``state`` as a calendar of their own; errors name the line."""
    return merge(state, [parse_school_holidays_csv(text, state, where)])


def in_send_window(at: dt.datetime, calendar: BusinessCalendar) -> bool:
    local = at.astimezone(BERLIN)
    return calendar.is_business_day(local.date()) and QUIET_UNTIL <= local.time() < QUIET_FROM


def next_send_slot(
    at: dt.datetime, calendar: BusinessCalendar, holidays: SchoolHolidays | None = None
) -> dt.datetime:
    """``at`` if it is inside a sending window, else the start of the next one (08:00 of the next
    business day, and outside ``holidays`` when given). Returns an aware datetime."""
    local = at.astimezone(BERLIN)
    day = local.date()

    def allowed(candidate: dt.date) -> bool:
        return calendar.is_business_day(candidate) and not (holidays and holidays.contains(candidate))

    if allowed(day) and local.time() < QUIET_FROM:
        if local.time() >= QUIET_UNTIL:
            return at
        return dt.datetime.combine(day, QUIET_UNTIL, tzinfo=BERLIN)
    day += dt.timedelta(days=1)
    while not allowed(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, QUIET_UNTIL, tzinfo=BERLIN)


def retry_at(now: dt.datetime, attempts: int, calendar: BusinessCalendar) -> dt.datetime:
    """When a failed delivery is tried again after ``attempts`` attempts (backoff, then the next slot)."""
    delay = BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts > 0 else BACKOFF[0]
    return next_send_slot(now + delay, calendar)


def due_for(due: dt.date, is_school: bool, calendar: BusinessCalendar, holidays: SchoolHolidays) -> dt.date:
    """A recipient's due date: a school's due date inside the holidays moves to the first school day after."""
    if is_school and holidays.contains(due):
        return holidays.first_school_day(due, calendar)
    return due


def reminder_day(
    due: dt.date, offsets: tuple[int, ...], today: dt.date, calendar: BusinessCalendar
) -> tuple[int, dt.date] | None:
    """The latest reminder (business days before ``due``) that has come by ``today``, if ``today <= due``."""
    if today > due:
        return None
    reached = [(offset, calendar.add_business_days(due, -offset)) for offset in offsets]
    reached = [(offset, day) for offset, day in reached if day <= today]
    return min(reached, key=lambda pair: pair[0]) if reached else None


def escalation_level(due: dt.date, today: dt.date, calendar: BusinessCalendar) -> int:
    """0 (none), 1 (to the coordinator) or 2 (also to the process owner) by business days overdue."""
    late = calendar.business_days_between(due, today)
    if late >= ESCALATE_TO_PROCESS_OWNER_AFTER:
        return 2
    return 1 if late >= ESCALATE_TO_COORDINATOR_AFTER else 0


@dataclass(frozen=True)
class Recipient:
    """A contact of a member organisation, as planning sees it."""

    contact_id: uuid.UUID
    contact_name: str
    organisation: str
    organisation_kind: str
    has_channel: bool

    @property
    def is_school(self) -> bool:
        return self.organisation_kind in SCHOOL_KINDS


@dataclass
class PlannedItem:
    """What planning decided: an item for one recipient (not yet stored)."""

    key: str
    recipient: Recipient
    kind: str
    subject: str
    due: dt.date
    send_after: dt.datetime
    stage: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


def plan_item(
    recipient: Recipient, kind: str, subject: str, due: dt.date, earliest: dt.datetime,
    calendar: BusinessCalendar, holidays: SchoolHolidays, stage: str | None = None,
    context: dict[str, Any] | None = None,
) -> PlannedItem:
    """One item for one recipient, its send time moved into the next allowed slot."""
    waits_for_school = recipient.is_school and kind in HOLIDAY_SENSITIVE
    send_after = next_send_slot(earliest, calendar, holidays if waits_for_school else None)
    return PlannedItem(
        key=idempotency_key(recipient.contact_id, subject, kind, due), recipient=recipient, kind=kind,
        subject=subject, due=due, send_after=send_after, stage=stage, context=dict(context or {}),
    )


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, QUIET_UNTIL, tzinfo=BERLIN)


__all__ = [
    "BACKOFF", "MAX_ATTEMPTS", "OutboxItem", "OutboxKind", "OutboxStatus", "PlannedItem", "Recipient",
    "SchoolHolidays", "day_start", "delivery_id", "due_for", "escalation_level", "idempotency_key",
    "in_send_window", "local_date", "next_send_slot", "parse_school_holidays", "plan_item", "reminder_day",
    "retry_at", "school_holidays",
]
