"""Dashboard read model: networks × stages per region and Land, coverage, messages (filtered by role).

``overview`` answers the overview page and ``GET /api/overview``; it only ever reads networks the
principal may read, so a filter cannot widen what is shown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, case, func, literal_column, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from verbund.domain.access import UserRole
from verbund.domain.business_days import LAENDER
from verbund.domain.data_versions import DataVersion
from verbund.domain.models import Membership, Network, NotImportedSchool, Organisation, Region
from verbund.domain.outbox import OutboxItem
from verbund.domain.process import load_template
from verbund.domain.stages import StageRun
from verbund.services.access.users import Principal
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import local_date
from verbund.services.app.ferien import Calendars
from verbund.services.app.lru import database_memo, kept
from verbund.services.forecast.cache import cached_forecasts
from verbund.services.importers.coverage import active_membership, school_in_scope

PER_PAGE = 100
SORTS = ("slug", "region", "progress", "overdue")
STATE_FILTERS = ("pending", "open", "ready", "completed", "waived", "overdue")
RISK_FILTERS = ("on_track", "at_risk", "missed", "stalled")  # domain.forecast.RISK_KEYS
# as ``verbund coverage --json``; ``not_imported``: in-scope rows the importer could not store (issue 16)
COVERAGE_KEYS = ("schools_in_scope", "assigned", "unassigned", "assigned_twice", "not_imported")


@dataclass(frozen=True)
class OverviewQuery:
    region: str | None = None
    land: str | None = None
    state: str | None = None  # networks with a stage in this state ("overdue": a stage past its due date)
    sort: str = "slug"
    page: int = 1
    risk: str | None = None  # issue 19: networks whose stored forecast has this risk key (``RISK_FILTERS``)


def scope_filter(principal: Principal) -> ColumnElement[bool] | None:
    """SQL condition on (Network, Region) for what the principal may read; None: everything."""
    if principal.reads_all:
        return None
    if principal.role == UserRole.process_owner:
        return or_(col(Region.state).in_(sorted(principal.lands)), col(Region.slug).in_(sorted(principal.regions)))
    return col(Network.slug).in_(sorted(principal.networks))


def _networks(session: Session, principal: Principal, query: OverviewQuery) -> list[Row[Any]]:
    """The readable networks as plain rows (``slug name template region region_name land``).

    Keyed by slugs throughout: the page needs no ids, and hundreds of UUIDs parsed per request cost
    more than the queries."""
    statement = select(Network.slug, Network.name, Network.template,  # type: ignore[call-overload]
                       col(Region.slug).label("region"), col(Region.name).label("region_name"),
                       col(Region.state).label("land")) \
        .join(Region, col(Region.id) == col(Network.region_id))
    condition = scope_filter(principal)
    if condition is not None:
        statement = statement.where(condition)
    if query.region:
        statement = statement.where(Region.slug == query.region)
    if query.land:
        statement = statement.where(Region.state == query.land.upper())
    return list(session.exec(statement.order_by(col(Region.slug), col(Network.slug))).all())


def _runs(session: Session, slugs: list[str]) -> dict[str, dict[str, Any]]:
    """Per network slug and stage its latest run, as a row (``network stage state due completed_at``)."""
    found: dict[str, dict[str, Any]] = {}
    if not slugs:
        return found
    rows = session.exec(select(Network.slug, StageRun.stage, StageRun.state,  # type: ignore[call-overload]
                               StageRun.due, StageRun.completed_at)
                        .join(Network, col(Network.id) == col(StageRun.network_id))
                        .where(col(Network.slug).in_(slugs))
                        .order_by(col(StageRun.position), col(StageRun.cycle)))
    for run in rows:
        found.setdefault(run[0], {})[run[1]] = run  # the latest cycle wins
    return found


def _messages(session: Session, slugs: list[str]) -> dict[str, dict[str, int]]:
    """Messages sent / failed per network, counted in ``ix_outboxitem_network_status`` alone."""
    found: dict[str, dict[str, int]] = {}
    if not slugs:
        return found
    ids = dict(session.exec(select(Network.id, Network.slug).where(col(Network.slug).in_(slugs))).all())
    rows = session.exec(select(OutboxItem.network_id, OutboxItem.status, func.count())
                        .where(col(OutboxItem.network_id).in_(list(ids)),
                               col(OutboxItem.status).in_(["sent", "failed"]))
                        .group_by(col(OutboxItem.network_id), col(OutboxItem.status)))
    for network_id, status, count in rows:
        found.setdefault(ids[network_id], {})[status] = count
    return found


def coverage(session: Session, regions: list[str], at: dt.datetime) -> dict[str, dict[str, int]]:
    """Coverage of public schools per region (by slug) at ``at``, by the project's one definition
    (``services.importers.coverage``, as ``verbund coverage --json``): open public schools in scope,
    assigned exactly once, unassigned, assigned to more than one network by active non-guest memberships.

    One grouped query over ``ix_organisation_coverage``: per school a correlated count of its active
    memberships on ``ix_membership_open`` (its networks are counted distinctly only when it has two or
    more), grouped by region and that number of networks; no per-region loop, no list of members.
    """
    ids = dict(session.exec(select(Region.id, Region.slug).where(col(Region.slug).in_(regions))).all()) \
        if regions else {}
    found: dict[str, dict[str, int]] = {slug: dict.fromkeys(COVERAGE_KEYS, 0) for slug in regions}
    if not ids:
        return found

    def of_school() -> ColumnElement[bool]:  # the school's active non-guest memberships (the definition's)
        condition: ColumnElement[bool] = (col(Membership.organisation_id) == col(Organisation.id)) \
            & active_membership(at)
        return condition

    networks = select(func.count(func.distinct(col(Membership.network_id)))).where(of_school()) \
        .correlate(Organisation).scalar_subquery()
    # 0 or 1 membership: that many networks; two or more: one network or several (counted distinctly)
    times = select(case((func.count() < 2, func.count()), (networks > 1, 2), else_=1)).where(of_school()) \
        .correlate(Organisation).scalar_subquery()
    rows = session.execute(
        sa_select(col(Organisation.region_id), times.label("times"), func.count())
        .where(col(Organisation.region_id).in_(list(ids)), school_in_scope(at))
        .group_by(col(Organisation.region_id), literal_column("times"))).all()
    for region_id, times_, count in rows:
        bucket = found[ids[region_id]]
        bucket["schools_in_scope"] += count
        bucket[{0: "unassigned", 1: "assigned"}.get(int(times_), "assigned_twice")] += count
    missing = session.execute(
        sa_select(col(NotImportedSchool.region_id), func.count())
        .where(col(NotImportedSchool.region_id).in_(list(ids)), col(NotImportedSchool.recorded_at) <= at)
        .group_by(col(NotImportedSchool.region_id))).all()
    for region_id, count in missing:
        found[ids[region_id]]["not_imported"] = count
    return found


_VERSION = DataVersion.__table__  # type: ignore[attr-defined]
_REGION_VERSIONS = (sa_select(col(Region.slug), col(Region.id), _VERSION.c.version)
                    .outerjoin(_VERSION, (_VERSION.c.kind == "region") & (_VERSION.c.id == col(Region.id)))
                    .where(col(Region.slug).in_(bindparam("slugs", expanding=True))))


def kept_coverage(session: Session, regions: list[str], at: dt.datetime) -> dict[str, dict[str, int]]:
    """``coverage`` with each region's counts kept by (region, the region's data version, local day)
    for the database (issue 20): a Land overview's eight regions cost ~24 ms, and its second page, the
    other roles' overviews and the region overviews count the same regions again. The region's counter
    rises in the same transaction as every change of its schools, its networks' memberships and its
    records of schools not imported (``services.app.versions``), and the day is in the key as in the
    page cache's: an entry is never used after a change."""
    if not regions:
        return {}
    day = local_date(at)
    keys = {slug: (region_id, version or 0, day)
            for slug, region_id, version in session.connection().execute(_REGION_VERSIONS, {"slugs": regions})}
    return kept(database_memo(session, "overview.coverage", 1024), keys,
                lambda missing: coverage(session, missing, at))


