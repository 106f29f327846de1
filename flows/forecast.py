"""The forecast flow: compute today's forecasts ahead for the dashboard (issue 19).

``refresh-forecasts`` (run name ``forecast · <date>``) stores one forecast per network for the
current data version and day (``services.forecast.cache``), so that pages only read them. It runs
on a schedule in scale-out mode (``deployments/specs.py``); in embedded mode ``verbund serve``'s
daily sweep does the same. Nothing happens when today's forecasts are already current.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow
from prefect.client.schemas.objects import State
from prefect.states import Completed

from verbund.flows.runtime import get_app
from verbund.services.app.clock import local_date
from verbund.services.forecast.cache import refresh_forecasts as refresh


@flow(name="refresh-forecasts", flow_run_name="forecast · {day}", log_prints=True)
async def refresh_forecasts(day: str = "heute") -> State[Any]:
    """Forecast every network as of today and store it for the dashboard (``day`` only names the run)."""
    app = get_app()
    stored = await asyncio.to_thread(refresh, app)
    message = f"{stored} Prognosen gespeichert ({local_date(app.now()).isoformat()})" if stored else \
        "Prognosen waren aktuell"
    return Completed(name="ForecastsStored" if stored else "ForecastsCurrent", message=message)
