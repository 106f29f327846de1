"""The forecast flow on a real Prefect API: stores today's forecasts once, then finds them current."""

from __future__ import annotations

from typing import Any

from prefect.utilities.asyncutils import run_coro_as_sync
from sqlmodel import select

from verbund.domain.forecast_cache import ForecastEntry
from verbund.flows.forecast import refresh_forecasts
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.stages.lifecycle import reconcile_stage


async def _state(**parameters: Any) -> Any:
    return await refresh_forecasts(return_state=True, **parameters)


def test_the_forecast_flow_stores_every_network_once_per_data_version_and_day(flow_app: App) -> None:
    at = flow_app.now().astimezone(BERLIN)
    networks = build_sample_region(flow_app, at=at).networks
    for network in networks:
        reconcile_stage(flow_app, network, "analysis", at)
    first = run_coro_as_sync(_state(day="heute"))
    assert first.name == "ForecastsStored" and f"{len(networks)} Prognosen gespeichert" in first.message
    with flow_app.uow() as uow:
        stored = {entry.network: entry.payload for entry in uow.session.exec(select(ForecastEntry))}
    assert set(stored) == set(networks) and all(p["target"] == "2021-09-30" for p in stored.values())
    again = run_coro_as_sync(_state(day="heute"))
    assert again.name == "ForecastsCurrent"
