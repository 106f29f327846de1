"""Clocks: the system clock (optionally started at ``VERBUND_NOW``) and a manual one."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

from verbund.domain import dates
from verbund.domain.business_days import BERLIN, local_date


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


def parse_instant(value: str, what: str = "Zeitpunkt") -> dt.datetime:
    """A point in time a person entered (``domain.dates``: German or ISO; naive is Europe/Berlin)."""
    return dates.parse_instant(value, what)


__all__ = ["BERLIN", "Clock", "ManualClock", "SystemClock", "local_date", "parse_instant"]


class SystemClock:
    """Real time; when ``start`` is given, time starts there and advances normally."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._start = start
        self._started = time.monotonic()

    def now(self) -> dt.datetime:
        if self._start is None:
            return dt.datetime.now(dt.UTC)
        return self._start + dt.timedelta(seconds=time.monotonic() - self._started)


class ManualClock:
    """A clock that moves only when told to (simulations, tests)."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def set(self, at: dt.datetime) -> None:
        self._now = at

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta
