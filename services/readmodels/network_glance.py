"""The network page's first screen and its message list: what is open, who is missing, what is next;
messages filtered by kind and status, newest first, one page at a time (issue 20)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from verbund.domain.criteria import CoverageFact, sections_for, unmet_criteria
from verbund.domain.data_versions import DataVersion
from verbund.domain.labels import MESSAGE_KIND_LABELS, MESSAGE_STATUS_LABELS
from verbund.domain.models import Contact, Network
from verbund.domain.outbox import OutboxItem
from verbund.domain.process import ProcessTemplate
from verbund.services.app.clock import local_date
from verbund.services.app.lru import LRU, database_memo, kept
from verbund.services.stages.facts import load_facts

PAGE_SIZE = 20  # messages per page of the network page
API_LIMIT = 200  # the JSON API's latest messages (unchanged since issue 5)


@dataclass(frozen=True)
class MessageQuery:
    """A validated filter of the message list; ``page`` counts from 1; ``size`` None: all (the full listing)."""

    kind: str | None = None
    status: str | None = None
    page: int = 1
    size: int | None = PAGE_SIZE


def parse_message_query(params: dict[str, str]) -> tuple[MessageQuery, list[str]]:
    """``art``, ``status``, ``seite`` and ``alle`` of the network page; bad values are dropped with a German note."""
    notes: list[str] = []
    kind = params.get("art") or None
    if kind is not None and kind not in MESSAGE_KIND_LABELS:
        notes.append(f"Filter „Art“: unbekannter Wert „{kind[:40]}“ – alle Arten werden gezeigt.")
        kind = None
    status = params.get("status") or None
    if status is not None and status not in MESSAGE_STATUS_LABELS:
        notes.append(f"Filter „Status“: unbekannter Wert „{status[:40]}“ – alle Status werden gezeigt.")
        status = None
    raw = params.get("seite") or "1"
    page = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 and int(raw) >= 1 else 0
    if page == 0:
        notes.append(f"„Seite“: „{raw[:40]}“ ist keine Seitenzahl – Seite 1 wird gezeigt.")
        page = 1
    size = None if params.get("alle") == "1" else PAGE_SIZE
    return MessageQuery(kind, status, page, size), notes


_OUTBOX = OutboxItem.__table__.c  # type: ignore[attr-defined]
_BY_STATUS = (sa_select(_OUTBOX.status, func.count()).where(_OUTBOX.network_id == bindparam("network"))
              .group_by(_OUTBOX.status))
# the contact's name per listed message (``contact_id`` is a non-null foreign key, so this equals
# the inner join): PostgreSQL joined by hashing all 40,000 contacts of the country before the
# sort and limit; a correlated lookup is evaluated after the limit, 20 primary-key probes
_CONTACT_NAME = sa_select(col(Contact.name)).where(col(Contact.id) == _OUTBOX.contact_id).scalar_subquery()


def _filtered(statement: Any, kind: bool, status: bool) -> Any:
    statement = statement.where(_OUTBOX.network_id == bindparam("network"))
    if kind:
        statement = statement.where(_OUTBOX.kind == bindparam("kind"))
    if status:
        statement = statement.where(_OUTBOX.status == bindparam("status"))
    return statement


def _listing(kind: bool, status: bool, paged: bool) -> Any:
    listing = _filtered(sa_select(_OUTBOX.kind, _OUTBOX.stage, _CONTACT_NAME, _OUTBOX.status, _OUTBOX.attempts,
                                  _OUTBOX.due, _OUTBOX.sent_at), kind, status
                        ).order_by(_OUTBOX.created_at.desc(), _OUTBOX.id)
    return listing.limit(bindparam("limit")).offset(bindparam("offset")) if paged else listing


# built once per filter combination (kind given, status given, paged): SQLAlchemy memoises their
# cache keys, so a request executes them without building or compiling a statement
_SHAPES = [(kind, status) for kind in (False, True) for status in (False, True)]
_COUNTS = {shape: _filtered(sa_select(func.count()).select_from(OutboxItem.__table__), *shape)  # type: ignore[attr-defined]
           for shape in _SHAPES}
_LISTS = {(*shape, paged): _listing(*shape, paged) for shape in _SHAPES for paged in (False, True)}


def messages(session: Session, network: Network, query: MessageQuery | None) -> dict[str, Any]:
    """A page of the network's messages (newest first) with the filtered total and the counts by status.

    ``query`` None: the latest ``API_LIMIT`` messages, as the JSON API always returned them.
    """
    connection = session.connection()
    kind = query.kind if query is not None else None
    status = query.status if query is not None else None
    values: dict[str, Any] = {"network": network.id, "kind": kind, "status": status}
    shape = (kind is not None, status is not None)
    by_status = {row[0]: row[1] for row in connection.execute(_BY_STATUS, values)}
    unfiltered = shape == (False, False)  # then the counts by status add up to the total
    total = sum(by_status.values()) if unfiltered else connection.execute(_COUNTS[shape], values).scalar_one()
    size = API_LIMIT if query is None else query.size
    pages = 1 if not size else max(1, -(-total // size))
    page = 1 if query is None else min(query.page, pages)
    if size:
        values.update(limit=size, offset=(page - 1) * size)
    items = [{"kind": kind, "stage": stage, "contact": name, "status": status, "attempts": attempts,
              "due": due.isoformat() if due else None, "sent_at": sent_at.isoformat() if sent_at else None}
             for kind, stage, name, status, attempts, due, sent_at in connection.execute(_LISTS[(*shape, bool(size))],
                                                                                         values)]
    return {"items": items, "total": total, "by_status": by_status, "page": page, "pages": pages,
            "kind": query.kind if query else None, "status": query.status if query else None}


_VERSION = DataVersion.__table__.c  # type: ignore[attr-defined]
_REGION_VERSION = sa_select(_VERSION.version).where(_VERSION.kind == "region", _VERSION.id == bindparam("region"))


def kept_region_coverage(session: Session, network: Network, at: dt.datetime) -> CoverageFact:
    """The region-wide coverage fact (the exit check "every public school of the region in exactly one
    network") kept by (region, the region's data version, local day): one region's 20 network pages share it.

    The region's counter is read in the page's own snapshot and rises with every change of the region's
    schools and of its networks' memberships (``services.app.versions``), so an entry is never used
    after such a change; within the day it is as fresh as the cached page showing it, which is keyed
    by the same counters and the day (``dashboard/page_cache.py``)."""
    from verbund.services.importers.coverage import region_coverage

    version = session.connection().execute(_REGION_VERSION, {"region": network.region_id}).scalar()
    region = network.region_id
    memo: LRU[CoverageFact] = database_memo(session, "glance.coverage", 64)
    found = kept(memo, {region: (region, version or 0, local_date(at))},
                 lambda regions: {region: region_coverage(session, region, at) for region in regions})
    return found[region]


def glance(session: Session, network: Network, template: ProcessTemplate, state: str, at: dt.datetime,
           stages: list[dict[str, Any]], members: list[dict[str, Any]], analysis: list[dict[str, Any]],
           decisions: list[dict[str, Any]], *, shared: bool = False) -> dict[str, Any]:
    """The first screen: the open stages with their unmet criteria (the stage page's reading of them),
    the members without input, the next due date. ``shared``: the region-wide coverage fact may come
    from the per-region-version memo (``kept_region_coverage``: the dashboard with its cache on)."""
    open_stages = []
    for s in stages:
        if s["state"] not in ("open", "ready"):
            continue
        stage = template.stage(s["name"])
        sections = sections_for(stage)
        facts = load_facts(session, network, state, at, sections - {"coverage"} if shared else sections,
                           stage=stage.name, cycle=s["cycle"])
        if shared and "coverage" in sections:
            facts.coverage = kept_region_coverage(session, network, at)
        unmet = unmet_criteria(stage, facts)
        missing: list[str] = []
        if s["name"] == "analysis":
            answered = {e["organisation"] for e in analysis}
            missing = [m["name"] for m in members if m["name"] not in answered]
        open_stages.append({"name": s["name"], "title": s["title"], "state": s["state"], "due": s["due"],
                            "overdue": s["overdue"], "unmet": unmet, "missing": missing})
    dues = sorted(s["due"] for s in open_stages if s["due"])
    votes = [{"title": d["title"], "outstanding": d["outstanding"]} for d in decisions if d["outstanding"]]
    return {"open": open_stages, "next_due": dues[0] if dues else None, "open_votes": votes}
