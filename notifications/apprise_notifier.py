"""The apprise notifier: one message to all of a contact's channels, the keys travelling with it.

- ``json://``, ``xml://``, ``form://`` (webhooks): headers ``X-Verbund-Key`` (the items' keys,
  comma-separated) and ``X-Verbund-Delivery``.
- ``mailto://`` / ``mailtos://``: the same headers and a deterministic ``Message-ID``
  ``<delivery@verbund>``, so a repeat after a crash is recognisable.
- ``local://NAME``: the local mailbox (``notifications.local_mailbox``).
Channel URLs may hold credentials: errors name the scheme and host only (``redact``).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import apprise
from apprise.attachment.memory import AttachMemory

from verbund.notifications import local_mailbox
from verbund.notifications.message import Attachment, DeliveryError, InvalidChannel, OutgoingMessage

HEADER_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos"})
_message_ids = threading.local()
_patch_lock = threading.Lock()


def redact(url: str) -> str:
    """``scheme://host[:port]`` of a channel URL: no user, password, token path or query.

    Only for schemes whose host is a host name (webhooks, mail, the local mailbox); for the others
    (Teams, Matrix tokens, …) the "host" may be a secret, so just ``scheme://…``.
    """
    if scheme_of(url) not in HEADER_SCHEMES | {"local"}:
        return f"{scheme_of(url) or '?'}://…"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "ungültige URL"
    return f"{parts.scheme or '?'}://{host}{port}"


def scheme_of(url: str) -> str:
    return url.split("://", 1)[0].lower() if "://" in url else ""


def validate_channel(url: str) -> str | None:
    """``None`` if apprise can use the URL, else a German reason (naming the scheme, never secrets)."""
    scheme = scheme_of(url)
    if not scheme:
        return "keine URL (erwartet z. B. mailto://…, json://…, local://name)"
    if scheme == local_mailbox.SCHEME:
        try:
            local_mailbox.mailbox_name(urlsplit(url).hostname or "")
        except ValueError as error:
            return str(error)
        return None
    if apprise.Apprise.instantiate(url) is None:
        return f"Schema '{scheme}' unbekannt oder URL unvollständig ({redact(url)})"
    return None


def _install_message_id_hook() -> None:
    """apprise's mail plugin makes a random Message-ID; use ``<delivery@verbund>`` while we send."""
    base: Any = importlib.import_module("apprise.plugins.email.base")

    with _patch_lock:
        if getattr(base.make_msgid, "__verbund__", False):
            return
        original: Callable[..., str] = base.make_msgid

        def make_msgid(*args: Any, **kwargs: Any) -> str:
            fixed = getattr(_message_ids, "value", None)
            return fixed if fixed else original(*args, **kwargs)

        make_msgid.__verbund__ = True  # type: ignore[attr-defined]
        base.make_msgid = make_msgid


def _memory_attachment(item: Attachment) -> AttachMemory:
    """apprise accepts only MIME types the system's ``mimetypes`` table knows (often not text/calendar)."""
    try:
        return AttachMemory(content=item.content, name=item.filename, mimetype=item.mimetype)  # type: ignore[no-untyped-call]
    except TypeError:
        return AttachMemory(content=item.content, name=item.filename)  # type: ignore[no-untyped-call]


class AppriseNotifier:
    """Sends through apprise; ``local://`` channels deliver into ``mailbox_dir``."""

    def __init__(self, mailbox_dir: Path) -> None:
        self.mailbox_dir = mailbox_dir
        self._asset = apprise.AppriseAsset(async_mode=False)
        _install_message_id_hook()

    def _url(self, url: str, message: OutgoingMessage) -> str:
        scheme = scheme_of(url)
        keys = ",".join(message.keys)
        joiner = "&" if "?" in url else "?"
        if scheme == local_mailbox.SCHEME:
            return (f"{url}{joiner}mailbox={quote(str(self.mailbox_dir), safe='')}"
                    f"&keys={keys}&delivery={message.delivery}")
        if scheme in HEADER_SCHEMES:
            return f"{url}{joiner}+X-Verbund-Key={keys}&+X-Verbund-Delivery={message.delivery}"
        return url

    def send(self, message: OutgoingMessage) -> None:
        if not message.channels:
            raise InvalidChannel("keine Kanäle")
        sender = apprise.Apprise(asset=self._asset)
        for url in message.channels:
            # Channels were validated when entered; ask for the reason only when apprise refuses one
            # (validating every URL again before each send would parse it twice).
            local_ok = scheme_of(url) != local_mailbox.SCHEME or validate_channel(url) is None
            if not local_ok or not sender.add(self._url(url, message)):
                reason = validate_channel(url) or "von apprise abgelehnt"
                raise InvalidChannel(f"Kanal {redact(url)} unbrauchbar: {reason}")
        attach = apprise.AppriseAttachment()
        for item in message.attachments:
            attach.add(_memory_attachment(item))
        _message_ids.value = f"<{message.delivery}@verbund>"
        try:
            delivered = sender.notify(body=message.body, title=message.subject, attach=attach or None,
                                      body_format="text")
        finally:
            _message_ids.value = None
        if not delivered:
            targets = ", ".join(redact(url) for url in message.channels)
            raise DeliveryError(f"Zustellung an {targets} fehlgeschlagen")
