"""Business days in a Land's calendar: Monday–Friday except the Land's public holidays.

pendulum 3 has no business-day arithmetic, so this builds on the ``holidays`` package.
Pure: every function takes the dates it works on.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
# The sixteen Länder (ISO 3166-2:DE without the prefix); `holidays` also knows sub-regions
# such as Augsburg, which are not a Land.
LAENDER = frozenset({"BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH"})


def local_date(at: dt.datetime) -> dt.date:
    """The Europe/Berlin calendar date of an instant (naive values are taken as Berlin time)."""
    if at.tzinfo is None:
        return at.date()
    return at.astimezone(BERLIN).date()


@lru_cache(maxsize=64)
def _holidays_of(state: str, year: int) -> frozenset[dt.date]:
    import holidays  # imported when a calendar is first asked (its import is the bulk of a CLI start-up)

    return frozenset(holidays.country_holidays("DE", subdiv=state, years=year).keys())


class BusinessCalendar:
    """Business days of one Land (``state`` is the ISO code without ``DE-``, e.g. ``SN``)."""

    def __init__(self, state: str) -> None:
        if state not in LAENDER:
            raise ValueError(f"unbekanntes Land '{state}' (erwartet z. B. SN, NW, HE)")
        self.state = state

    def is_holiday(self, day: dt.date) -> bool:
        return day in _holidays_of(self.state, day.year)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def next_business_day(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a business day, else the first one after it."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The date ``count`` business days after ``day`` (before it when negative).

        Counting starts on the day after ``day``; ``count == 0`` rolls a non-business day
        forward to the next business day.
        """
        if count == 0:
            return self.next_business_day(day)
        step = dt.timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """Business days in ``(start, end]``; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.business_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count
