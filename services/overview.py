"""Dashboard read model: networks × stages per region and Land, coverage, messages (filtered by role).

``overview`` answers the overview page and ``GET /api/overview``; it only ever reads networks the
principal may read, so a filter cannot widen what is shown.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from domain.access import UserRole
from domain.models import Membership, Network, Organisation, OrganisationKind, Region
from domain.outbox import OutboxItem
from domain.process import load_template
from domain.stages import StageRun
from services.bootstrap import App
from services.clock import local_date
from services.users import Principal

PER_PAGE = 100
SORTS = ("slug", "region", "progress", "overdue")
STATE_FILTERS = ("pending", "open", "ready", "completed", "waived", "overdue")


@dataclass(frozen=True)
class OverviewQuery:
    region: str | None = None
    land: str | None = None
    state: str | None = None  # networks with a stage in this state ("overdue": a stage past its due date)
    sort: str = "slug"
    page: int = 1


def scope_filter(principal: Principal) -> ColumnElement[bool] | None:
    """SQL condition on (Network, Region) for what the principal may read; None: everything."""
    if principal.reads_all:
        return None
    if principal.role == UserRole.process_owner:
        return or_(col(Region.state).in_(sorted(principal.lands)), col(Region.slug).in_(sorted(principal.regions)))
    return col(Network.slug).in_(sorted(principal.networks))


def _networks(session: Session, principal: Principal, query: OverviewQuery) -> list[tuple[Network, Region]]:
    statement = select(Network, Region).join(Region, col(Region.id) == col(Network.region_id))
    condition = scope_filter(principal)
    if condition is not None:
        statement = statement.where(condition)
    if query.region:
        statement = statement.where(Region.slug == query.region)
    if query.land:
        statement = statement.where(Region.state == query.land.upper())
    return list(session.exec(statement.order_by(col(Region.slug), col(Network.slug))).all())


def _runs(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, StageRun]]:
    found: dict[uuid.UUID, dict[str, StageRun]] = {}
    if not ids:
        return found
    rows = session.exec(select(StageRun).where(col(StageRun.network_id).in_(ids))
                        .order_by(col(StageRun.position), col(StageRun.cycle)))
    for run in rows:
        found.setdefault(run.network_id, {})[run.stage] = run  # the latest cycle wins
    return found


def _messages(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    found: dict[uuid.UUID, dict[str, int]] = {}
    if not ids:
        return found
    rows = session.exec(select(OutboxItem.network_id, OutboxItem.status, func.count())
                        .where(col(OutboxItem.network_id).in_(ids), col(OutboxItem.status).in_(["sent", "failed"]))
                        .group_by(col(OutboxItem.network_id), col(OutboxItem.status)))
    for network_id, status, count in rows:
        found.setdefault(network_id, {})[status] = count
    return found


def coverage(session: Session, region_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """Public schools in scope per region, and how many are members of a network now."""
    if not region_ids:
        return {}
    schools = (col(Organisation.kind) == OrganisationKind.public_school, col(Organisation.in_scope).is_(True),
               col(Organisation.region_id).in_(region_ids), col(Organisation.closed_at).is_(None))
    totals = dict(session.exec(select(Organisation.region_id, func.count()).where(*schools)
                               .group_by(col(Organisation.region_id))).all())
    assigned_ids = (select(Membership.organisation_id).where(col(Membership.valid_to).is_(None)).distinct())
    assigned = dict(session.exec(select(Organisation.region_id, func.count()).where(
        *schools, col(Organisation.id).in_(assigned_ids)).group_by(col(Organisation.region_id))).all())
    return {rid: {"schools_in_scope": totals.get(rid, 0), "assigned": assigned.get(rid, 0)} for rid in region_ids}


def _stage_cell(run: StageRun | None, name: str, today: dt.date) -> dict[str, Any]:
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


def _sort_key(sort: str) -> Any:
    if sort == "region":
        return lambda row: (row["region"], row["slug"])
    if sort == "progress":
        return lambda row: (-sum(c["state"] in ("completed", "waived") for c in row["stages"]), row["slug"])
    if sort == "overdue":
        return lambda row: (-sum(c["overdue"] for c in row["stages"]), row["slug"])
    return lambda row: row["slug"]


def overview(app: App, principal: Principal, query: OverviewQuery = OverviewQuery()) -> dict[str, Any]:
    today = local_date(app.now())
    with app.uow() as uow:
        session = uow.session
        pairs = _networks(session, principal, query)
        runs = _runs(session, [n.id for n, _ in pairs]) if (query.state or query.sort in ("progress", "overdue")) \
            else {}
        columns = _columns({n.template for n, _ in pairs})
        rows: list[dict[str, Any]] = [{"id": n.id, "slug": n.slug, "name": n.name, "region": r.slug, "land": r.state,
                 "template": n.template, "stages": [_stage_cell(runs.get(n.id, {}).get(c), c, today) for c in columns]}
                for n, r in pairs]
        rows = sorted((row for row in rows if _keep(row, query.state)), key=_sort_key(query.sort))
        total, pages = len(rows), max(1, -(-len(rows) // PER_PAGE))
        page = min(max(1, query.page), pages)
        shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
        ids = [row["id"] for row in shown]
        if not runs:
            page_runs = _runs(session, ids)
            for row in shown:
                row["stages"] = [_stage_cell(page_runs.get(row["id"], {}).get(c), c, today) for c in columns]
        messages = _messages(session, ids)
        regions = {r.id: r for _, r in pairs}
        cover = coverage(session, list(regions)) if principal.role != UserRole.coordinator else {}
    for row in shown:
        counts = messages.get(row.pop("id"), {})
        row["messages"] = {"sent": counts.get("sent", 0), "failed": counts.get("failed", 0)}
    return {
        "stages": columns,
        "networks": shown,
        "total": total,
        "page": page,
        "pages": pages,
        "regions": [{"slug": r.slug, "name": r.name, "land": r.state, **cover.get(r.id, {})}
                    for r in sorted(regions.values(), key=lambda r: r.slug)],
        "today": today.isoformat(),
    }