def _stage_cell(run: Row[Any] | None, name: str, today: dt.date) -> dict[str, Any]:
    if run is None:
        return {"name": name, "state": None, "due": None, "overdue": False, "completed_at": None}
    overdue = run.state in ("open", "ready") and run.due is not None and run.due < today
    return {"name": name, "state": run.state, "due": run.due.isoformat() if run.due else None, "overdue": overdue,
            "completed_at": run.completed_at.isoformat() if run.completed_at else None}


def _columns(templates: set[str]) -> list[str]:
    names: list[str] = []
    for key in sorted(templates):
        for name in load_template(key).stage_names:
            if name not in names:
                names.append(name)
    return names


def _keep(row: dict[str, Any], state: str | None) -> bool:
    if not state:
        return True
    if state == "overdue":
        return any(cell["overdue"] for cell in row["stages"])
    return any(cell["state"] == state for cell in row["stages"])


def _risk(row: dict[str, Any], risk: str | None) -> bool:
    return not risk or (row["forecast"] is not None and row["forecast"]["risk"] == risk)


def _sort_key(sort: str) -> Any:
    if sort == "region":
        return lambda row: (row["region"], row["slug"])
    if sort == "progress":
        return lambda row: (-sum(c["state"] in ("completed", "waived") for c in row["stages"]), row["slug"])
    if sort == "overdue":
        return lambda row: (-sum(c["overdue"] for c in row["stages"]), row["slug"])
    return lambda row: row["slug"]


