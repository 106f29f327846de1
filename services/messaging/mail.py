"""The installation's one mail sender: every message to a contact's e-mail address goes through
``VERBUND_MAIL_URL`` (an apprise mail URL with server, credentials and sender, e.g.
``mailtos://user:pass@smtp.example.org?from=verbund@example.org``). The default ``local://``
delivers into the local mailbox, one folder per address (its local part), so nothing leaves the
machine. The URL's credentials appear nowhere else: not in contacts, logs, errors or the outbox.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from verbund.domain.directory import MAIL_SCHEMES, mailbox_for
from verbund.domain.errors import InvalidInput
from verbund.services.app.bootstrap import App

DEFAULT_MAIL_URL = "local://"


def check_mail_url(url: str) -> str:
    """The sender URL if its scheme is a mail scheme apprise sends with, else ``InvalidInput`` (no secrets)."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "local" or scheme in MAIL_SCHEMES:
        return url
    raise InvalidInput(f"VERBUND_MAIL_URL: Schema '{scheme or '?'}' ist kein Mailversand "
                       "(erlaubt: mailto://, mailtos://, local://)")


def mail_channel(mail_url: str, email: str) -> str:
    """The apprise URL that sends to ``email`` through the installation's sender."""
    url = check_mail_url(mail_url)
    if url.lower().startswith("local://"):
        return f"local://{mailbox_for(email)}"
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "to"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("to", email.strip())], safe="@:/")))


def delivery_channels(mail_url: str, email: str | None, channels: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Where a contact's messages go: the mail channel of the e-mail address, then the further channels."""
    first = (mail_channel(mail_url, email),) if email else ()
    return first + tuple(c for c in channels if c not in first)


def sender_url(app: App) -> str:
    """The configured sender, checked (``InvalidInput`` names the setting, never its credentials)."""
    return check_mail_url(app.notification_settings.mail_url.get_secret_value() or DEFAULT_MAIL_URL)


def channels_for(app: App, email: str | None, channels: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return delivery_channels(sender_url(app), email, channels)
