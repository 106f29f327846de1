"""Rebuild the figures as of the end of a day (Europe/Berlin) from the loaded history. Pure."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from verbund.domain.business_days import BERLIN, local_date
from verbund.services.report.history import History, NetworkRecord, RegionRecord, RunRecord, Transition
from verbund.services.report.model import (
    FINISHED,
    FINISHED_LABEL,
    LAND_NAMES,
    NOT_STARTED,
    NOT_STARTED_LABEL,
    SPECIAL_NEEDS,
    AreaFigures,
    Figures,
    Messages,
    NetworkRow,
    StageCell,
)

DONE = ("completed", "waived")


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in Europe/Berlin: what happened before it counts."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=BERLIN)


def replay(moves: Iterable[Transition], before: dt.datetime) -> tuple[str, dict[str, dt.datetime]]:
    """The state after the moves made before ``before``, and when each state was first entered.

    Moves at the same instant (one reconcile opens, readies and completes a stage) are applied in
    the order the state machine allows: each from the state the previous one left.
    """
    state = "pending"
    entered: dict[str, dt.datetime] = {}
    remaining = [move for move in moves if move.at < before]
    while remaining:
        instant = remaining[0].at
        group = [move for move in remaining if move.at == instant]
        remaining = remaining[len(group):]
        while group:
            move = next((m for m in group if m.from_state == state), group[0])
            group.remove(move)
            state = move.to_state
            entered.setdefault(state, move.at)
    return state, entered


def stage_cell(run: RunRecord, day: dt.date, before: dt.datetime) -> StageCell:
    state, entered = replay(run.transitions, before)
    opened = entered.get("open")
    finished_at = entered.get(state) if state in DONE else None
    due, extended = run.due_before(before) if opened is not None else (None, False)
    on_time = None
    if state == "completed" and finished_at is not None:
        on_time = due is None or local_date(finished_at) <= due
    overdue = state in ("open", "ready") and due is not None and day > due
    return StageCell(
        stage=run.stage, title=run.title, cycle=run.cycle, state=state,
        opened=local_date(opened) if opened else None, due=due,
        finished=local_date(finished_at) if finished_at else None, on_time=on_time, overdue=overdue,
        extended=extended,
    )


def _reached(cells: list[StageCell]) -> str:
    for index, cell in enumerate(cells):
        if cell.state not in DONE:
            return NOT_STARTED if index == 0 and cell.state == "pending" else cell.stage
    return FINISHED


def _latest_cycles(runs: list[RunRecord], before: dt.datetime) -> list[RunRecord]:
    """Per stage the latest cycle that had begun (the first cycle always counts)."""
    chosen: dict[str, RunRecord] = {}
    for run in sorted(runs, key=lambda r: (r.position, r.cycle)):
        begun = run.cycle == 1 or any(move.at < before for move in run.transitions)
        if begun:
            chosen[run.stage] = run
    return sorted(chosen.values(), key=lambda r: r.position)


@dataclass
class _Day:
    """What every area of one date shares: members, open schools by region, categories."""

    history: History
    before: dt.datetime
    members: dict[uuid.UUID, set[uuid.UUID]]
    in_scope: dict[uuid.UUID | None, set[uuid.UUID]]
    needs: dict[uuid.UUID, tuple[str, ...]]
    categories: tuple[tuple[str, str], ...]


def compute(history: History, day: dt.date, region: str | None = None) -> Figures:
    before = end_of_day(day)
    runs_of: dict[uuid.UUID, list[RunRecord]] = defaultdict(list)
    for run in history.runs:
        runs_of[run.network_id].append(run)
    ctx = _Day(history, before, _members_at(history, before), defaultdict(set), {}, _categories(history))
    for school in history.schools:
        if _open(school.closed_at, before):
            if school.public:
                ctx.in_scope[school.region_id].add(school.id)
            if school.special_needs:
                ctx.needs[school.id] = school.special_needs
    public = set().union(*ctx.in_scope.values()) if ctx.in_scope else set()
    networks = [n for n in history.networks if n.created_at < before]
    region_of = {r.id: r for r in history.regions}
    rows = [_network_row(n, region_of[n.region_id], runs_of[n.id], ctx.members, public, day, before)
            for n in networks]
    regions = tuple(
        _area(ctx, r.slug, r.name, r.state, [row for row in rows if row.region == r.slug],
              [n for n in networks if n.region_id == r.id], [r])
        for r in sorted(history.regions, key=lambda r: (r.state, r.slug))
    )
    lands = tuple(
        _area(ctx, state, LAND_NAMES.get(state, state), state, [row for row in rows if row.state == state],
              [n for n in networks if region_of[n.region_id].state == state],
              [r for r in history.regions if r.state == state])
        for state in sorted({r.state for r in history.regions})
    )
    total = _area(ctx, "gesamt", "Gesamt", "", rows, networks, history.regions)
    return Figures(
        as_of=day, region=region, categories=ctx.categories, total=total, lands=lands, regions=regions,
        networks=tuple(sorted(rows, key=lambda row: (row.state, row.region, row.slug))),
        completions=_completions(history, {n.id for n in networks}, before),
    )


def _open(closed_at: dt.datetime | None, before: dt.datetime) -> bool:
    return closed_at is None or closed_at >= before


def _members_at(history: History, before: dt.datetime) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Network → organisations that were (non-guest) members at the end of the day."""
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for m in history.memberships:
        if m.valid_from < before and (m.valid_to is None or m.valid_to >= before):
            found[m.network_id].add(m.organisation_id)
    return found


