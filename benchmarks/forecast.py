"""Benchmark: the whole Land's forecast, 400 networks × 2,000 draws (issue 19: under 5 s on 2 cores).

A synthetic Saxon build-out (``forecast_world``: lognormal stage durations, region effects, stalls,
waivers) is written into a fresh SQLite database as networks, stage runs and audit transitions;
``run_forecast`` then loads the history as of a date and forecasts every network, as
``verbund forecast`` does. Baseline in the same run: the same forecast with one draw (loading the
history, the calendars and the pools, without the Monte Carlo). Median of three runs each.

Last line: ``networks=… draws=… forecast_s=… baseline_1_draw_s=… domain_only_s=…``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from forecast_world import INDEX, TEMPLATE, build_world, histories_at
from sqlalchemy import insert

from verbund.domain.business_days import BERLIN
from verbund.domain.forecast import ForecastOptions, forecast
from verbund.domain.models import Network, Region
from verbund.domain.stages import AuditEvent, StageRun
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
from verbund.services.forecast.run import run_forecast

NETWORKS = 400
DRAWS = 2000
AS_OF = dt.date(2021, 1, 4)  # every synthetic network has started by then
RUNS = 3


def _instant(position: int) -> dt.datetime:
    day = INDEX.date_at(position)
    assert day is not None
    return dt.datetime.combine(day, dt.time(10), tzinfo=BERLIN)


def load_world(engine: object, seed: int = 1) -> None:
    world = build_world(seed, NETWORKS)
    regions = {n.region for n in world}
    region_ids = {slug: uuid.uuid4() for slug in sorted(regions)}
    networks, runs, events = [], [], []
    for network in world:
        nid = uuid.uuid4()
        networks.append({"id": nid, "slug": network.slug, "name": network.slug, "region_id": region_ids[network.region],
                         "template": TEMPLATE.key, "created_at": _instant(network.opens[0])})
        for position, (stage, opened, finished, waived) in enumerate(zip(
                TEMPLATE.stages, network.opens, network.finishes, network.waived, strict=True)):
            due = INDEX.date_at(opened + stage.due_business_days) if opened >= 0 else None
            runs.append({"id": uuid.uuid4(), "network_id": nid, "stage": stage.name, "cycle": 1,
                         "position": position, "state": "pending", "due": due, "version": 0})
            moves = []
            if opened >= 0:
                moves.append(("pending", "open", opened) if not waived else ("pending", "waived", opened))
            if finished is not None and not waived:
                moves.append(("open", "completed", finished))
            for from_state, to_state, when in moves:
                events.append({"id": uuid.uuid4(), "at": _instant(when), "recorded_at": _instant(when),
                               "actor": "system", "network_id": nid, "stage": stage.name, "cycle": 1,
                               "entity": "stage", "action": "transition", "from_state": from_state,
                               "to_state": to_state, "detail": {}})
    with engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(insert(Region), [{"id": rid, "slug": slug, "name": slug, "state": "SN"}
                                            for slug, rid in region_ids.items()])
        connection.execute(insert(Network), networks)
        connection.execute(insert(StageRun), runs)
        connection.execute(insert(AuditEvent), events)


def median_seconds(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="verbund-bench-forecast-") as folder:
        app = bootstrap(Settings(database_url=f"sqlite:///{folder}/bench.db"))
        try:
            load_world(app.engine)
            data = run_forecast(app, as_of=AS_OF, draws=DRAWS)
            risks: dict[str, int] = {}
            for network in data["networks"]:
                risks[network["risk"]] = risks.get(network["risk"], 0) + 1
            print(f"check: {len(data['networks'])} networks forecast, risks {risks}", flush=True)
            full = median_seconds(lambda: run_forecast(app, as_of=AS_OF, draws=DRAWS))
            baseline = median_seconds(lambda: run_forecast(app, as_of=AS_OF, draws=1))
        finally:
            app.engine.dispose()
    histories = histories_at(build_world(1, NETWORKS), AS_OF)
    domain = median_seconds(lambda: forecast(histories, ForecastOptions(AS_OF, draws=DRAWS)))
    print(f"networks={len(data['networks'])} draws={DRAWS} forecast_s={full:.2f} baseline_1_draw_s={baseline:.2f} "
          f"domain_only_s={domain:.2f}")


if __name__ == "__main__":
    main()
