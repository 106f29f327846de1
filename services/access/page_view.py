"""What every dashboard page reads before anything else, cheaply (issue 20): who the reader is (the
session), and for the cached pages the page's scope (the permission check) and its data versions.

A cache hit is nothing but this, so it runs in **one read-only transaction on one connection** with
statements built once at import (SQLAlchemy memoises their cache keys, so executing them costs no
statement building or compiling) and plain rows instead of ORM objects:
1. the session, its user and the user's scopes (one joined statement);
2. the networks the user stands in for (only when the user has stand-in rows: a second statement);
3. the page's stamp: for a network page the network's region and Land and the counters of the network
   and its region (its first screen reads region-wide facts: the coverage exit check), for a region
   page the region's name and Land and its counter, for an overview the sum and count of the
   counters of the regions the reader sees — each with the time of the stored forecasts.

Nothing is remembered between requests: a logged-out or disabled user, a changed scope or an ended
stand-in takes effect on the next request, exactly as a commit of data does (``services.app.versions``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, literal, or_, select
from sqlmodel import col

from verbund.domain.access import DashboardUser, ScopeKind, StandIn, UserRole, UserScope, UserSession, stand_in_active
from verbund.domain.data_versions import DataVersion
from verbund.domain.forecast_cache import ForecastEntry
from verbund.domain.models import Network, Region
from verbund.services.access.users import Principal, _token_id
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import local_date
from verbund.services.app.db import READ_ONLY

_VERSION = DataVersion.__table__  # type: ignore[attr-defined]
_FORECAST = select(func.max(col(ForecastEntry.computed_at))).scalar_subquery()

_SESSION = (
    select(col(UserSession.csrf), col(UserSession.expires_at), col(DashboardUser.id), col(DashboardUser.email),
           col(DashboardUser.name), col(DashboardUser.role), col(DashboardUser.active), col(UserScope.kind),
           col(UserScope.value),
           select(literal(1)).where(col(StandIn.stand_in_id) == col(DashboardUser.id)).exists().label("stands_in"))
    .select_from(UserSession)
    .join(DashboardUser, col(DashboardUser.id) == col(UserSession.user_id))
    .outerjoin(UserScope, col(UserScope.user_id) == col(DashboardUser.id))
    .where(col(UserSession.id) == bindparam("token"))
)
_STOOD_FOR = (
    select(col(UserScope.value), col(StandIn.valid_from), col(StandIn.valid_to))
    .join(StandIn, col(StandIn.coordinator_id) == col(UserScope.user_id))
    .where(col(StandIn.stand_in_id) == bindparam("user"), col(UserScope.kind) == ScopeKind.network)
)
_REGION_VERSION = _VERSION.alias("region_version")
_NETWORK = (  # the region's counter too: the page shows region-wide facts (coverage, the region's name)
    select(col(Network.slug), col(Region.slug), col(Region.state), _VERSION.c.version, _REGION_VERSION.c.version,
           _FORECAST)
    .select_from(Network)
    .join(Region, col(Region.id) == col(Network.region_id))
    .outerjoin(_VERSION, and_(_VERSION.c.kind == "network", _VERSION.c.id == col(Network.id)))
    .outerjoin(_REGION_VERSION, and_(_REGION_VERSION.c.kind == "region", _REGION_VERSION.c.id == col(Region.id)))
    .where(col(Network.slug) == bindparam("slug"))
)
_REGION = (
    select(col(Region.slug), col(Region.name), col(Region.state), _VERSION.c.version, _FORECAST)
    .select_from(Region)
    .outerjoin(_VERSION, and_(_VERSION.c.kind == "region", _VERSION.c.id == col(Region.id)))
    .where(col(Region.slug) == bindparam("slug"))
)
_REGIONS_SUM = (select(func.coalesce(func.sum(_VERSION.c.version), 0), func.count(), _FORECAST)
                .select_from(_VERSION).join(Region, col(Region.id) == _VERSION.c.id)
                .where(_VERSION.c.kind == "region"))
_OVERVIEW = {
    "all": _REGIONS_SUM,
    "process_owner": _REGIONS_SUM.where(or_(col(Region.state).in_(bindparam("lands", expanding=True)),
                                            col(Region.slug).in_(bindparam("regions", expanding=True)))),
    "coordinator": _REGIONS_SUM.where(col(Region.id).in_(
        select(col(Network.region_id)).where(col(Network.slug).in_(bindparam("networks", expanding=True))))),
}


@dataclass(frozen=True)
class PageView:
    """The reader (None: not signed in), the page's scope (None: no such page) and its stamp."""

    reader: Principal | None
    scope: tuple[str, str, str] | None = None  # network page: (network, region, Land); region: (slug, name, Land)
    stamp: str = ""


