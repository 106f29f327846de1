"""A notifier for tests: remembers what it sent, and fails on demand."""

from __future__ import annotations

from dataclasses import dataclass, field

from verbund.notifications.message import DeliveryError, OutgoingMessage


@dataclass
class FakeNotifier:
    """``sent`` holds every delivered message; channels listed in ``failing`` raise ``DeliveryError``."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def send(self, message: OutgoingMessage) -> None:
        if any(channel in self.failing for channel in message.channels):
            raise DeliveryError("Zustellung fehlgeschlagen (Testkanal)")
        self.sent.append(message)

    def keys(self) -> list[str]:
        return [key for message in self.sent for key in message.keys]
