"""Signed partner links: HMAC-SHA256, expiring, scoped to one contact, network, stage and purpose.

A token is ``base64url(payload) "." base64url(hmac)`` with the payload
``contact_id|network|stage|purpose|expires`` (expiry as Unix seconds). The key is
``VERBUND_SECRET_KEY`` when set; otherwise one is generated on first use and kept in the domain
database (table ``appsecret``), so every process on the same database agrees on it. Changing the
key invalidates every link issued so far (that is the way to revoke them all).

The links' URLs keep the shape of the messages' links: ``{VERBUND_PUBLIC_URL}/eingabe/{network}/{stage}?t=TOKEN``.
Every partner message carries one for its recipient (``message_link``): the stage's input purpose where
the stage has one, else ``info`` (the stage's state, deputy and channels, no input), valid for any stage.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hashlib
import hmac
import os
import secrets
import threading
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from verbund.domain.access import AppSecret
from verbund.domain.errors import DomainError
from verbund.services.app.bootstrap import App

PURPOSE_STAGE = {"analysis": "analysis", "potentials": "potentials", "rsvp": "consultation", "objection": "protocol"}
INFO = "info"  # no input: the stage's state, deputy and channels; valid for every stage
PURPOSE_LABELS = {"analysis": "Analyse", "potentials": "Potenziale", "rsvp": "Zusage zur Beratung",
                  "objection": "Einspruch zum Protokollentwurf", INFO: "Stand und Benachrichtigung"}
STAGE_PURPOSE = {stage: purpose for purpose, stage in PURPOSE_STAGE.items()}
DEFAULT_DAYS = 14
SECRET_NAME = "link-signing-key"  # noqa: S105 - the row's name, not a secret
_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


class LinkError(DomainError):
    """A partner link cannot be used (base class)."""


class LinkInvalid(LinkError):
    """The link was altered, is malformed or was signed with another key: nothing is shown."""


class LinkExpired(LinkError):
    """The link's signature is right but its time is over; a fresh one may be sent to the same contact."""

    def __init__(self, scope: LinkScope) -> None:
        self.scope = scope
        super().__init__("Der Link ist abgelaufen")


@dataclass(frozen=True)
class LinkScope:
    contact_id: uuid.UUID
    network: str
    stage: str
    purpose: str
    expires: dt.datetime

    def payload(self) -> str:
        return f"{self.contact_id}|{self.network}|{self.stage}|{self.purpose}|{int(self.expires.timestamp())}"


def signing_key(app: App) -> bytes:
    """``VERBUND_SECRET_KEY``, else the generated key stored in the database (created once)."""
    configured = os.environ.get("VERBUND_SECRET_KEY", "")
    if configured:
        return configured.encode("utf-8")
    cache_key = str(app.engine.url)
    with _keys_lock:
        if cache_key not in _keys:
            _keys[cache_key] = _stored_key(app).encode("utf-8")
        return _keys[cache_key]


def _stored_key(app: App) -> str:
    with app.uow(write=True) as uow:
        found = uow.session.get(AppSecret, SECRET_NAME)
        if found is not None:
            return found.value
        uow.session.add(AppSecret(name=SECRET_NAME, value=secrets.token_urlsafe(48), created_at=app.wall_time()))
        with contextlib.suppress(IntegrityError):  # another process created it first
            uow.commit()
    with app.uow() as uow:
        stored = uow.session.exec(select(AppSecret.value).where(AppSecret.name == SECRET_NAME)).one()
        return stored


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, b"verbund-link-v1|" + payload, hashlib.sha256).digest()


def _fits(purpose: str, stage: str) -> bool:
    return purpose == INFO or PURPOSE_STAGE.get(purpose) == stage


def sign(app: App, contact_id: uuid.UUID, network: str, stage: str, purpose: str,
         days: int = DEFAULT_DAYS, now: dt.datetime | None = None) -> str:
    if not _fits(purpose, stage):
        raise LinkError(f"Zweck '{purpose}' passt nicht zur Stufe '{stage}'")
    expires = (now or app.wall_time()) + dt.timedelta(days=days)
    scope = LinkScope(contact_id, network, stage, purpose, expires.replace(microsecond=0))
    payload = scope.payload().encode("utf-8")
    return f"{_b64(payload)}.{_b64(_mac(signing_key(app), payload))}"


def verify(app: App, token: str, now: dt.datetime | None = None) -> LinkScope:
    """The link's scope, or ``LinkInvalid`` / ``LinkExpired``."""
    try:
        payload_part, mac_part = token.split(".")
        payload = _unb64(payload_part)
        given = _unb64(mac_part)
    except (ValueError, binascii.Error) as error:
        raise LinkInvalid("Der Link ist unvollständig oder verändert") from error
    if len(token) > 400 or not hmac.compare_digest(given, _mac(signing_key(app), payload)):
        raise LinkInvalid("Der Link ist unvollständig oder verändert")
    try:
        contact, network, stage, purpose, expires = payload.decode("utf-8").split("|")
        scope = LinkScope(uuid.UUID(contact), network, stage, purpose, dt.datetime.fromtimestamp(int(expires), dt.UTC))
    except (ValueError, UnicodeDecodeError) as error:  # signed by us, so this means a different format
        raise LinkInvalid("Der Link hat ein unbekanntes Format") from error
    if not _fits(scope.purpose, scope.stage):
        raise LinkInvalid("Der Link hat ein unbekanntes Format")
    if (now or app.wall_time()) >= scope.expires:
        raise LinkExpired(scope)
    return scope


def link_url(app: App, token: str, network: str, stage: str) -> str:
    base = app.notification_settings.public_url.rstrip("/")
    return f"{base}/eingabe/{network}/{stage}?t={token}"


def partner_link(app: App, contact_id: uuid.UUID, network: str, stage: str, days: int = DEFAULT_DAYS,
                 purpose: str | None = None) -> str:
    """The full URL of a fresh signed link for the stage's purpose (for messages and coordinators)."""
    purpose = purpose or STAGE_PURPOSE.get(stage)
    if purpose is None:
        raise LinkError(f"Für die Stufe '{stage}' gibt es keine Partnereingabe")
    return link_url(app, sign(app, contact_id, network, stage, purpose, days), network, stage)


def message_link(app: App, contact_id: uuid.UUID, network: str, stage: str, not_before: dt.datetime,
                 *, info_only: bool = False) -> str:
    """The signed link a partner message carries for its recipient: the stage's input purpose, else (or
    with ``info_only``, e.g. for a published protocol) ``info``.

    Its validity starts at the later of the wall clock and ``not_before`` (the message's send slot), so a
    message held back for quiet hours or school holidays does not arrive with a link that is about to expire.
    """
    start = max(app.wall_time(), not_before)
    purpose = INFO if info_only else STAGE_PURPOSE.get(stage, INFO)
    return link_url(app, sign(app, contact_id, network, stage, purpose, now=start), network, stage)


def dashboard_stage_url(app: App, network: str, stage: str) -> str:
    """The stage's page in the dashboard (login required): for coordinators and process owners."""
    return f"{app.notification_settings.public_url.rstrip('/')}/verbund/{network}/stufe/{stage}"
