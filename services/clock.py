"""Clocks: the system clock (optionally started at ``VERBUND_NOW``) and a manual one."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

from verbund.domain.business_days import BERLIN, local_date
from verbund.domain.errors import InvalidInput


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


def parse_instant(value: str, what: str = "Zeitpunkt") -> dt.datetime:
    """An ISO 8601 datetime or date; naive values are Europe/Berlin. Returns an aware datetime."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise InvalidInput(f"{what}: '{value}' ist kein ISO-8601-Zeitpunkt (z. B. 2019-09-02T09:00)") from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BERLIN)
    return parsed


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
