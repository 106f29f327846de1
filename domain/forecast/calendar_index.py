"""Business days of one Land as positions, so that durations and dates become integer arithmetic.

Position ``p`` (1-based) is the ``p``-th business day of the index; ``position(day)`` counts the
business days on or before ``day``. So ``position(end) - position(start)`` is
``BusinessCalendar.business_days_between(start, end)`` and ``date_at(p)`` is always a business day
of the Land (never a weekend or one of its public holidays). Pure.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from functools import lru_cache

from verbund.domain.business_days import BusinessCalendar


class BusinessDayIndex:
    """The business days of ``state`` from 1 January ``first_year`` to 31 December ``last_year``."""

    def __init__(self, state: str, first_year: int, last_year: int) -> None:
        calendar = BusinessCalendar(state)
        first, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
        days = (first + dt.timedelta(days=i) for i in range((last - first).days + 1))
        self.state = state
        self.days: tuple[dt.date, ...] = tuple(day for day in days if calendar.is_business_day(day))
        self._ordinals = [day.toordinal() for day in self.days]

    @property
    def last(self) -> int:
        """The last position in the index (the horizon)."""
        return len(self.days)

    def position(self, day: dt.date) -> int:
        """How many business days of the index fall on or before ``day``."""
        return bisect_right(self._ordinals, day.toordinal())

    def date_at(self, position: int) -> dt.date | None:
        """The business day at ``position``; None beyond the horizon (or before the start)."""
        if 1 <= position <= len(self.days):
            return self.days[position - 1]
        return None


@lru_cache(maxsize=32)
def business_day_index(state: str, first_year: int, last_year: int) -> BusinessDayIndex:
    return BusinessDayIndex(state, first_year, last_year)
