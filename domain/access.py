"""Who may use the dashboard, and partners' own settings.

Glossary: Prozessverantwortliche → ``process_owner`` (scope: a region or a Land); Koordination →
``coordinator`` (scope: networks); Ministerium → ``ministry`` (reads everything); Vertretung →
``StandIn`` (a coordinator's stand-in for an absence) and ``StageDeputy`` (the deputy an
organisation names for one stage through a partner link; ``ContactDeputy`` is its predecessor, kept
for history). Partners have no account: they act through signed links (``services.inputs.links``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from verbund.domain.business_days import BERLIN
from verbund.domain.columns import UTCDateTime, new_id


class UserRole(StrEnum):
    ministry = "ministry"
    process_owner = "process_owner"
    coordinator = "coordinator"


ROLE_LABELS = {"ministry": "Ministerium", "process_owner": "Prozessverantwortliche", "coordinator": "Koordination"}


class ScopeKind(StrEnum):
    land = "land"  # value: Land code (SN, NW, HE)
    region = "region"  # value: region slug
    network = "network"  # value: network slug


class DashboardUser(SQLModel, table=True):
    """A person who logs in to the dashboard; the password is stored as an scrypt hash."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str = ""
    role: str
    password_hash: str
    active: bool = True
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserScope(SQLModel, table=True):
    """What a user is responsible for: a Land, a region or a network (by code or slug)."""

    __table_args__ = (UniqueConstraint("user_id", "kind", "value"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="dashboarduser.id", index=True)
    kind: str
    value: str


class UserSession(SQLModel, table=True):
    """A login session; ``id`` is the SHA-256 of the cookie's token (the token itself is never stored)."""

    id: str = Field(primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="dashboarduser.id", index=True)
    csrf: str
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class StandIn(SQLModel, table=True):
    """A coordinator's stand-in: acts for the coordinator's networks from ``valid_from`` until ``valid_to``."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    coordinator_id: uuid.UUID = Field(foreign_key="dashboarduser.id", index=True)
    stand_in_id: uuid.UUID = Field(foreign_key="dashboarduser.id", index=True)
    valid_from: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_to: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str

    def active_at(self, at: dt.datetime) -> bool:
        return stand_in_active(self.valid_from, self.valid_to, at)


def stand_in_active(valid_from: dt.datetime, valid_to: dt.datetime, at: dt.datetime) -> bool:
    """The one rule of when a stand-in acts (``StandIn.active_at``, and the dashboard's reader on its
    plain rows, ``services.access.page_view``): from ``valid_from`` on, up to but not including
    ``valid_to`` (never open-ended: ``valid_to`` is required). Aware instants, compared as such."""
    return valid_from <= at < valid_to


def stand_in_end(last_day: dt.date) -> dt.datetime:
    """``valid_to`` of a stand-in "until the end of ``last_day``" (``bis einschließlich``, docs/dashboard.md):
    the midnight in Europe/Berlin that starts the next day."""
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=BERLIN)


class ContactDeputy(SQLModel, table=True):
    """A partner contact's deputy (itself a contact of the same organisation)."""

    contact_id: uuid.UUID = Field(foreign_key="contact.id", primary_key=True)
    deputy_id: uuid.UUID = Field(foreign_key="contact.id")
    named_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


ACTIVE_DEPUTY = "ended_at IS NULL"


class StageDeputy(SQLModel, table=True):
    """The deputy an organisation named for one stage of one network (issue 15): at most one active
    (``ended_at`` empty) per organisation and stage, by a partial unique index; naming another ends
    it. The deputy is a contact of the same organisation, so they receive the stage's messages."""

    __table_args__ = (
        Index("ux_stagedeputy_one_active", "organisation_id", "network_id", "stage", unique=True,
              sqlite_where=text(ACTIVE_DEPUTY), postgresql_where=text(ACTIVE_DEPUTY)),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    network_id: uuid.UUID = Field(foreign_key="network.id")
    stage: str
    deputy_id: uuid.UUID = Field(foreign_key="contact.id", index=True)
    named_by: uuid.UUID = Field(foreign_key="contact.id")
    named_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class ChannelOptOut(SQLModel, table=True):
    """A channel a contact switched off: moved out of ``Contact.channels``, kept here to switch it on again."""

    __table_args__ = (UniqueConstraint("contact_id", "channel"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", index=True)
    channel: str = Field(sa_column=Column(Text, nullable=False))
    opted_out_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AppSecret(SQLModel, table=True):
    """Generated secrets (the partner links' signing key when ``VERBUND_SECRET_KEY`` is unset)."""

    name: str = Field(primary_key=True)
    value: str
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account (hashed e-mail, whether or not it exists) and per client address."""

    key: str = Field(primary_key=True)  # "account:<sha256>" | "client:<address>"
    failures: int = 0
    blocked_until: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_failure_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
