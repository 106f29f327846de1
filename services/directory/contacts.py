"""Contacts (Ansprechpersonen): add, list, show, edit, deactivate, activate; every change a dated event.

One person per contact: name, function, organisation, e-mail (the single source of truth for mail:
messages to it go through the installation's sender, ``VERBUND_MAIL_URL``) and optionally further
channels as apprise URLs (Matrix, Teams, webhooks; never ``mailto``, which would carry the mail
server's credentials per person). Each change writes a ``ContactEvent`` with who, when and *which*
fields changed, never the values. A deactivated contact keeps its history and cannot be edited.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from verbund.domain.directory import MAIL_SCHEMES, ContactAction, ContactEvent, active_at, changed_fields
from verbund.domain.errors import FieldError, InvalidInput, NotFound
from verbund.domain.models import Contact, Membership, Network, Organisation
from verbund.services.access.actor_refs import named
from verbund.services.app.bootstrap import App
from verbund.services.directory.partner_directory import find_organisation, partner_key

EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


@dataclass
class ContactInput:
    """A contact as entered; ``None`` = not given (an edit keeps the value)."""

    organisation: str | None = None
    name: str | None = None
    email: str | None = None
    function: str | None = None
    channels: list[str] | None = None


def check_email(value: str | None) -> str | None:
    email = (value or "").strip()
    if not email:
        return None
    if not EMAIL.match(email):
        raise FieldError("email", f"'{email}' ist keine E-Mail-Adresse")
    return email


def check_extra_channels(name: str, channels: list[str]) -> list[str]:
    """Further channels (apprise URLs) without mail: the e-mail address is the mail channel."""
    from verbund.services.inputs.channels import check_channels

    cleaned = [c.strip() for c in channels if c.strip()]
    for index, url in enumerate(cleaned, start=1):
        if url.split("://", 1)[0].lower() in MAIL_SCHEMES:
            raise FieldError("channels", f"Kanal {index}: E-Mail gehört ins Feld email (Versand über "
                                         "VERBUND_MAIL_URL), nicht als mailto-Kanal")
    try:
        return check_channels(name, cleaned)
    except InvalidInput as error:
        raise FieldError("channels", str(error)) from error


def plan_contact(session: Session, spec: ContactInput, existing: Contact | None) -> tuple[dict[str, Any], Organisation]:
    """The checked values of a new contact or an edit (only the given fields); nothing is written."""
    if existing is None and not (spec.organisation or "").strip():
        raise FieldError("organisation", "fehlt (Schlüssel des Partners oder QUELLE:KENNUNG der Schule)")
    if spec.organisation is not None and spec.organisation.strip():
        try:
            organisation = find_organisation(session, spec.organisation)
        except NotFound as error:
            raise FieldError("organisation", str(error)) from error
    else:
        assert existing is not None
        found = session.get(Organisation, existing.organisation_id)
        assert found is not None
        organisation = found
    if organisation.closed_at is not None:
        raise FieldError("organisation", f"{organisation.name} ist geschlossen")
    values: dict[str, Any] = {}
    if spec.name is not None or existing is None:
        name = (spec.name or "").strip()
        if not name:
            raise FieldError("name", "fehlt")
        values["name"] = name
    if spec.email is not None:
        values["email"] = check_email(spec.email)
    if spec.function is not None:
        values["function"] = spec.function.strip() or None
    if spec.channels is not None:
        values["channels"] = check_extra_channels(values.get("name") or (existing.name if existing else ""),
                                                  spec.channels)
    values["organisation_id"] = organisation.id
    email = values.get("email", existing.email if existing else None)
    if email:
        twin = session.exec(select(Contact.id).where(Contact.organisation_id == organisation.id,
                                                     col(Contact.active).is_(True),
                                                     col(Contact.email) == email)).first()
        if twin is not None and (existing is None or twin != existing.id):
            raise FieldError("email", f"{email} ist schon Ansprechperson von {organisation.name}")
    return values, organisation


def _event(session: Session, contact: Contact, action: str, fields: list[str], at: dt.datetime,
           recorded: dt.datetime, by: str) -> None:
    session.add(ContactEvent(contact_id=contact.id, at=at, recorded_at=recorded, actor=by, action=action,
                             fields=fields))


def create_contact(session: Session, values: dict[str, Any], at: dt.datetime, recorded: dt.datetime,
                   by: str) -> Contact:
    contact = Contact.model_validate({"channels": [], **values, "active": True})
    session.add(contact)
    session.flush()
    _event(session, contact, ContactAction.created, sorted(k for k in values if k != "organisation_id"), at,
           recorded, by)
    return contact


def update_contact(session: Session, contact: Contact, values: dict[str, Any], at: dt.datetime,
                   recorded: dt.datetime, by: str) -> list[str]:
    before = {name: getattr(contact, name) for name in values}
    fields = changed_fields(before, values)
    if not fields:
        return []
    for name in fields:
        setattr(contact, name, values[name])
    session.add(contact)
    names = ["organisation" if name == "organisation_id" else name for name in fields]
    _event(session, contact, ContactAction.edited, names, at, recorded, by)
    return names


def find_contact(session: Session, ref: str) -> Contact:
    """A contact by id (or a unique id prefix of at least 8 characters) or by a unique e-mail address."""
    ref = ref.strip()
    try:
        found = session.get(Contact, uuid.UUID(ref))
    except ValueError:
        found = None
    if found is not None:
        return found
    if "@" in ref:
        rows = session.exec(select(Contact).where(col(Contact.email) == ref)).all()
        active = [c for c in rows if c.active] or list(rows)
        if len(active) == 1:
            return active[0]
        if len(active) > 1:
            raise InvalidInput(f"Ansprechperson '{ref}': mehrdeutig ({len(active)} Treffer); Kennung angeben")
    elif len(ref) >= 8:
        hits = [c for c in session.exec(select(Contact)).all() if str(c.id).startswith(ref.lower())]
        if len(hits) == 1:
            return hits[0]
    raise NotFound("Ansprechperson", ref)


def add_contact(app: App, spec: ContactInput, *, by: str = "system", at: dt.datetime | None = None) -> str:
    """Add a contact (active from ``at``); returns its id."""
    at = at or app.now()
    with app.uow(write=True) as uow:
        values, _organisation = plan_contact(uow.session, spec, None)
        contact = create_contact(uow.session, values, at, app.wall_time(), by)
        uow.commit()
        return str(contact.id)


def edit_contact(app: App, ref: str, spec: ContactInput, *, by: str = "system",
                 at: dt.datetime | None = None) -> list[str]:
    """Change the given fields of an active contact; returns the names of the fields that changed."""
    at = at or app.now()
    with app.uow(write=True) as uow:
        contact = find_contact(uow.session, ref)
        if not contact.active:
            raise FieldError("contact", f"{contact.name} ist deaktiviert und kann nicht bearbeitet werden")
        values, _organisation = plan_contact(uow.session, spec, contact)
        fields = update_contact(uow.session, contact, values, at, app.wall_time(), by)
        uow.commit()
        return fields


def set_active(app: App, ref: str, active: bool, *, by: str = "system", at: dt.datetime | None = None) -> str:
    """Deactivate (or activate again) a contact at ``at``; returns its name."""
    at = at or app.now()
    with app.uow(write=True) as uow:
        contact = find_contact(uow.session, ref)
        if contact.active == active:
            raise FieldError("contact", f"{contact.name} ist bereits {'aktiv' if active else 'deaktiviert'}")
        contact.active = active
        uow.session.add(contact)
        action = ContactAction.activated if active else ContactAction.deactivated
        _event(uow.session, contact, action, ["active"], at, app.wall_time(), by)
        uow.commit()
        return contact.name


def active_contact_ids(session: Session, at: dt.datetime) -> set[uuid.UUID]:
    """Contacts active at ``at`` by their events (contacts from before the events: the current flag)."""
    events: dict[uuid.UUID, list[ContactEvent]] = {}
    for event in session.exec(select(ContactEvent)):
        events.setdefault(event.contact_id, []).append(event)
    found = set()
    for contact_id, active in session.exec(select(Contact.id, Contact.active)).all():
        mine = events.get(contact_id)
        if active if mine is None else active_at(mine, at):  # no events: stored before they existed
            found.add(contact_id)
    return found


def _row(contact: Contact, organisation: Organisation) -> dict[str, Any]:
    return {"id": str(contact.id), "name": contact.name, "function": contact.function, "email": contact.email,
            "organisation": partner_key(organisation), "organisation_name": organisation.name,
            "channels": len(contact.channels), "active": contact.active}


def list_contacts(app: App, *, organisation: str | None = None, network: str | None = None,
                  include_inactive: bool = False) -> list[dict[str, Any]]:
    with app.uow(read_only=True) as uow:
        session = uow.session
        query = select(Contact, Organisation).join(Organisation, col(Organisation.id) == col(Contact.organisation_id))
        if organisation:
            query = query.where(Organisation.id == find_organisation(session, organisation).id)
        if network:
            found = session.exec(select(Network).where(Network.slug == network)).first()
            if found is None:
                raise NotFound("Verbund", network)
            members = select(Membership.organisation_id).where(Membership.network_id == found.id,
                                                               col(Membership.valid_to).is_(None))
            query = query.where(col(Organisation.id).in_(members))
        if not include_inactive:
            query = query.where(col(Contact.active).is_(True))
        rows = session.exec(query.order_by(col(Organisation.name), col(Contact.name))).all()
        return [_row(c, o) for c, o in rows]


def show_contact(app: App, ref: str) -> dict[str, Any]:
    """A contact with its channels redacted (scheme and host only) and its events (fields, never values)."""
    from verbund.notifications import redact

    with app.uow(read_only=True) as uow:
        contact = find_contact(uow.session, ref)
        organisation = uow.session.get(Organisation, contact.organisation_id)
        assert organisation is not None
        data = _row(contact, organisation)
        data["channels"] = [redact(url) for url in contact.channels]
        events = uow.session.exec(select(ContactEvent).where(ContactEvent.contact_id == contact.id)
                                  .order_by(col(ContactEvent.at))).all()
        data["events"] = [{"at": e.at.isoformat(), "actor": actor, "action": e.action, "fields": e.fields}
                          for e, actor in zip(events, named(uow.session, events, "actor"), strict=True)]
        return data
