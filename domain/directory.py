"""The directory: partner organisations' extra fields, contacts' dated events, coordinator invitations.

Glossary: Verzeichnis → directory; Partnerorganisation → ``Organisation`` of a non-school kind;
landesweiter Partner → ``Organisation.land_wide`` (one organisation, e.g. a Regionaldirektion der
Bundesagentur, serving networks of several regions of its Land); Ansprechperson → ``Contact``;
Einladung → ``Invitation`` (one-time link that lets a coordinator set a password).

A contact's activation and deactivation are dated events (``ContactEvent``), so "who was active on
a past day" is answered from the events, not from the current flag. Every change of a contact is an
event naming *which* fields changed, never their old or new values.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from verbund.domain.columns import JSONList, UTCDateTime, new_id

PARTNER_SOURCE = "verzeichnis"  # ``Organisation.source`` of partners registered in the directory
CONTACT_FIELDS = ("name", "function", "email", "channels", "organisation")
MAIL_SCHEMES = frozenset({"mailto", "mailtos"})


class ContactAction(StrEnum):
    created = "created"
    edited = "edited"
    deactivated = "deactivated"
    activated = "activated"


class ContactEvent(SQLModel, table=True):
    """A dated event of a contact: created (= activated), edited (which fields), deactivated, activated."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    contact_id: uuid.UUID = Field(foreign_key="contact.id", index=True)
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    actor_ref: str | None = Field(default=None, index=True)  # domain.actors
    action: str
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))


class Invitation(SQLModel, table=True):
    """A one-time, expiring link for a new coordinator; ``id`` is the SHA-256 of the token."""

    id: str = Field(primary_key=True)
    email: str = Field(index=True)
    name: str = ""
    role: str
    scope_kind: str
    scope_value: str
    created_by: str
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names of the fields whose values differ (values themselves are never recorded)."""
    return [name for name in after if before.get(name) != after[name]]


def active_at(events: Iterable[ContactEvent], at: dt.datetime) -> bool:
    """Whether the contact was active at ``at``: the latest activation/deactivation up to then decides.

    A contact stored before events existed (no ``created`` event) counts as active from the start.
    """
    ordered = sorted(events, key=lambda e: e.at)
    state = not any(event.action == ContactAction.created for event in ordered)
    for event in ordered:
        if event.at > at:
            break
        if event.action in (ContactAction.created, ContactAction.activated):
            state = True
        elif event.action == ContactAction.deactivated:
            state = False
    return state


def mailbox_for(email: str) -> str:
    """The ``local://`` mailbox of an address: its local part, lowercased, unusual characters as ``-``."""
    local = email.strip().lower().split("@", 1)[0]
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "-" for ch in local)
    return cleaned.strip("-._")[:120] or "postfach"
