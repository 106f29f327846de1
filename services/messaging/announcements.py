"""Announcements: a coordinator's free-text message to all partners of a network, or to one or more
partner kinds (issue 13), through the outbox with the same guarantees as every other message.

Each item is planned when the announcement is made (not by the sweep, which never suppresses
them): one per active contact of the member organisations at that instant, keyed by (contact,
announcement, kind ``announcement``, day) — the same announcement again the same day adds nothing.
The send time moves into the next sending window (business days 08:00–18:00), and the daily sweep
(``verbund remind``, ``verbund serve``) sends it, merged with the contact's other items of the day
into one message. An audit event (entity ``announcement``) keeps who said what to whom.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select

from verbund.domain.business_days import BusinessCalendar, local_date
from verbund.domain.errors import InvalidInput
from verbund.domain.models import KIND_LABELS, Contact, Membership, Organisation
from verbund.domain.outbox import OutboxKind, PlannedItem, Recipient, plan_item
from verbund.domain.stages import AuditEvent
from verbund.services.app.bootstrap import App
from verbund.services.app.ferien import Calendars
from verbund.services.app.lookup import network_by_slug, region_of
from verbund.services.messaging.reminders import store

MAX_TEXT = 10_000


def _check(title: str, text: str, kinds: list[str]) -> None:
    if not title.strip():
        raise InvalidInput("--title: der Betreff fehlt")
    if not text.strip():
        raise InvalidInput("--text: der Text der Mitteilung fehlt")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"--text: höchstens {MAX_TEXT} Zeichen ({len(text)} angegeben)")
    unknown = [kind for kind in kinds if kind not in KIND_LABELS]
    if unknown:
        raise InvalidInput(f"--kind: unbekannte Partnerart {', '.join(unknown)} (erlaubt: {', '.join(KIND_LABELS)})")


def announce(app: App, network_slug: str, *, title: str, text: str, kinds: list[str] | None = None, by: str,
             at: dt.datetime | None = None) -> dict[str, Any]:
    """Plan the announcement for every active contact of the network's members (of ``kinds``, if given)."""
    at = at or app.now()
    kinds = sorted(set(kinds or []))
    _check(title, text, kinds)
    digest = hashlib.sha256("|".join([network_slug, title.strip(), text.strip(), *kinds]).encode()).hexdigest()[:16]
    subject = f"announcement:{digest}"
    with app.uow(write=True) as uow:
        session = uow.session
        network = network_by_slug(session, network_slug)
        state = region_of(session, network).state
        calendar, holidays = BusinessCalendar(state), Calendars(session)(state)
        context = {"network": network.slug, "network_name": network.name, "title": title.strip(),
                   "text": text.strip(), "by": by}
        planned: list[tuple[Any, PlannedItem]] = []
        for recipient in _recipients(session, network.id, at, kinds):
            item = plan_item(recipient, OutboxKind.announcement, subject, local_date(at), at, calendar, holidays,
                             None, context | {"contact_name": recipient.contact_name,
                                              "organisation": recipient.organisation})
            planned.append((network.id, item))
        report = store(session, planned, app.wall_time(), suppress_stale=False)
        audience = ", ".join(KIND_LABELS[k] for k in kinds) or "alle Partner"
        session.add(AuditEvent(at=at, recorded_at=app.wall_time(), actor=by, network_id=network.id,
                               entity="announcement", action="announced", reason=f"{title.strip()} ({audience})",
                               detail={"subject": subject, "kinds": kinds, "items": report.planned}))
        uow.commit()
    return {"network": network_slug, "subject": subject, "title": title.strip(), "kinds": kinds,
            "recipients": len(planned), "planned": report.planned, "suppressed": report.suppressed,
            "without_channel": report.without_channel,
            "send_after": min((item.send_after for _n, item in planned), default=at).isoformat()}


def _recipients(session: Any, network_id: Any, at: dt.datetime, kinds: list[str]) -> list[Recipient]:
    query = (select(Contact, Organisation)
             .join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
             .join(Membership, col(Membership.organisation_id) == col(Organisation.id))
             .where(Membership.network_id == network_id, col(Contact.active).is_(True),
                    col(Membership.valid_from) <= at,
                    or_(col(Membership.valid_to).is_(None), col(Membership.valid_to) > at)))
    if kinds:
        query = query.where(col(Organisation.kind).in_(kinds))
    found: dict[Any, Recipient] = {}
    for contact, org in session.exec(query.order_by(col(Organisation.name), col(Contact.name))).all():
        found.setdefault(contact.id, Recipient(contact.id, contact.name, org.name, org.kind,
                                               bool(contact.channels) or bool(contact.email)))
    return list(found.values())