def _reader(connection: Connection, token: str | None, now: dt.datetime) -> Principal | None:
    if not token or len(token) > 200:
        return None
    rows = connection.execute(_SESSION, {"token": _token_id(token)}).all()
    if not rows:
        return None
    csrf, expires_at, user_id, email, name, role, active, _kind, _value, stands_in = rows[0]
    if expires_at <= now or not active:
        return None
    scopes: dict[str, set[str]] = {kind: set() for kind in ScopeKind}
    for row in rows:
        if row[7] is not None:
            scopes.setdefault(row[7], set()).add(row[8])
    if stands_in:
        scopes[ScopeKind.network].update(value for value, valid_from, valid_to in connection.execute(
            _STOOD_FOR, {"user": user_id}) if stand_in_active(valid_from, valid_to, now))
    return Principal(user_id, email, name, role, frozenset(scopes[ScopeKind.land]), frozenset(scopes[ScopeKind.region]),
                  frozenset(scopes[ScopeKind.network]), csrf)


def _stamp(app: App, *values: Any) -> str:
    """Counters (absent: 0), the stored forecasts' time, the local day."""
    counters = "-".join(str(0 if value is None else value) for value in values[:-1])
    return f"{counters}|{values[-1]}|{local_date(app.now())}"


def _page_stamp(connection: Connection, app: App, *, network: str | None, region: str | None,
                principal: Principal | None) -> tuple[tuple[str, str, str] | None, str]:
    if network is not None or region is not None:
        row = connection.execute(_NETWORK if network is not None else _REGION, {"slug": network or region}).first()
        if row is None:
            return None, ""
        return (row[0], row[1], row[2]), _stamp(app, *row[3:])
    if principal is None or principal.reads_all:
        row = connection.execute(_OVERVIEW["all"]).one()
    elif principal.role == UserRole.process_owner:
        row = connection.execute(_OVERVIEW["process_owner"], {"lands": sorted(principal.lands),
                                                              "regions": sorted(principal.regions)}).one()
    else:  # coordinators: the regions of their networks
        row = connection.execute(_OVERVIEW["coordinator"], {"networks": sorted(principal.networks)}).one()
    return None, _stamp(app, row[0], row[1], row[2])


def _read(app: App) -> Connection:
    return app.engine.connect().execution_options(**{READ_ONLY: True})


def page_view(app: App, token: str | None, *, network: str | None = None, region: str | None = None,
              overview: bool = False) -> PageView:
    """The reader of session ``token`` and, when signed in, the scope and stamp of the network page
    ``network``, the region page ``region`` or (``overview``) the reader's overview; all in one
    read-only transaction. The stamp changes with every commit the page depends on (its counters,
    the stored forecasts) and with the local day (overdue marks)."""
    with _read(app) as connection, connection.begin():
        reader = _reader(connection, token, app.wall_time())
        if reader is None or (network is None and region is None and not overview):
            return PageView(reader)
        scope, stamp = _page_stamp(connection, app, network=network, region=region, principal=reader)
        return PageView(reader, scope, stamp)


def stamps(app: App, *, network: str | None = None, region: str | None = None,
           principal: Principal | None = None) -> str:
    """The stamp of the network page ``network``, the region page ``region`` or the overview of
    ``principal`` (None: every region) alone ("" for an unknown network or region)."""
    with _read(app) as connection, connection.begin():
        return _page_stamp(connection, app, network=network, region=region, principal=principal)[1]
