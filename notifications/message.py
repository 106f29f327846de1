"""Plain message types and the one-method notifier protocol (no dependency on the rest of verbund).

Hierarchy of errors::

    DeliveryError          a message could not be delivered (retry later)
    └── InvalidChannel     a channel URL is malformed or of an unknown scheme (permanent)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (e.g. ``einladung.ics``)."""

    filename: str
    content: bytes
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one contact on all of the contact's channels (apprise URLs).

    ``keys`` are the idempotency keys of the items the message carries; ``delivery`` identifies the
    message itself. Both travel with it so a receiver can drop a repeat.
    """

    delivery: str
    keys: tuple[str, ...]
    channels: tuple[str, ...]
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class DeliveryError(Exception):
    """The message was not delivered on every channel; the text never contains a URL's secrets."""


class InvalidChannel(DeliveryError):
    """A channel URL cannot be used at all (unknown scheme or malformed): retrying will not help."""


class Notifier(Protocol):
    """Sends one message or raises ``DeliveryError``."""

    def send(self, message: OutgoingMessage) -> None: ...