def overview(app: App, principal: Principal, query: OverviewQuery = OverviewQuery(), *,
             shared: bool = False) -> dict[str, Any]:
    """The overview page's networks × stages and the regions' coverage; ``shared``: the regions' counts
    may come from the per-region-version memo (``kept_coverage``: the dashboard with its cache on)."""
    at = app.now()
    today = local_date(at)
    with app.uow(read_only=True) as uow:
        session = uow.session
        pairs = _networks(session, principal, query)
        every_run = bool(query.state) or query.sort in ("progress", "overdue")  # else only the page's runs
        runs = _runs(session, [n.slug for n in pairs]) if every_run else {}
        columns = _columns({n.template for n in pairs})
        rows: list[dict[str, Any]] = [{"slug": n.slug, "name": n.name, "region": n.region, "land": n.land,
                 "template": n.template, "stages": [_stage_cell(runs.get(n.slug, {}).get(c), c, today) for c in columns]
                 if every_run else []} for n in pairs]
        forecasts = cached_forecasts(session, [n.slug for n in pairs])  # computed ahead, never here (issue 19)
        for row in rows:
            row["forecast"] = forecasts.get(row["slug"])
        rows = sorted((row for row in rows if _keep(row, query.state) and _risk(row, query.risk)),
                      key=_sort_key(query.sort))
        total, pages = len(rows), max(1, -(-len(rows) // PER_PAGE))
        page = min(max(1, query.page), pages)
        shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
        slugs = [row["slug"] for row in shown]
        if not every_run:
            page_runs = _runs(session, slugs)
            for row in shown:
                row["stages"] = [_stage_cell(page_runs.get(row["slug"], {}).get(c), c, today) for c in columns]
        messages = _messages(session, slugs)
        unreachable = _unreachable(session, slugs, at, shared)
        regions = {n.region: n for n in pairs}
        counted = kept_coverage if shared else coverage
        cover = counted(session, list(regions), at) if principal.role != UserRole.coordinator else {}
        ferien = _ferien_warnings(session, shown, today)
    for row in shown:
        counts = messages.get(row["slug"], {})
        row["messages"] = {"sent": counts.get("sent", 0), "failed": counts.get("failed", 0)}
        row["unreachable"] = unreachable.get(row["slug"], [])
    return {
        "stages": columns,
        "networks": shown,
        "total": total,
        "page": page,
        "pages": pages,
        "regions": [{"slug": r.region, "name": r.region_name, "land": r.land, **cover.get(r.region, {})}
                    for r in sorted(regions.values(), key=lambda r: r.region)],
        "today": today.isoformat(),
        "ferien_warnings": ferien,
    }


def _ferien_warnings(session: Session, rows: list[dict[str, Any]], today: dt.date) -> list[str]:
    """One sentence per Land whose Schulferien are not known for today or a shown due date (issue 16)."""
    calendars = Calendars(session)
    for row in rows:
        if row["land"] not in LAENDER:
            continue
        calendar = calendars(row["land"])
        calendar.contains(today)
        for cell in row["stages"]:
            if cell.get("due") and cell.get("state") in ("open", "ready"):
                calendar.contains(dt.date.fromisoformat(cell["due"]))
    return calendars.warnings()


_NETWORK_VERSIONS = (sa_select(col(Network.id), col(Network.slug), _VERSION.c.version)
                     .outerjoin(_VERSION, (_VERSION.c.kind == "network") & (_VERSION.c.id == col(Network.id)))
                     .where(col(Network.slug).in_(bindparam("slugs", expanding=True))))


def _unreachable(session: Session, slugs: list[str], at: dt.datetime, shared: bool = False) -> dict[str, list[str]]:
    """The page's networks' member organisations that no message reaches (never silently skipped, issue 12).

    ``shared``: each network's list is kept by (network, its data version, local day) for the database
    (issue 20: 15 ms for a Land page's 100 networks, asked again by its other role and by the region
    overviews); a change of a member's contacts, of the organisation or of the memberships raises the
    network's counter in its transaction (``services.app.versions``)."""
    from verbund.services.messaging.reach import unreachable_members

    if not slugs:
        return {}
    rows = session.connection().execute(_NETWORK_VERSIONS, {"slugs": slugs}).all()
    ids = {network_id: slug for network_id, slug, _version in rows}

    def named(networks: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        fresh = unreachable_members(session, at, networks)
        return {network_id: [name for name, _reason in fresh.get(network_id, [])] for network_id in networks}

    if shared:
        day = local_date(at)
        keys = {network_id: (network_id, version or 0, day) for network_id, _slug, version in rows}
        found = kept(database_memo(session, "overview.unreachable", 4096), keys, named)
    else:
        found = named(list(ids))
    return {ids[network_id]: names for network_id, names in found.items() if names}
