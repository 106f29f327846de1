"""Access and portability (Art. 15, 20 DSGVO): everything stored about one person, as one JSON document.

The document holds the person's row (channels masked: scheme and host only), the organisation and its
memberships (contacts), scopes and stand-ins (users), channel opt-outs, the person's dated events,
the audit entries they caused, every other row that names them (inputs, decisions, attendance, …),
the messages sent to them with body and status (link tokens masked) and the copies in the local
mailbox, approved protocols whose frozen text still names them, and any erasure already done.
``places`` lists every (table, column, row) found, the same list the erasure works through.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from verbund.domain.access import ChannelOptOut, DashboardUser, StandIn, UserScope, UserSession
from verbund.domain.directory import ContactEvent
from verbund.domain.models import Contact, Membership, Network, Organisation
from verbund.domain.outbox import OutboxItem
from verbund.domain.stages import AuditEvent
from verbund.services.access.actor_refs import named
from verbund.services.app.bootstrap import App
from verbund.services.privacy.mail_copies import mailbox_root, person_files
from verbund.services.privacy.person import (
    Occurrence,
    Person,
    find_person,
    key_condition,
    mask_tokens,
    occurrences,
    tables,
)

FORMAT = "verbund-auskunft-1"
# Rows listed in sections of their own; every other table's rows that name the person go to "records".
OWN_SECTIONS = {"contact", "dashboarduser", "contactevent", "auditevent", "outboxitem", "channeloptout",
                "userscope", "usersession", "standin", "membership"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        return mask_tokens(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row(model: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: _plain(v) for k, v in model.model_dump().items() if k not in skip}


def _masked(url: str) -> str:
    from verbund.notifications import redact

    return redact(url)


def _contact_section(session: Session, contact: Contact) -> dict[str, Any]:
    organisation = session.get(Organisation, contact.organisation_id)
    memberships = session.exec(select(Membership, Network.slug).join(Network, col(Network.id) == col(
        Membership.network_id)).where(col(Membership.organisation_id) == contact.organisation_id)).all()
    opt_outs = session.exec(select(ChannelOptOut).where(col(ChannelOptOut.contact_id) == contact.id)).all()
    events = session.exec(select(ContactEvent).where(col(ContactEvent.contact_id) == contact.id)
                          .order_by(col(ContactEvent.at))).all()
    data = _row(contact, ("channels",)) | {"channels": [_masked(c) for c in contact.channels]}
    return {
        "contact": data,
        "organisation": {"id": str(organisation.id), "name": organisation.name, "kind": organisation.kind}
        if organisation else None,
        "memberships": [{"network": slug, "role": m.role, "valid_from": _plain(m.valid_from),
                         "valid_to": _plain(m.valid_to)} for m, slug in memberships],
        "channel_opt_outs": [{"channel": _masked(o.channel), "opted_out_at": _plain(o.opted_out_at)} for o in opt_outs],
        "events": _events(session, events),
    }


def _user_section(session: Session, user: DashboardUser) -> dict[str, Any]:
    scopes = session.exec(select(UserScope).where(col(UserScope.user_id) == user.id)).all()
    stand_ins = session.exec(select(StandIn).where((col(StandIn.coordinator_id) == user.id)
                                                   | (col(StandIn.stand_in_id) == user.id))).all()
    sessions = session.exec(select(UserSession).where(col(UserSession.user_id) == user.id)).all()
    return {
        "user": _row(user, ("password_hash",)),
        "scopes": [{"kind": s.kind, "value": s.value} for s in scopes],
        "stand_ins": [_row(s) for s in stand_ins],
        "sessions": [{"created_at": _plain(s.created_at), "expires_at": _plain(s.expires_at)} for s in sessions],
    }


def _rendered(item: OutboxItem) -> str | None:
    from verbund.notifications import render

    if not item.context:
        return None  # cleared after the retention period
    try:
        subject, body = render(item.kind, item.context)
    except Exception:  # a template changed since: the stored values are listed instead
        return None
    return mask_tokens(f"Betreff: {subject}\n\n{body}")


def _messages(session: Session, person: Person) -> list[dict[str, Any]]:
    rows = session.exec(select(OutboxItem, Network.slug).join(Network, col(Network.id) == col(OutboxItem.network_id))
                        .where(col(OutboxItem.contact_id) == person.id).order_by(col(OutboxItem.created_at))).all()
    return [{"key": item.key, "network": slug, "stage": item.stage, "kind": item.kind, "status": item.status,
             "attempts": item.attempts, "due": _plain(item.due), "sent_at": _plain(item.sent_at),
             "last_error": item.last_error, "body": _rendered(item), "context": _plain(item.context)}
            for item, slug in rows]


def _caused(session: Session, places: list[Occurrence]) -> dict[str, list[dict[str, Any]]]:
    audit_ids = {uuid.UUID(p.key["id"]) for p in places if p.table == "auditevent"}
    events = session.exec(select(AuditEvent).where(col(AuditEvent.id).in_(audit_ids))
                          .order_by(col(AuditEvent.at))).all() if audit_ids else []
    contact_event_ids = {uuid.UUID(p.key["id"]) for p in places
                         if p.table == "contactevent" and p.column in ("actor", "actor_ref")}
    others = session.exec(select(ContactEvent).where(col(ContactEvent.id).in_(contact_event_ids))).all() \
        if contact_event_ids else []
    return {"audit": _events(session, events), "contact_events_by_them": _events(session, others)}


def _events(session: Session, rows: Any) -> list[dict[str, Any]]:
    """Audit or contact events, ``actor`` as shown (the name its reference stands for)."""
    rows = list(rows)
    return [_row(e) | {"actor": actor} for e, actor in zip(rows, named(session, rows, "actor"), strict=True)]


def _records(session: Session, places: list[Occurrence]) -> list[dict[str, Any]]:
    wanted: dict[str, dict[str, dict[str, str]]] = {}
    for place in places:
        if place.table not in OWN_SECTIONS:
            wanted.setdefault(place.table, {})[json.dumps(place.key, sort_keys=True)] = place.key
    by_name: dict[str, Table] = {t.name: t for t in tables()}
    records = []
    for name, keys in sorted(wanted.items()):
        table = by_name[name]
        for key in keys.values():
            row = session.connection().execute(sa_select(table).where(*key_condition(table, key))).first()
            if row is not None:
                records.append({"table": name, "row": _plain(dict(row._mapping))})
    return records


def _erasures(session: Session, person: Person) -> list[dict[str, Any]]:
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.entity) == person.kind,
                                                 col(AuditEvent.action) == "erased")).all()
    return _events(session, [e for e in rows if e.detail.get("id") == str(person.id)])


def build_export(app: App, *, contact: str | None = None, email: str | None = None,
                 user: str | None = None) -> dict[str, Any]:
    """Everything stored about the person (``FORMAT``), as plain JSON values."""
    with app.uow(read_only=True) as uow:
        session = uow.session
        person = find_person(session, contact=contact, email=email, user=user)
        places = occurrences(session, person)
        if person.kind == "contact":
            found = session.get(Contact, person.id)
            assert found is not None
            section = _contact_section(session, found)
        else:
            found_user = session.get(DashboardUser, person.id)
            assert found_user is not None
            section = _user_section(session, found_user)
        erasures = _erasures(session, person)
        frozen = [p.to_dict() for p in places if p.frozen]
        named = {p["key"]["id"] for p in frozen}
        frozen += [{"table": "protocol", "column": "body", "key": {"id": pid}, "via": ["erasure"], "frozen": True,
                    "uncertain": False}  # named before the erasure: the text still names the person
                   for erasure in erasures for pid in erasure["detail"].get("kept_protocols", []) if pid not in named]
        document = {
            "format": FORMAT, "created_at": app.now().isoformat(), "kind": person.kind, "id": str(person.id),
            **section, **_caused(session, places),
            "records": _records(session, places),
            "messages": _messages(session, person) if person.kind == "contact" else [],
            "mailbox": person_files(mailbox_root(app), session, person),
            "kept_protocols": frozen,
            "erasures": erasures,
            "places": [p.to_dict() for p in places],
        }
    return document


def write_export(document: dict[str, Any], target: Path, *, text: bool = False) -> None:
    from verbund.services.privacy.summary import summary

    content = summary(document) if text else json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    target.write_text(content, encoding="utf-8")
