"""Forecast use case: load every network's stage history as of a date and run the domain's forecast.

Read-only. What counts as of a date comes from the audit history (domain time, as in the report):
the stage transitions before the end of the day, a run's ``due`` only once it had opened (as it
stood then: deadline extensions are replayed), networks created and not closed by then. So a
forecast "as of D" computed today equals one computed on a copy of the database taken at D. The
same database, date and seed give byte-identical JSON (``to_json``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session

from verbund.domain.business_days import local_date
from verbund.domain.errors import NotFound
from verbund.domain.forecast import ForecastOptions, NetworkHistory, RunFact, forecast
from verbund.domain.models import Network, Region
from verbund.domain.process import load_template
from verbund.domain.stages import AuditEvent, StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.ferien import Calendars
from verbund.services.report.figures import end_of_day, replay
from verbund.services.report.history import Transition, _extensions

DEFAULT_DRAWS = 2000


def load_histories(session: Session, as_of: dt.date) -> list[NetworkHistory]:
    """Every network that existed at the end of ``as_of``, with its stage runs as of then."""
    before = end_of_day(as_of)
    regions = {rid: (slug, state) for rid, slug, state in session.connection().execute(
        sa_select(Region.__table__.c.id, Region.__table__.c.slug, Region.__table__.c.state))}  # type: ignore[attr-defined]
    table = Network.__table__.c  # type: ignore[attr-defined]
    networks = [row for row in session.connection().execute(
        sa_select(table.id, table.slug, table.name, table.region_id, table.template, table.created_at,
                  table.closed_at))
        if row.created_at < before and (row.closed_at is None or row.closed_at >= before)]
    moves: dict[tuple[uuid.UUID, str, int], list[Transition]] = defaultdict(list)
    events = AuditEvent.__table__.c  # type: ignore[attr-defined]
    query = sa_select(events.network_id, events.stage, events.cycle, events.at, events.from_state,
                      events.to_state).where(events.entity == "stage", events.action == "transition",
                                             events.at < before)
    for network_id, stage, cycle, at, from_state, to_state in session.connection().execute(query):
        if stage and from_state and to_state:
            moves[(network_id, stage, cycle or 1)].append(Transition(at, from_state, to_state))
    extended = _extensions(session, {row.id for row in networks})
    runs: dict[uuid.UUID, list[RunFact]] = defaultdict(list)
    table = StageRun.__table__.c  # type: ignore[attr-defined]
    ordered = sa_select(table.network_id, table.stage, table.cycle, table.due).order_by(table.position, table.cycle)
    for network_id, stage, cycle, due in session.connection().execute(ordered):
        history = sorted(moves.get((network_id, stage, cycle), []), key=lambda move: move.at)
        extensions = extended.get((network_id, stage, cycle), [])
        applied = [extension for extension in extensions if extension.at < before]
        due = applied[-1].to if applied else (extensions[0].previous if extensions else due)
        runs[network_id].append(_fact(stage, cycle, due, history, before))
    return [
        NetworkHistory(row.slug, row.name, regions[row.region_id][0], regions[row.region_id][1],
                       load_template(row.template), tuple(runs.get(row.id, ())))
        for row in sorted(networks, key=lambda row: row.slug)
    ]


def _fact(stage: str, cycle: int, due: dt.date | None, moves: list[Transition], before: dt.datetime) -> RunFact:
    state, entered = replay(moves, before)
    opened = entered.get("open")
    finished = entered.get(state) if state in ("completed", "waived") else None
    return RunFact(stage, cycle, state, local_date(opened) if opened else None,
                   local_date(finished) if finished else None, due if opened else None)


def run_forecast(
    app: App, *, as_of: dt.date | None = None, target: dt.date | None = None, target_stage: str | None = None,
    region: str | None = None, seed: int = 0, draws: int = DEFAULT_DRAWS, with_target_only: bool = False,
) -> dict[str, Any]:
    """``{"as_of", "seed", "draws", "target", "target_stage", "region", "networks": [...]}``.

    ``with_target_only``: leave out networks whose template has no report date (when no ``target``)
    instead of refusing (the dashboard's forecasts computed ahead)."""
    day = as_of or local_date(app.now())
    with app.uow(read_only=True) as uow:
        histories = load_histories(uow.session, day)
        only = None
        if region is not None:
            if uow.session.connection().execute(
                    sa_select(Region.__table__.c.id).where(Region.__table__.c.slug == region)).first() is None:  # type: ignore[attr-defined]
                raise NotFound("Region", region)
            only = {h.slug for h in histories if h.region == region}
        if with_target_only and target is None:
            dated = {h.slug for h in histories if h.template.report_date is not None}
            only = dated if only is None else only & dated
        calendars = Calendars(uow.session)
        ferien = {land: calendars(land) for land in sorted({h.land for h in histories})}
    options = ForecastOptions(day, seed=seed, draws=draws, target=target, target_stage=target_stage)
    results = forecast(histories, options, only=only, school_holidays=ferien)
    return {
        "as_of": day.isoformat(), "seed": seed, "draws": draws,
        "target": target.isoformat() if target else None, "target_stage": target_stage, "region": region,
        "networks": [result.to_dict() for result in results],
    }


def to_json(data: dict[str, Any]) -> str:
    """The stable text of a forecast (byte-identical for the same input)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