def _network_row(
    network: NetworkRecord, region: RegionRecord, runs: list[RunRecord],
    members: dict[uuid.UUID, set[uuid.UUID]], public: set[uuid.UUID], day: dt.date, before: dt.datetime,
) -> NetworkRow:
    cells = [stage_cell(run, day, before) for run in _latest_cycles(runs, before)]
    return NetworkRow(
        slug=network.slug, name=network.name, region=region.slug, state=region.state, template=network.template,
        reached=_reached(cells), stages=tuple(cells), member_schools=len(members[network.id] & public),
    )


def _categories(history: History) -> tuple[tuple[str, str], ...]:
    seen: dict[str, str] = {}
    for run in sorted(history.runs, key=lambda r: r.position):
        seen.setdefault(run.stage, run.title)
    return ((NOT_STARTED, NOT_STARTED_LABEL), *seen.items(), (FINISHED, FINISHED_LABEL))


def _area(
    ctx: _Day, key: str, name: str, state: str, rows: list[NetworkRow], networks: list[NetworkRecord],
    regions: list[RegionRecord],
) -> AreaFigures:
    network_ids = {n.id for n in networks}
    cells = [cell for row in rows for cell in row.stages]
    assigned: set[uuid.UUID] = set().union(*(ctx.members[n] for n in network_ids)) if network_ids else set()
    in_scope: set[uuid.UUID] = set().union(*(ctx.in_scope.get(r.id, set()) for r in regions)) if regions else set()
    needs = {need for oid in assigned for need in ctx.needs.get(oid, ())}
    reached = Counter(row.reached for row in rows)
    messages = None
    if ctx.history.messages is not None:
        messages = Messages(*ctx.history.messages.count(network_ids, ctx.before))
    held, published = ctx.history.held, ctx.history.published
    return AreaFigures(
        key=key, name=name, state=state, networks=len(rows),
        by_stage=tuple((category, reached.get(category, 0)) for category, _label in ctx.categories),
        on_time=sum(1 for c in cells if c.on_time is True), late=sum(1 for c in cells if c.on_time is False),
        waived=sum(1 for c in cells if c.state == "waived"), overdue=sum(1 for c in cells if c.overdue),
        schools_in_scope=len(in_scope), schools_assigned=len(in_scope & assigned),
        consultations_held=sum(1 for n in network_ids if n in held and held[n] < ctx.before),
        protocols_published=sum(1 for n in network_ids if n in published and published[n] < ctx.before),
        special_needs=tuple(need for need in SPECIAL_NEEDS if need in needs),
        messages=messages,
        schools_not_imported=sum(1 for region_id, at in ctx.history.not_imported
                                 if at < ctx.before and region_id in {r.id for r in regions}),
    )


def _completions(history: History, network_ids: set[uuid.UUID], before: dt.datetime) -> tuple[
        tuple[dt.date, str, int], ...]:
    per_day: Counter[tuple[dt.date, str]] = Counter()
    for run in history.runs:
        if run.network_id not in network_ids:
            continue
        for move in run.transitions:
            if move.to_state == "completed" and move.at < before:
                per_day[(local_date(move.at), run.stage)] += 1
    return tuple((day, stage, count) for (day, stage), count in sorted(per_day.items()))
