"""Notifications to partners: a one-method notifier protocol, the apprise implementation (with the
``local://`` mailbox schema), a fake, German message templates and ``.ics`` invitations.

Imports nothing of verbund: callers hand over plain values (``OutgoingMessage``).
"""

from verbund.notifications.apprise_notifier import AppriseNotifier, redact, validate_channel
from verbund.notifications.fake import FakeNotifier
from verbund.notifications.ics import consultation_ics
from verbund.notifications.local_mailbox import read_mailbox
from verbund.notifications.message import Attachment, DeliveryError, InvalidChannel, Notifier, OutgoingMessage
from verbund.notifications.render import digest, german_date, german_time, render

__all__ = [
    "AppriseNotifier",
    "Attachment",
    "DeliveryError",
    "FakeNotifier",
    "InvalidChannel",
    "Notifier",
    "OutgoingMessage",
    "consultation_ics",
    "digest",
    "german_date",
    "german_time",
    "read_mailbox",
    "redact",
    "render",
    "validate_channel",
]
