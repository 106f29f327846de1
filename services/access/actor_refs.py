"""Actors by reference (``domain.actors``): resolved when a row is written, looked up when shown.

Writing: every unit of work's session resolves the person columns of new or changed rows before
the flush (``bind``). A text that is a reference (``contact:<id>``, ``user:<id>``: the partner door
passes its contact so) or that names exactly one contact or user (an e-mail address, or the name in
any of its spellings, ``domain.names``; ``Name (Organisation)`` narrows to the organisation) is
stored as the reference with an empty text; a name that matches nobody stays as typed, flagged
``unmatched``; ``system`` and the like stay as they are.

Showing: ``actor_names`` looks the references up in one go: a contact by name, a user by e-mail,
an erased one as "eine Ansprechperson von ORG, gelöscht am TT.MM.JJJJ" (no name is left to show).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func
from sqlalchemy.orm import attributes
from sqlmodel import Session, col, select

from verbund.domain.access import ROLE_LABELS, DashboardUser
from verbund.domain.actors import ACTOR_COLUMNS, UNMATCHED, is_person_text, match, parse_ref
from verbund.domain.directory import ContactEvent
from verbund.domain.models import Contact, Organisation
from verbund.domain.names import person_key, split_organisation
from verbund.domain.stages import AuditEvent

ERASED_NAME = "[gelöscht]"  # services.privacy.person.ERASED
_CACHE = "verbund.actor_refs"
BERLIN = ZoneInfo("Europe/Berlin")


def _contact_candidates(session: Session, text: str) -> list[tuple[Contact, str]]:
    name, _organisation = split_organisation(text)
    words = sorted(person_key(name), key=len, reverse=True)
    query = select(Contact, Organisation.name).join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
    plain = next((w for w in words if w.isascii()), None)  # SQLite's lower() folds ASCII only
    if plain:
        query = query.where(func.lower(Contact.name).contains(plain, autoescape=True))
    return [(c, org) for c, org in session.exec(query.where(col(Contact.name) != ERASED_NAME)).all()]


def match_person(session: Session, text: str) -> str | None:
    """The reference of the one contact or user that ``text`` names (``None``: nobody, or several)."""
    value = text.strip()
    if "@" in value and " " not in value:
        key = value.lower()
        users = session.exec(select(DashboardUser.id, DashboardUser.email, DashboardUser.name)
                             .where(col(DashboardUser.email) == key)).all()
        contacts = [] if users else session.exec(
            select(Contact.id, Contact.name, Contact.email, Organisation.name)
            .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
            .where(func.lower(Contact.email) == key)).all()
        return match(value, contacts, users)
    if len(person_key(split_organisation(value)[0])) < 2:
        return None
    candidates = [(c.id, c.name, c.email, org) for c, org in _contact_candidates(session, value)]
    users = session.exec(select(DashboardUser.id, DashboardUser.email, DashboardUser.name)
                         .where(col(DashboardUser.name) != "")).all()
    return match(value, candidates, users)


def resolve(session: Session, text: str | None) -> tuple[str | None, str | None]:
    """(text to store, reference) for a person column's value."""
    if text is None:
        return None, None
    if parse_ref(text.strip()) is not None:
        return "", text.strip()
    if not is_person_text(text):
        return text, None
    cache: dict[str, str | None] = session.info.setdefault(_CACHE, {})
    if text not in cache:
        cache[text] = match_person(session, text)
    found = cache[text]
    if found:
        return "", found
    return text, None if _organisation_named(session, text) else UNMATCHED


def _organisation_named(session: Session, text: str) -> bool:
    """An organisation acting (an objection before the partner door named its contact): no person."""
    key = " ".join(text.split())
    return session.exec(select(Organisation.id).where(col(Organisation.name) == key)).first() is not None


def _resolve_rows(session: Session, _context: Any, _instances: Any) -> None:
    with session.no_autoflush:
        for row in [*session.new, *session.dirty]:
            for column in ACTOR_COLUMNS.get(getattr(row, "__tablename__", ""), ()):
                if row not in session.new and not attributes.get_history(row, column).has_changes():
                    continue
                text, found = resolve(session, getattr(row, column))
                setattr(row, column, text)
                setattr(row, f"{column}_ref", found)


def bind(session: Session) -> None:
    """Resolve the person columns of every row this session writes (``services.app.uow``)."""
    event.listen(session, "before_flush", _resolve_rows)


def _erased_on(session: Session, kind: str, ids: set[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
    if kind == "contact":
        rows = session.exec(select(ContactEvent.contact_id, ContactEvent.at).where(
            col(ContactEvent.contact_id).in_(ids), col(ContactEvent.action) == "erased")).all()
        return dict(rows)
    events = session.exec(select(AuditEvent).where(col(AuditEvent.entity) == "user",
                                                   col(AuditEvent.action) == "erased")).all()
    return {uuid.UUID(e.detail["id"]): e.at for e in events if e.detail.get("id")}


def actor_names(session: Session, refs: Iterable[str | None]) -> dict[str, str]:
    """Display text of each person reference (the others are left out: their text is shown as stored)."""
    parsed = {value: found for value in set(refs) if value and (found := parse_ref(value))}
    by_kind: dict[str, set[uuid.UUID]] = {"contact": set(), "user": set()}
    for kind, person_id in parsed.values():
        by_kind[kind].add(person_id)
    shown: dict[tuple[str, uuid.UUID], str] = {}
    if by_kind["contact"]:
        erased = _erased_on(session, "contact", by_kind["contact"])
        for contact, org in session.exec(select(Contact, Organisation.name).join(
                Organisation, col(Organisation.id) == col(Contact.organisation_id)).where(
                col(Contact.id).in_(by_kind["contact"]))).all():
            shown["contact", contact.id] = contact.name if contact.name != ERASED_NAME else (
                f"eine Ansprechperson von {org}, gelöscht{_on(erased.get(contact.id))}")
    if by_kind["user"]:
        erased = _erased_on(session, "user", by_kind["user"])
        for user in session.exec(select(DashboardUser).where(col(DashboardUser.id).in_(by_kind["user"]))).all():
            shown["user", user.id] = user.email if user.name != ERASED_NAME else (
                f"ein Benutzer ({ROLE_LABELS.get(user.role, user.role)}), gelöscht{_on(erased.get(user.id))}")
    return {value: shown.get(found, "unbekannte Person") for value, found in parsed.items()}


def _on(at: dt.datetime | None) -> str:
    return f" am {at.astimezone(BERLIN):%d.%m.%Y}" if at else ""


def shown(text: str | None, found: str | None, names: dict[str, str]) -> str | None:
    """What to show for a person column: the looked-up name of its reference, else its text."""
    return names.get(found, text) if found else text


def named(session: Session, rows: Iterable[Any], column: str) -> list[str | None]:
    """The shown value of ``column`` for each row (one lookup for all)."""
    rows = list(rows)
    names = actor_names(session, (getattr(r, f"{column}_ref", None) for r in rows))
    return [shown(getattr(r, column), getattr(r, f"{column}_ref", None), names) for r in rows]
