"""Forecast: when will each network be through its stages, and will it make the report date?

Two tiers (docs/forecast.md): the *plan* (today's due dates plus the nominal durations of the
stages to come) and a *Monte Carlo* from the stage durations observed in the audit history as of
the date, censoring-aware (``survival``), pooled by region, Land or the template's prior
(``pools``), in business days of the network's Land (``calendar_index``). Pure: no I/O, no clock.
"""

from verbund.domain.forecast.calendar_index import BusinessDayIndex, business_day_index
from verbund.domain.forecast.engine import current_runs, forecast, minimum_of, target_of
from verbund.domain.forecast.model import (
    AT_RISK,
    MISSED,
    ON_TRACK,
    RISK_KEYS,
    RISKS,
    STALLED,
    Basis,
    ForecastOptions,
    NetworkForecast,
    NetworkHistory,
    RunFact,
    StageForecast,
)
from verbund.domain.forecast.survival import Survival, kaplan_meier, prior

__all__ = [
    "AT_RISK",
    "MISSED",
    "ON_TRACK",
    "RISKS",
    "RISK_KEYS",
    "STALLED",
    "Basis",
    "BusinessDayIndex",
    "ForecastOptions",
    "NetworkForecast",
    "NetworkHistory",
    "RunFact",
    "StageForecast",
    "Survival",
    "business_day_index",
    "current_runs",
    "forecast",
    "kaplan_meier",
    "minimum_of",
    "prior",
    "target_of",
]
