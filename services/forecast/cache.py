"""Forecasts computed ahead for the dashboard (issue 19), keyed by the data's version and the day.

``refresh_forecasts`` runs the forecast for today and stores one row per network; it is called by
the daily sweep and, after a change, in the background of the request that noticed it (never while
a page renders). Pages read with ``cached_forecasts``: rows of the current version and day, or the
latest older ones marked ``stale`` (shown with their date until the refresh is through).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from verbund.domain.business_days import local_date
from verbund.domain.data_versions import DataVersion
from verbund.domain.errors import DomainError
from verbund.domain.forecast_cache import ForecastEntry
from verbund.domain.models import Network
from verbund.domain.stages import StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.lru import LRU, database_memo
from verbund.services.forecast.run import DEFAULT_DRAWS, run_forecast

_refreshing = threading.Lock()


def data_version(session: Session) -> str:
    """Changes whenever a stage moves (every transition and deadline extension raises its run's
    ``version``) or a network is added or closed. Cheap: aggregates over stage runs and networks,
    not over the (much longer) audit table."""
    runs = session.connection().execute(sa_select(func.count(), func.sum(col(StageRun.version)))).one()
    networks = session.connection().execute(
        sa_select(func.count(), func.count(col(Network.closed_at)))).one()
    return f"r{runs[0]}-v{runs[1] or 0}-n{networks[0]}-c{networks[1]}"


def is_current(app: App) -> bool:
    """Whether today's forecasts for the current data are stored."""
    with app.uow(read_only=True) as uow:
        return is_current_in(uow.session, local_date(app.now()))


_VERSIONS = DataVersion.__table__.c  # type: ignore[attr-defined]
_REGIONS = sa_select(func.coalesce(func.sum(_VERSIONS.version), 0), func.count()).where(_VERSIONS.kind == "region")


def is_current_in(session: Session, today: dt.date) -> bool:
    """``is_current`` in the caller's read transaction.

    Every page's first view asks this (to refresh the forecasts in the background after a change), so
    a positive answer is remembered per database with the day and the sum and count of the regions'
    data versions (one small statement): every change that moves ``data_version`` — a stage run's
    transition, a network added or closed — raises its network's region's counter in its own
    transaction (``services.app.versions``), so while that signature holds the answer does too."""
    signature = (today, *session.connection().execute(_REGIONS).one())
    known: LRU[bool] = database_memo(session, "forecast.current", 1)  # the last signature found current
    if known.get(signature):
        return True
    version = data_version(session)
    found = bool(session.connection().execute(
        sa_select(func.count()).select_from(ForecastEntry).where(
            col(ForecastEntry.as_of) == today, col(ForecastEntry.version) == version)).scalar_one())
    if found:
        known.put(signature, True)
    return found


def refresh_forecasts(app: App, *, draws: int = DEFAULT_DRAWS, force: bool = False) -> int:
    """Forecast every network as of today and store it (nothing when already current); the count stored.

    One refresh at a time in this process; networks of a template without a report date get no
    forecast (the dashboard says so) rather than failing the others.
    """
    if not _refreshing.acquire(blocking=False):
        return 0
    try:
        if not force and is_current(app):
            return 0
        today = local_date(app.now())
        with app.uow(read_only=True) as uow:
            version = data_version(uow.session)
        try:
            data = run_forecast(app, as_of=today, draws=draws, with_target_only=True)
        except DomainError:
            return 0
        with app.uow(write=True) as uow:
            session = uow.session
            session.execute(delete(ForecastEntry))  # only the latest set is kept
            now = app.wall_time()
            for network in data["networks"]:
                p80 = dt.date.fromisoformat(network["p80"]) if network["p80"] else None
                session.add(ForecastEntry(network=network["slug"], as_of=today, version=version,
                                          risk=network["risk_key"], p80=p80, payload=network, computed_at=now))
            uow.commit()
        return len(data["networks"])
    finally:
        _refreshing.release()


def cached_forecasts(session: Session, slugs: list[str], *, with_payload: bool = False) -> dict[str, dict[str, Any]]:
    """``slug → {"risk", "p80", "as_of", "payload"?}`` from the stored forecasts (none: not computed yet)."""
    if not slugs:
        return {}
    table = ForecastEntry.__table__.c  # type: ignore[attr-defined]
    columns = [table.network, table.risk, table.p80, table.as_of] + ([table.payload] if with_payload else [])
    found: dict[str, dict[str, Any]] = {}
    for row in session.connection().execute(sa_select(*columns).where(table.network.in_(slugs))):
        entry = {"risk": row.risk, "p80": row.p80.isoformat() if row.p80 else None, "as_of": row.as_of.isoformat()}
        if with_payload:
            entry["payload"] = row.payload
        found[row.network] = entry
    return found


def network_forecast(app: App, slug: str) -> dict[str, Any] | None:
    """The stored forecast of one network with its basis, or None when none is computed yet."""
    with app.uow(read_only=True) as uow:
        return network_forecast_in(uow.session, slug)


def network_forecast_in(session: Session, slug: str) -> dict[str, Any] | None:
    """``network_forecast`` in the caller's read transaction."""
    entry = cached_forecasts(session, [slug], with_payload=True).get(slug)
    if entry is None:
        return None
    return {"as_of": entry["as_of"], **entry["payload"]}
