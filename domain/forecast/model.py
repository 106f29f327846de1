"""What the forecast takes (run facts as of a date) and what it gives (dates, probabilities, basis)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from verbund.domain.process import ProcessTemplate

DONE = ("completed", "waived")
UNDER_WAY = ("open", "ready")

# Risk words (user-facing, German), in the order the dashboard filter lists them.
ON_TRACK, AT_RISK, MISSED, STALLED = "im Plan", "gefährdet", "verfehlt", "stockt"
RISKS = (ON_TRACK, AT_RISK, MISSED, STALLED)
RISK_KEYS = {ON_TRACK: "on_track", AT_RISK: "at_risk", MISSED: "missed", STALLED: "stalled"}


@dataclass(frozen=True)
class RunFact:
    """One stage occurrence as of the forecast date (Europe/Berlin calendar dates)."""

    stage: str
    cycle: int
    state: str
    opened: dt.date | None = None
    finished: dt.date | None = None  # completed or waived
    due: dt.date | None = None


@dataclass(frozen=True)
class NetworkHistory:
    """A network's stage occurrences as of the forecast date; ``land`` drives the calendar."""

    slug: str
    name: str
    region: str
    land: str
    template: ProcessTemplate
    runs: tuple[RunFact, ...]


@dataclass(frozen=True)
class ForecastOptions:
    as_of: dt.date
    seed: int = 0
    draws: int = 2000
    target: dt.date | None = None  # overrides every template's report date
    target_stage: str | None = None  # None: every stage (the current cycle of recurring ones)


@dataclass(frozen=True)
class Basis:
    """Where a stage's durations came from: ``region`` or ``land`` (≥ 5 completed), else ``prior``."""

    source: str
    n: int
    censored: int
    waived: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "n": self.n, "censored": self.censored, "waived": self.waived}


@dataclass(frozen=True)
class StageForecast:
    name: str
    cycle: int
    state: str
    nominal: int
    minimum: int
    basis: Basis | None  # None for a stage that is done
    spent: int | None = None  # business days the open stage has run
    tail: bool = False  # spent exceeds every completed observation: extrapolated
    p_waived: float = 0.0
    delay: float = 0.0  # mean business days over the nominal duration

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "cycle": self.cycle, "state": self.state, "nominal": self.nominal,
            "minimum": self.minimum, "basis": self.basis.to_dict() if self.basis else None,
            "spent": self.spent, "tail": self.tail, "p_waived": round(self.p_waived, 4),
            "delay": round(self.delay, 1),
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class NetworkForecast:
    slug: str
    name: str
    region: str
    land: str
    template: str
    target: dt.date
    target_stage: str | None
    done: bool
    p50: dt.date | None  # None: beyond the horizon
    p80: dt.date | None
    p95: dt.date | None
    p_done: float
    plan_end: dt.date | None
    plan_done: bool
    risk: str
    delay_stage: str | None
    stages: tuple[StageForecast, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug, "name": self.name, "region": self.region, "land": self.land,
            "template": self.template, "target": self.target.isoformat(), "target_stage": self.target_stage,
            "done": self.done, "p50": _iso(self.p50), "p80": _iso(self.p80), "p95": _iso(self.p95),
            "p_done_by_target": round(self.p_done, 4),
            "plan": {"end": _iso(self.plan_end), "done_by_target": self.plan_done},
            "risk": self.risk, "risk_key": RISK_KEYS[self.risk], "delay_stage": self.delay_stage,
            "stages": [stage.to_dict() for stage in self.stages],
        }
