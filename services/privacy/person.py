"""Who a privacy request is about, and every place the database holds something of that person.

A person is a contact (Ansprechperson) or a dashboard user. What identifies them in the data:
their row's id (in the columns that refer to it), and in free text their name, e-mail address,
channel URLs (also the ones switched off) and the signed links minted for them (a link's token
begins with the base64 of the contact id). ``occurrences`` finds each of these in every table of
the domain database, text and JSON columns alike (JSON is stored with ``\\u`` escapes: both forms
are searched), so that the export and the erasure see the same places.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, Uuid, cast, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

import verbund.domain.tables  # noqa: F401 - registers every table in the metadata
from verbund.domain.access import ChannelOptOut, DashboardUser
from verbund.domain.actors import ACTOR_COLUMNS, ref
from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Contact
from verbund.domain.names import name_pattern, person_key

ERASED = "[gelöscht]"
MIN_NAME = 4  # shorter names would match unrelated words in free text
TOKEN = re.compile(r"\?t=[A-Za-z0-9_\-.]+")


@dataclass(frozen=True)
class Person:
    """The subject of a request; ``needles`` are the strings that identify them in free text."""

    kind: str  # "contact" | "user"
    id: uuid.UUID
    name: str
    email: str | None
    needles: tuple[str, ...]
    token_prefix: str | None = None
    channels: tuple[str, ...] = ()
    organisation_id: uuid.UUID | None = None
    organisation: str | None = None  # a name alone may be a namesake's: it counts beside the organisation

    context: frozenset[uuid.UUID] = frozenset()  # the organisation, its contacts and its networks

    @property
    def erased(self) -> bool:
        return self.name == ERASED

    @property
    def name_pattern(self) -> re.Pattern[str] | None:
        """The person's name in any of its spellings (``domain.names``), for a name of two words or more."""
        return None if self.erased or len(self.name.strip()) < MIN_NAME else name_pattern(self.name)

    def mentions(self, text: str) -> list[str]:
        """What of the person ``text`` holds: the name (as ``self.name``, however it is spelled there), the
        address or a channel, and ``"link"`` for a link token signed for them."""
        lowered = text.casefold()
        hits = [n for n in self.needles if n != self.name and n.casefold() in lowered]
        pattern = self.name_pattern
        if self.name in self.needles and (self.name.casefold() in lowered or (pattern and pattern.search(text))):
            hits.insert(0, self.name)
        if self.token_prefix and self.token_prefix in text:
            hits.append("link")
        return hits

    def search_terms(self) -> list[str]:
        """Substrings a row must contain to be worth matching (a database's LIKE): the needles in both
        JSON forms, the link prefix, and for the name its longest word (other spellings share it up to
        its first umlaut)."""
        terms = [form for needle in self.needles for form in _forms(needle)]
        terms += [self.token_prefix] if self.token_prefix else []
        if self.name in self.needles and self.name_pattern is not None:
            longest = max(person_key(self.name), key=len)
            stem = re.split(r"ae|oe|ue|ss", longest)[0]
            terms += [stem] if len(stem) >= 3 else []
        return list(dict.fromkeys(terms))

    def qualified(self, hits: list[str], text: str, row: Any) -> bool:
        """Whether the hits are this person's: an address, channel or link, or the name in the organisation's
        context (the row's contact, organisation or network is the organisation's, or the row names it)."""
        if any(hit != self.name for hit in hits):
            return True
        refs = (getattr(row, name, None) for name in ("contact_id", "organisation_id", "network_id"))
        if any(ref is not None and (ref == self.id or ref in self.context) for ref in refs):
            return True
        return bool(self.organisation) and str(self.organisation).casefold() in text.casefold()


@dataclass
class Occurrence:
    """One column of one row that holds something of the person (``via``: what matched)."""

    table: str
    column: str
    key: dict[str, str]
    via: list[str] = field(default_factory=list)
    frozen: bool = False  # text of an approved protocol: kept (Art. 17(3)(b)/(e) DSGVO)
    uncertain: bool = False  # the name alone, in another organisation's context: possibly a namesake

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "column": self.column, "key": self.key, "via": self.via, "frozen": self.frozen,
                "uncertain": self.uncertain}


def token_prefix(contact_id: uuid.UUID) -> str:
    """The first 48 characters of every link token signed for the contact (``services.inputs.links``)."""
    return base64.urlsafe_b64encode(str(contact_id).encode("ascii")).rstrip(b"=").decode("ascii")


def _needles(name: str, email: str | None, channels: list[str]) -> tuple[str, ...]:
    found = [name.strip()] if len(name.strip()) >= MIN_NAME and name.strip() != ERASED else []
    found += [email.strip()] if email else []
    found += [c for c in channels if c]
    return tuple(dict.fromkeys(found))


def contact_person(session: Session, contact: Contact) -> Person:
    from verbund.domain.models import Membership, Organisation

    organisation = session.get(Organisation, contact.organisation_id)
    org_id = contact.organisation_id
    context = {org_id, *session.exec(select(Contact.id).where(col(Contact.organisation_id) == org_id)).all(),
               *session.exec(select(Membership.network_id).where(col(Membership.organisation_id) == org_id)).all()}
    opted_out = session.exec(select(ChannelOptOut.channel).where(col(ChannelOptOut.contact_id) == contact.id)).all()
    channels = [*contact.channels, *opted_out]
    return Person("contact", contact.id, contact.name, contact.email,
                  _needles(contact.name, contact.email, channels), token_prefix(contact.id), tuple(channels),
                  contact.organisation_id, organisation.name if organisation else None, frozenset(context))


