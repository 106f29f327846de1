"""Dashboard users: passwords (scrypt), scopes, sessions with CSRF tokens, stand-ins, permissions.

Roles (``domain.access.UserRole``): the ministry reads everything and changes nothing; a process
owner reads and acts on the networks of a region or a Land, and alone may sign off or waive a
stage; a coordinator reads and acts on their networks and, during an absence, a stand-in acts for
them. Partners have no account (``services.inputs.links``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, select

from verbund.domain.access import DashboardUser, ScopeKind, StandIn, UserRole, UserScope, UserSession
from verbund.domain.errors import InvalidInput, NotFound
from verbund.domain.models import Network, Region
from verbund.services.app.bootstrap import App

SESSION_HOURS = 12
MIN_PASSWORD = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


# --- passwords -------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (stdlib ``hashlib.scrypt``, 16 MiB memory per hash)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, maxmem=64 * 2**20, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected), maxmem=64 * 2**20)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Passwort: mindestens {MIN_PASSWORD} Zeichen")
    if password.strip() != password or len(set(password)) < 5:
        raise InvalidInput("Passwort: zu einfach (Leerzeichen am Rand oder zu wenige verschiedene Zeichen)")


# --- the signed-in person and what they may do ----------------------------------------------

@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    lands: frozenset[str] = field(default_factory=frozenset)
    regions: frozenset[str] = field(default_factory=frozenset)
    networks: frozenset[str] = field(default_factory=frozenset)  # own and stood-in-for networks
    csrf: str = ""

    @property
    def reads_all(self) -> bool:
        return self.role == UserRole.ministry

    def may_read(self, network: str, region: str, land: str) -> bool:
        if self.reads_all:
            return True
        if self.role == UserRole.process_owner:
            return land.upper() in self.lands or region in self.regions
        return network in self.networks

    def may_act(self, network: str, region: str, land: str) -> bool:
        """Record input, schedule, draft: process owners and coordinators within their scope."""
        return self.role != UserRole.ministry and self.may_read(network, region, land)

    def may_decide(self, network: str, region: str, land: str) -> bool:
        """Sign off or waive a stage: process owners only."""
        return self.role == UserRole.process_owner and self.may_read(network, region, land)

    def may_read_region(self, region: str, land: str) -> bool:
        if self.reads_all:
            return True
        return self.role == UserRole.process_owner and (land.upper() in self.lands or region in self.regions)


# --- users -------------------------------------------------------------------------------------

def _scope_values(session: Session, role: str, region: str | None, network: str | None) -> tuple[str, str]:
    if role not in UserRole.__members__:
        raise InvalidInput(f"--role: '{role}' unbekannt (erlaubt: {', '.join(UserRole.__members__)})")
    if role == UserRole.ministry:
        if region or network:
            raise InvalidInput("--role ministry: liest alles, ohne --region/--network")
        return "", ""
    if role == UserRole.process_owner:
        if not region or network:
            raise InvalidInput("--role process_owner braucht --region SLUG oder --region LAND (z. B. SN)")
        if len(region) == 2 and region.isalpha():
            return ScopeKind.land, region.upper()
        if session.exec(select(Region.id).where(Region.slug == region)).first() is None:
            raise NotFound("Region", region)
        return ScopeKind.region, region
    if not network or region:
        raise InvalidInput("--role coordinator braucht --network SLUG")
    if session.exec(select(Network.id).where(Network.slug == network)).first() is None:
        raise NotFound("Verbund", network)
    return ScopeKind.network, network


def add_user(app: App, *, email: str, role: str, password: str, name: str = "",
             region: str | None = None, network: str | None = None) -> bool:
    """Create a user, or add a scope to an existing one (same role). Returns True when created."""
    email = _email(email)
    check_password_strength(password)
    with app.uow(write=True) as uow:
        session = uow.session
        kind, value = _scope_values(session, role, region, network)
        user = session.exec(select(DashboardUser).where(DashboardUser.email == email)).first()
        created = user is None
        if user is None:
            user = DashboardUser(email=email, name=name or email, role=role, password_hash=hash_password(password),
                                 created_at=app.wall_time())
            session.add(user)
            session.flush()
        elif user.role != role:
            raise InvalidInput(f"Benutzer '{email}' hat bereits die Rolle {user.role}")
        if kind and session.exec(select(UserScope).where(UserScope.user_id == user.id, UserScope.kind == kind,
                                                         UserScope.value == value)).first() is None:
            session.add(UserScope(user_id=user.id, kind=kind, value=value))
        uow.commit()
    return created


def set_password(app: App, *, email: str, password: str) -> None:
    check_password_strength(password)
    with app.uow(write=True) as uow:
        user = _user(uow.session, _email(email))
        user.password_hash = hash_password(password)
        uow.session.add(user)
        uow.session.exec(delete(UserSession).where(col(UserSession.user_id) == user.id))
        uow.commit()


def _email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or " " in email:
        raise InvalidInput(f"--email: '{email}' ist keine E-Mail-Adresse")
    return email


def _user(session: Session, email: str) -> DashboardUser:
    user = session.exec(select(DashboardUser).where(DashboardUser.email == email)).first()
    if user is None:
        raise NotFound("Benutzer", email)
    return user


def principal_of(session: Session, user: DashboardUser, at: dt.datetime, csrf: str = "") -> Principal:
    scopes: dict[str, set[str]] = {kind: set() for kind in ScopeKind}
    for scope in session.exec(select(UserScope).where(UserScope.user_id == user.id)):
        scopes[scope.kind].add(scope.value)
    stood_for = [s.coordinator_id for s in session.exec(select(StandIn).where(StandIn.stand_in_id == user.id))
                 if s.active_at(at)]
    if stood_for:
        rows = session.exec(select(UserScope.value).where(col(UserScope.user_id).in_(stood_for),
                                                          UserScope.kind == ScopeKind.network))
        scopes[ScopeKind.network].update(rows)
    return Principal(user.id, user.email, user.name, user.role, frozenset(scopes[ScopeKind.land]),
                     frozenset(scopes[ScopeKind.region]), frozenset(scopes[ScopeKind.network]), csrf)


# --- sessions ----------------------------------------------------------------------------------

def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(app: App, email: str, password: str, client: str = "") -> str | None:
    """A new session token for the right password, else None (same work either way).

    Throttled per account and client address (``services.access.throttle``): raises ``LoginThrottled``
    while an attempt must wait, for existing and unknown accounts alike."""
    from verbund.services.access import throttle

    now = app.wall_time()
    names = throttle.keys(email, client)
    throttle.check(app, names, now)
    with app.uow(write=True) as uow:
        user = uow.session.exec(select(DashboardUser).where(DashboardUser.email == (email or "").strip().lower())
                                ).first()
        stored = user.password_hash if user is not None and user.active else _DUMMY_HASH
        if not verify_password(password, stored) or user is None or not user.active:
            throttle.record_failure(uow.session, names, now)
            uow.commit()
            return None
        throttle.clear(uow.session, names[:1])
        token = secrets.token_urlsafe(32)
        uow.session.add(UserSession(id=_token_id(token), user_id=user.id, csrf=secrets.token_urlsafe(24),
                                    created_at=now, expires_at=now + dt.timedelta(hours=SESSION_HOURS)))
        uow.session.exec(delete(UserSession).where(col(UserSession.expires_at) < now))
        uow.commit()
    return token


def session_principal(app: App, token: str | None) -> Principal | None:
    """The signed-in person of session ``token`` (None: no such session, expired, or the user disabled);
    read afresh each time (``services.access.page_view``), so a logout or a disabled user counts at once."""
    from verbund.services.access.page_view import page_view

    return page_view(app, token).reader


def logout(app: App, token: str | None) -> None:
    if not token:
        return
    with app.uow(write=True) as uow:
        found = uow.session.get(UserSession, _token_id(token))
        if found is not None:
            uow.session.delete(found)
            uow.commit()


# --- stand-ins ---------------------------------------------------------------------------------

def set_stand_in(app: App, *, coordinator: str, stand_in: str, until: dt.datetime, by: str,
                 start: dt.datetime | None = None) -> None:
    """``stand_in`` (a coordinator) acts for ``coordinator``'s networks until ``until``."""
    start = start or app.now()
    if until <= start:
        raise InvalidInput("Vertretung: das Ende liegt nicht nach dem Beginn")
    with app.uow(write=True) as uow:
        owner, deputy = _user(uow.session, _email(coordinator)), _user(uow.session, _email(stand_in))
        if owner.id == deputy.id:
            raise InvalidInput("Vertretung: eine Person kann sich nicht selbst vertreten")
        if owner.role != UserRole.coordinator or deputy.role != UserRole.coordinator:
            raise InvalidInput("Vertretung: beide Personen müssen die Rolle coordinator haben")
        uow.session.add(StandIn(coordinator_id=owner.id, stand_in_id=deputy.id, valid_from=start, valid_to=until,
                                created_by=by))
        uow.commit()


def stand_ins(app: App, coordinator: str) -> list[dict[str, str]]:
    with app.uow() as uow:
        owner = _user(uow.session, _email(coordinator))
        rows = uow.session.exec(select(StandIn, DashboardUser).join(DashboardUser, col(DashboardUser.id) ==
                                                                     col(StandIn.stand_in_id))
                                .where(StandIn.coordinator_id == owner.id).order_by(col(StandIn.valid_from))).all()
        return [{"stand_in": user.email, "from": s.valid_from.isoformat(), "to": s.valid_to.isoformat()}
                for s, user in rows]


_DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
