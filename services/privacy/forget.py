"""Erasure (Art. 17 DSGVO): a contact or a dashboard user is forgotten, the audit trail stays whole.

A contact is deactivated as a dated event (so reports for earlier days stay the same); its name,
e-mail, function and channels (also the ones switched off) are removed; messages still waiting are
suppressed; its copies in the local mailbox are deleted; every other free text that names it (audit
actors and reasons, ``recorded_by``, attendance, objections, message contexts, other mailbox files)
gets ``[gelöscht]`` instead, and the tokens of its links are cut out. The frozen text of approved
protocols stays (Art. 17(3)(b)/(e)): the erasure records which ones. The erasure is itself an audit
event (entity ``contact`` or ``user``, action ``erased``) naming the request's id, never the data.
Afterwards the database is vacuumed, so no freed page keeps the old values (``compact``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from verbund.domain.access import ChannelOptOut, DashboardUser, UserSession
from verbund.domain.directory import ContactAction, ContactEvent, Invitation
from verbund.domain.errors import InvalidInput
from verbund.domain.models import Contact
from verbund.domain.outbox import OutboxItem, OutboxStatus
from verbund.services.app.bootstrap import App
from verbund.services.app.usecase import change
from verbund.services.app.versions import bump_all
from verbund.services.privacy.mail_copies import erase_files, mailbox_root, scrub
from verbund.services.privacy.person import (
    ERASED,
    Occurrence,
    Person,
    find_person,
    key_condition,
    occurrences,
    tables,
)

ERASED_FIELDS = ["name", "email", "function", "channels"]
WAITING = (OutboxStatus.pending, OutboxStatus.claimed)


@dataclass
class Erasure:
    kind: str
    id: str
    at: dt.datetime
    replaced: int = 0
    suppressed: int = 0
    files_deleted: int = 0
    files_scrubbed: int = 0
    kept_protocols: list[str] = field(default_factory=list)
    vacuumed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "at": self.at.isoformat(), "replaced": self.replaced,
                "suppressed": self.suppressed, "files_deleted": self.files_deleted,
                "files_scrubbed": self.files_scrubbed, "kept_protocols": self.kept_protocols,
                "vacuumed": self.vacuumed}


def _scrub_json(value: Any, person: Person) -> Any:
    if isinstance(value, str):
        return scrub(value, person)
    if isinstance(value, dict):
        return {k: _scrub_json(v, person) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_json(v, person) for v in value]
    return value


def _replace(session: Session, places: list[Occurrence], person: Person, skip: set[str]) -> int:
    by_name: dict[str, Table] = {t.name: t for t in tables()}
    done = 0
    for place in places:
        if "id" in place.via or place.frozen or place.uncertain or place.table in skip:
            continue
        if place.table in ("contact", "dashboarduser") and place.key.get("id") == str(person.id):
            continue  # the person's own row: cleared field by field
        table = by_name[place.table]
        where = key_condition(table, place.key)
        value = session.connection().execute(sa_select(table.c[place.column]).where(*where)).scalar_one_or_none()
        if value is None:
            continue
        session.connection().execute(update(table).where(*where).values(**{place.column: _scrub_json(value, person)}))
        done += 1
    if done:  # texts of any network may have named the person: no page may show them from a cache (issue 20)
        bump_all(session)
    return done


def _erase_contact(session: Session, contact: Contact, at: dt.datetime, recorded: dt.datetime, by: str) -> int:
    if contact.active:
        session.add(ContactEvent(contact_id=contact.id, at=at, recorded_at=recorded, actor=by,
                                 action=ContactAction.deactivated, fields=["active"]))
    session.add(ContactEvent(contact_id=contact.id, at=at, recorded_at=recorded, actor=by, action="erased",
                             fields=ERASED_FIELDS))
    session.connection().execute(delete(ChannelOptOut).where(col(ChannelOptOut.contact_id) == contact.id))
    contact.name, contact.email, contact.function, contact.channels, contact.active = ERASED, None, None, [], False
    session.add(contact)
    waiting = session.connection().execute(
        update(OutboxItem).where(col(OutboxItem.contact_id) == contact.id, col(OutboxItem.status).in_(WAITING))
        .values(status=OutboxStatus.suppressed, last_error="Ansprechperson gelöscht (DSGVO)"))
    return int(waiting.rowcount or 0)


def _erase_user(session: Session, user: DashboardUser) -> None:
    session.connection().execute(delete(UserSession).where(col(UserSession.user_id) == user.id))
    session.connection().execute(delete(Invitation).where(col(Invitation.email) == user.email))
    user.name, user.email, user.active = ERASED, f"geloescht-{user.id.hex[:12]}", False
    user.password_hash = "!"  # noqa: S105 - no password matches this
    session.add(user)


def _check_by(session: Session, by: str) -> str:
    key = by.strip().lower()
    user = session.exec(select(DashboardUser).where(col(DashboardUser.email) == key)).first() if key else None
    if user is None or not user.active:
        raise InvalidInput(f"--by: '{by}' ist kein aktiver Benutzer (anlegen: verbund user add)")
    return user.email


def forget(app: App, *, contact: str | None = None, user: str | None = None, reason: str, by: str,
           vacuum: bool = True) -> Erasure:
    """Erase the person; returns what was done (counts and ids only)."""
    if not reason.strip():
        raise InvalidInput("--reason: fehlt (z. B. 'Antrag auf Löschung vom 03.02.2020')")
    at = app.now()
    with change(app, at) as work:  # commits at the end of the block (no stage needs reconciling)
        session = work.session
        actor = _check_by(session, by)
        person = find_person(session, contact=contact, user=user)
        if person.erased:
            raise InvalidInput(f"{'Ansprechperson' if person.kind == 'contact' else 'Benutzer'} {person.id} "
                               "ist bereits gelöscht")
        if person.kind == "user" and person.email == actor:
            raise InvalidInput("--by: niemand löscht sich selbst; eine andere berechtigte Person muss handeln")
        places = occurrences(session, person)
        result = Erasure(person.kind, str(person.id), at)
        result.kept_protocols = sorted({p.key["id"] for p in places if p.frozen})
        result.files_deleted, result.files_scrubbed = erase_files(mailbox_root(app), session, person)
        result.replaced = _replace(session, places, person, skip={"channeloptout", "usersession", "invitation"})
        if person.kind == "contact":
            row = session.get(Contact, person.id)
            assert row is not None
            result.suppressed = _erase_contact(session, row, at, app.wall_time(), actor)
        else:
            found = session.get(DashboardUser, person.id)
            assert found is not None
            _erase_user(session, found)
        work.audit(None, actor, None, person.kind, "erased", scrub(reason.strip(), person),
                   detail={"id": str(person.id), "fields": ERASED_FIELDS, "replaced": result.replaced,
                           "files_deleted": result.files_deleted, "suppressed": result.suppressed,
                           "kept_protocols": result.kept_protocols})
    if vacuum:
        fixed = CONTACT_TABLES if person.kind == "contact" else USER_TABLES
        result.vacuumed = compact(app, {*fixed, *(p.table for p in places)})
    return result


CONTACT_TABLES = ("contact", "contactevent", "channeloptout", "outboxitem", "auditevent")
USER_TABLES = ("dashboarduser", "usersession", "invitation", "auditevent")


def compact(app: App, touched: Iterable[str] = ()) -> bool:
    """Let no erased value linger in freed space: SQLite rewrites the file (VACUUM) and empties the WAL;
    PostgreSQL rewrites the ``touched`` tables and their indexes (``VACUUM FULL``, outside a
    transaction, again while another transaction still sees old row versions; then the statistics:
    ``pg_vacuum``). A plain VACUUM is not enough: it removes the dead row versions but leaves their
    bytes in the page's free space when no live row is moved over them (measured: the erased name
    was still in the ``contact`` table's file). ``VACUUM FULL`` locks each table while it is
    rewritten (rare: erasures and purges). False when another process holds the database (the next
    erasure or purge compacts it) or nothing was named."""
    if app.engine.dialect.name == "postgresql":
        return _vacuum_postgresql(app, sorted(set(touched)))
    if app.engine.dialect.name != "sqlite":
        return False
    connection = app.engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert driver is not None
        driver.execute("VACUUM")
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # another process holds the database: the next erasure or purge compacts it
        return False
    finally:
        connection.close()
    return True


def _vacuum_postgresql(app: App, touched: list[str]) -> bool:
    from verbund.services.privacy.pg_vacuum import vacuum_full

    known = {t.name for t in tables()}
    names = [t for t in touched if t in known]  # names from our own metadata only, never from input
    return bool(names) and vacuum_full(app.engine, names)