def user_person(user: DashboardUser) -> Person:
    return Person("user", user.id, user.name or user.email, user.email, _needles(user.name, user.email, []))


def find_user(session: Session, email: str) -> DashboardUser:
    key = email.strip().lower()
    user = session.exec(select(DashboardUser).where(col(DashboardUser.email) == key)).first()
    if user is None:
        try:
            user = session.get(DashboardUser, uuid.UUID(key))
        except ValueError:
            user = None
    if user is None:
        raise NotFound("Benutzer", email)
    return user


def find_person(session: Session, *, contact: str | None = None, email: str | None = None,
                user: str | None = None) -> Person:
    """The person named by exactly one of ``--contact`` (id), ``--email`` (contact or user), ``--user``."""
    from verbund.services.directory.contacts import find_contact

    given = [v for v in (contact, email, user) if v]
    if len(given) != 1:
        raise InvalidInput("genau eine Angabe: --contact KENNUNG, --email ADRESSE oder --user ADRESSE")
    if contact:
        return contact_person(session, find_contact(session, contact))
    if user:
        return user_person(find_user(session, user))
    assert email is not None
    try:
        return contact_person(session, find_contact(session, email))
    except NotFound:
        return user_person(find_user(session, email))


def _forms(needle: str) -> tuple[str, ...]:
    escaped = json.dumps(needle)[1:-1]
    return (needle,) if escaped == needle else (needle, escaped)


def tables() -> Iterator[Table]:
    for table in SQLModel.metadata.sorted_tables:
        if table.name != "alembic_version":
            yield table


def _text_columns(table: Table) -> list[Column[Any]]:
    def textual(kind: Any) -> bool:
        inner = getattr(kind, "impl", kind)  # sqlmodel's AutoString decorates String
        return isinstance(kind, (String, Text, JSON)) or isinstance(inner, (String, Text, JSON))

    return [c for c in table.columns if textual(c.type) and not c.primary_key]


def _id_columns(table: Table, kind: str) -> list[Column[Any]]:
    target = "contact" if kind == "contact" else "dashboarduser"
    return [c for c in table.columns if isinstance(c.type, Uuid)
            and any(fk.column.table.name == target for fk in c.foreign_keys)]


def _key(table: Table, row: Any) -> dict[str, str]:
    return {c.name: str(getattr(row, c.name)) for c in table.primary_key.columns}


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _matches(value: Any, person: Person) -> list[str]:
    return person.mentions(as_text(value))


def _frozen(table: Table, column: str, row: Any) -> bool:
    return table.name == "protocol" and column == "body" and getattr(row, "approved_at", None) is not None


def occurrences(session: Session, person: Person) -> list[Occurrence]:
    """Every (table, column, row) holding the person's id, name, address, channel or link token."""
    found: list[Occurrence] = []
    needles = person.search_terms()
    for table in tables():
        text_columns = _text_columns(table)
        id_columns = _id_columns(table, person.kind)
        ref_columns = [c for c in text_columns if c.name.removesuffix("_ref") in ACTOR_COLUMNS.get(table.name, ())]
        reference = ref(person.kind, person.id)
        conditions = [c == person.id for c in id_columns] + [c == reference for c in ref_columns]
        # any case; as given too, for SQLite's lower() folds ASCII only ("Ö")
        conditions += [func.lower(cast(c, Text)).contains(n.lower(), autoescape=True)
                       for c in text_columns for n in needles]
        conditions += [cast(c, Text).contains(n, autoescape=True) for c in text_columns for n in needles
                       if n.lower() != n]
        if not conditions:
            continue
        for row in session.connection().execute(sa_select(table).where(or_(*conditions))):
            key = _key(table, row)
            for column in id_columns:
                if getattr(row, column.name) == person.id:
                    found.append(Occurrence(table.name, column.name, key, ["id"]))
            for column in ref_columns:  # who acted, by reference (domain.actors)
                if getattr(row, column.name) == reference:
                    found.append(Occurrence(table.name, column.name, key, ["id"]))
            for column in text_columns:
                value = getattr(row, column.name)
                hits = _matches(value, person) if value is not None else []
                if hits:
                    found.append(Occurrence(table.name, column.name, key, hits, _frozen(table, column.name, row),
                                            not person.qualified(hits, as_text(dict(row._mapping)), row)))
    return found


def key_condition(table: Table, key: dict[str, str]) -> list[Any]:
    """The WHERE clause of one row from its ``Occurrence.key``."""
    def typed(column: str, value: str) -> Any:
        return uuid.UUID(value) if isinstance(table.c[column].type, Uuid) else value

    return [table.c[k] == typed(k, v) for k, v in key.items()]


def mask_tokens(text: str) -> str:
    """Signed link tokens replaced by ``?t=…`` (an export or a log shows where a link went, not the key)."""
    return TOKEN.sub("?t=…", text)
