"""Contacts' channels (apprise URLs): validated when they are entered, never shown with secrets."""

from __future__ import annotations

import uuid

from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Contact
from verbund.services.app.bootstrap import App


def check_channels(contact_name: str, channels: list[str]) -> list[str]:
    """The channels, stripped; raises ``InvalidInput`` naming the contact and the scheme (no secrets)."""
    from verbund.notifications import validate_channel

    cleaned = []
    for index, url in enumerate(channels, start=1):
        url = url.strip()
        reason = validate_channel(url)
        if reason is not None:
            raise InvalidInput(f"Ansprechperson '{contact_name}', Kanal {index}: {reason}")
        cleaned.append(url)
    return cleaned


def set_channels(app: App, contact_id: uuid.UUID, channels: list[str]) -> None:
    """Replace a contact's channels after validating every URL."""
    with app.uow(write=True) as uow:
        contact = uow.session.get(Contact, contact_id)
        if contact is None:
            raise NotFound("Ansprechperson", str(contact_id))
        contact.channels = check_channels(contact.name, channels)
        uow.session.add(contact)
        uow.commit()
