"""Dashboard users beyond creating them: list, deactivate, reset a password, invite a coordinator.

A reset and an invitation are one-time, expiring links (``/einladung/TOKEN``): the database keeps
only the SHA-256 of the token, the link works once, and the person sets the password on it. An
invitation names the role and the network; redeeming it creates the user (or adds the network to
an existing coordinator). A reset makes the old password useless and ends every session at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from sqlmodel import Session, col, delete, select

from verbund.domain.access import DashboardUser, ScopeKind, UserRole, UserScope, UserSession
from verbund.domain.directory import Invitation
from verbund.domain.errors import FieldError, InvalidInput, NotAllowed, NotFound
from verbund.domain.models import Network, Region
from verbund.services.access.users import Principal, _email, _user, check_password_strength, hash_password
from verbund.services.app.bootstrap import App

INVITATION_DAYS = 7
RESET = "reset"  # ``Invitation.role`` of a password reset
log = logging.getLogger("verbund.users")


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _link(app: App, token: str) -> str:
    return f"{app.notification_settings.public_url.rstrip('/')}/einladung/{token}"


def list_users(app: App) -> list[dict[str, Any]]:
    """Every user with role, scopes and whether active (never a password hash)."""
    with app.uow(read_only=True) as uow:
        scopes: dict[Any, list[str]] = {}
        for scope in uow.session.exec(select(UserScope)):
            scopes.setdefault(scope.user_id, []).append(f"{scope.kind}:{scope.value}")
        users = uow.session.exec(select(DashboardUser).order_by(col(DashboardUser.email))).all()
        return [{"email": u.email, "name": u.name, "role": u.role, "scopes": sorted(scopes.get(u.id, [])),
                 "active": u.active, "created_at": u.created_at.isoformat()} for u in users]


def deactivate_user(app: App, email: str) -> None:
    """The user can no longer log in; every session ends. The account stays (audit, activation)."""
    with app.uow(write=True) as uow:
        user = _user(uow.session, _email(email))
        if not user.active:
            raise InvalidInput(f"Benutzer '{user.email}' ist bereits deaktiviert")
        user.active = False
        uow.session.add(user)
        uow.session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
        uow.commit()


def reset_password(app: App, email: str, *, by: str = "system", days: int = 2) -> str:
    """Make the password useless, end every session and return a one-time link to set a new one."""
    token = secrets.token_urlsafe(32)
    now = app.wall_time()
    with app.uow(write=True) as uow:
        user = _user(uow.session, _email(email))
        if not user.active:
            raise InvalidInput(f"Benutzer '{user.email}' ist deaktiviert")
        user.password_hash = hash_password(secrets.token_urlsafe(32))
        uow.session.add(user)
        uow.session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
        uow.session.add(Invitation(id=_token_id(token), email=user.email, name=user.name, role=RESET, scope_kind="",
                                   scope_value="", created_by=by, created_at=now,
                                   expires_at=now + dt.timedelta(days=days)))
        uow.commit()
    return _link(app, token)


def may_invite(session: Session, who: Principal, network: Network) -> bool:
    """Process owners invite the coordinators of the networks of their region (or Land)."""
    if who.role != UserRole.process_owner:
        return False
    region = session.get(Region, network.region_id)
    return region is not None and who.may_read(network.slug, region.slug, region.state)


def invite_coordinator(app: App, who: Principal, *, email: str, network: str, name: str = "",
                       days: int = INVITATION_DAYS) -> str:
    """A one-time link for a new coordinator of ``network``; returns the link (to send or hand over)."""
    try:
        address = _email(email)
    except InvalidInput as error:
        raise FieldError("email", f"'{email.strip()}' ist keine E-Mail-Adresse") from error
    token = secrets.token_urlsafe(32)
    now = app.wall_time()
    with app.uow(write=True) as uow:
        found = uow.session.exec(select(Network).where(Network.slug == network)).first()
        if found is None:
            raise FieldError("network", f"Verbund '{network}' gibt es nicht")
        if not may_invite(uow.session, who, found):
            raise NotAllowed("nur Prozessverantwortliche der Region laden Koordinationen ein")
        existing = uow.session.exec(select(DashboardUser).where(DashboardUser.email == address)).first()
        if existing is not None and existing.role != UserRole.coordinator:
            raise FieldError("email", f"{address} hat bereits die Rolle {existing.role}")
        uow.session.add(Invitation(id=_token_id(token), email=address, name=name.strip(), role=UserRole.coordinator,
                                   scope_kind=ScopeKind.network, scope_value=found.slug, created_by=who.email,
                                   created_at=now, expires_at=now + dt.timedelta(days=days)))
        uow.commit()
    return _link(app, token)


def send_invitation(app: App, email: str, network: str, link: str) -> bool:
    """Mail the invitation link to ``email`` through the installation's sender; False when it failed
    (then the process owner hands the link over; the reason is logged without the sender's secrets)."""
    from verbund.notifications import DeliveryError, OutgoingMessage
    from verbund.services.messaging.mail import mail_channel, sender_url

    key = _token_id(link)[:32]
    body = (f"Guten Tag,\n\nSie sind als Koordination des Verbunds {network} zum Dashboard eingeladen.\n"
            f"Mit diesem Link setzen Sie Ihr Passwort (einmalig, {INVITATION_DAYS} Tage gültig):\n{link}\n")
    message = OutgoingMessage(delivery=key, keys=(key,), channels=(mail_channel(sender_url(app), email),),
                              subject=f"Einladung: Koordination {network}", body=body)
    try:
        app.notifications().send(message)
    except DeliveryError as error:
        log.warning("Einladung an %s nicht gesendet: %s", email, error)
        return False
    return True


def _open(session: Session, token: str, now: dt.datetime) -> Invitation:
    found = session.get(Invitation, _token_id(token)) if token and len(token) < 200 else None
    if found is None:
        raise NotFound("Einladung", "—")
    if found.used_at is not None:
        raise FieldError("token", "diese Einladung wurde bereits verwendet")
    if found.expires_at <= now:
        raise FieldError("token", "diese Einladung ist abgelaufen; bitte eine neue anfordern")
    return found


def invitation_view(app: App, token: str) -> dict[str, str]:
    """What the invitation page shows (e-mail, role, network); raises for a used or expired link."""
    with app.uow(read_only=True) as uow:
        found = _open(uow.session, token, app.wall_time())
        return {"email": found.email, "role": found.role, "network": found.scope_value, "name": found.name}


def redeem(app: App, token: str, password: str, password_again: str) -> str:
    """Set the password through the link (once); creates an invited user. Returns the e-mail address."""
    if password != password_again:
        raise FieldError("password_again", "die beiden Passwörter stimmen nicht überein")
    try:
        check_password_strength(password)
    except InvalidInput as error:
        raise FieldError("password", str(error).removeprefix("Passwort: ")) from error
    now = app.wall_time()
    with app.uow(write=True) as uow:
        session = uow.session
        found = _open(session, token, now)
        user = session.exec(select(DashboardUser).where(DashboardUser.email == found.email)).first()
        if user is None:
            if found.role == RESET:
                raise NotFound("Benutzer", found.email)
            user = DashboardUser(email=found.email, name=found.name or found.email, role=found.role,
                                 password_hash="", created_at=now)
        user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
        if found.scope_kind and session.exec(select(UserScope).where(
                UserScope.user_id == user.id, UserScope.kind == found.scope_kind,
                UserScope.value == found.scope_value)).first() is None:
            session.add(UserScope(user_id=user.id, kind=found.scope_kind, value=found.scope_value))
        found.used_at = now
        session.add(found)
        session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
        uow.commit()
        return user.email
