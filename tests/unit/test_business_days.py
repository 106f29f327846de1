"""Business days in a Land's calendar, checked against hand-counted dates around Saxon holidays.

November 2019: Fri 15, Mon 18, Tue 19, Wed 20 (Buß- und Bettag, a holiday only in Saxony), Thu 21, Fri 22.
October 2019: Wed 30, Thu 31 (Reformationstag: holiday in SN, not in NW), Fri 1 Nov (Allerheiligen: NW, not SN).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verbund.domain.business_days import BusinessCalendar

D = dt.date
SN = BusinessCalendar("SN")
NW = BusinessCalendar("NW")

BUSS_UND_BETTAG_2019 = D(2019, 11, 20)
REFORMATIONSTAG_2019 = D(2019, 10, 31)
ALLERHEILIGEN_2019 = D(2019, 11, 1)


def test_buss_und_bettag_is_a_holiday_in_saxony_but_a_business_day_in_north_rhine_westphalia() -> None:
    assert SN.is_holiday(BUSS_UND_BETTAG_2019)
    assert not SN.is_business_day(BUSS_UND_BETTAG_2019)
    assert not NW.is_holiday(BUSS_UND_BETTAG_2019)
    assert NW.is_business_day(BUSS_UND_BETTAG_2019)


def test_reformationstag_is_a_holiday_in_saxony_and_allerheiligen_is_not() -> None:
    assert SN.is_holiday(REFORMATIONSTAG_2019)
    assert not SN.is_business_day(REFORMATIONSTAG_2019)
    assert SN.is_business_day(ALLERHEILIGEN_2019)
    assert NW.is_business_day(REFORMATIONSTAG_2019)
    assert not NW.is_business_day(ALLERHEILIGEN_2019)


@pytest.mark.parametrize(
    "day",
    [D(2019, 1, 1), D(2019, 4, 19), D(2019, 4, 22), D(2019, 5, 1), D(2019, 10, 3), D(2019, 12, 25), D(2019, 12, 26)],
)
def test_nationwide_holidays_are_not_business_days_in_saxony(day: dt.date) -> None:
    assert SN.is_holiday(day)
    assert not SN.is_business_day(day)


def test_weekends_are_not_business_days_even_without_a_holiday() -> None:
    saturday, sunday, monday = D(2019, 11, 16), D(2019, 11, 17), D(2019, 11, 18)
    assert not SN.is_holiday(saturday)
    assert not SN.is_business_day(saturday)
    assert not SN.is_business_day(sunday)
    assert SN.is_business_day(monday)


@pytest.mark.parametrize(
    ("calendar", "start", "count", "expected"),
    [
        # Fri 15 Nov + 3: Mon 18, Tue 19, (Wed 20 Buß- und Bettag), Thu 21.
        (SN, D(2019, 11, 15), 3, D(2019, 11, 21)),
        (SN, D(2019, 11, 15), 4, D(2019, 11, 22)),
        # The same count in NW lands on the Wednesday, which is a working day there.
        (NW, D(2019, 11, 15), 3, D(2019, 11, 20)),
        # Fri + 1 skips the weekend.
        (SN, D(2019, 11, 15), 1, D(2019, 11, 18)),
        # Wed 30 Oct + 1: Reformationstag skipped in SN, Allerheiligen skipped in NW.
        (SN, D(2019, 10, 30), 1, D(2019, 11, 1)),
        (NW, D(2019, 10, 30), 1, D(2019, 10, 31)),
        (NW, D(2019, 10, 30), 2, D(2019, 11, 4)),
        # Christmas Eve + 1 skips both Christmas days.
        (SN, D(2019, 12, 24), 1, D(2019, 12, 27)),
        # Across the year: Mon 30 Dec + 2 is Tue 31 Dec, (Wed 1 Jan), Thu 2 Jan.
        (SN, D(2019, 12, 30), 2, D(2020, 1, 2)),
        # Counting from a Saturday starts on the following Monday.
        (SN, D(2019, 11, 16), 1, D(2019, 11, 18)),
        # Counting from the holiday itself.
        (SN, D(2019, 11, 20), 1, D(2019, 11, 21)),
        # Two weeks with one holiday: ten business days from Thu 7 Nov end on Fri 22 Nov in SN.
        (SN, D(2019, 11, 7), 10, D(2019, 11, 22)),
        (NW, D(2019, 11, 7), 10, D(2019, 11, 21)),
    ],
)
def test_adding_business_days_skips_weekends_and_the_lands_holidays(
    calendar: BusinessCalendar, start: dt.date, count: int, expected: dt.date
) -> None:
    assert calendar.add_business_days(start, count) == expected


@pytest.mark.parametrize(
    ("calendar", "start", "count", "expected"),
    [
        # Thu 21 Nov - 1: (Wed 20 holiday) Tue 19.
        (SN, D(2019, 11, 21), -1, D(2019, 11, 19)),
        (NW, D(2019, 11, 21), -1, D(2019, 11, 20)),
        # Mon 4 Nov - 2: Fri 1 Nov, (Thu 31 Oct holiday), Wed 30 Oct.
        (SN, D(2019, 11, 4), -2, D(2019, 10, 30)),
        # Mon - 1 is the previous Friday.
        (SN, D(2019, 11, 18), -1, D(2019, 11, 15)),
        # Thu 2 Jan 2020 - 2: (1 Jan), Tue 31 Dec, Mon 30 Dec.
        (SN, D(2020, 1, 2), -2, D(2019, 12, 30)),
    ],
)
def test_negative_counts_go_back_in_time(
    calendar: BusinessCalendar, start: dt.date, count: int, expected: dt.date
) -> None:
    assert calendar.add_business_days(start, count) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (D(2019, 11, 16), D(2019, 11, 18)),  # Saturday → Monday
        (D(2019, 11, 17), D(2019, 11, 18)),  # Sunday → Monday
        (D(2019, 11, 20), D(2019, 11, 21)),  # Buß- und Bettag → Thursday
        (D(2019, 12, 25), D(2019, 12, 27)),  # 1. Weihnachtstag → Friday after the 2nd
        (D(2019, 11, 18), D(2019, 11, 18)),  # a business day stays
    ],
)
def test_adding_zero_business_days_rolls_a_non_business_day_forward(start: dt.date, expected: dt.date) -> None:
    assert SN.add_business_days(start, 0) == expected
    assert SN.next_business_day(start) == expected


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        (SN, D(2019, 11, 15), D(2019, 11, 21), 3),
        (NW, D(2019, 11, 15), D(2019, 11, 21), 4),
        (SN, D(2019, 11, 21), D(2019, 11, 15), -3),
        (SN, D(2019, 11, 18), D(2019, 11, 18), 0),
        (SN, D(2019, 11, 15), D(2019, 11, 18), 1),  # Fri → Mon: only Monday counts
        (SN, D(2019, 11, 16), D(2019, 11, 17), 0),  # Sat → Sun
        (SN, D(2019, 11, 19), D(2019, 11, 20), 0),  # (Tue, Wed] where Wed is the holiday
        (SN, D(2019, 10, 30), D(2019, 11, 4), 2),  # Fri 1 Nov and Mon 4 Nov
        (NW, D(2019, 10, 30), D(2019, 11, 4), 2),  # Thu 31 Oct and Mon 4 Nov
        (SN, D(2019, 12, 23), D(2020, 1, 3), 6),  # 24, 27, 30, 31 Dec, 2, 3 Jan
    ],
)
def test_business_days_between_counts_the_half_open_interval_after_start(
    calendar: BusinessCalendar, start: dt.date, end: dt.date, expected: int
) -> None:
    assert calendar.business_days_between(start, end) == expected


business_days_sn = st.dates(min_value=D(2018, 1, 1), max_value=D(2027, 12, 31)).filter(SN.is_business_day)


@settings(database=None, max_examples=200, deadline=None)
@given(day=business_days_sn, count=st.integers(min_value=0, max_value=60))
def test_counting_the_business_days_back_gives_the_number_that_was_added(day: dt.date, count: int) -> None:
    later = SN.add_business_days(day, count)

    assert SN.business_days_between(day, later) == count
    assert SN.business_days_between(later, day) == -count
    assert SN.is_business_day(later)


@settings(database=None, max_examples=200, deadline=None)
@given(day=business_days_sn, count=st.integers(min_value=1, max_value=60))
def test_going_back_and_forth_by_the_same_count_returns_to_the_start(day: dt.date, count: int) -> None:
    earlier = SN.add_business_days(day, -count)

    assert earlier < day
    assert SN.is_business_day(earlier)
    assert SN.business_days_between(earlier, day) == count
    assert SN.add_business_days(earlier, count) == day


@pytest.mark.parametrize("state", ["XX", "DE-SN", "sn", "Sachsen", ""])
def test_unknown_land_is_refused_with_its_code_in_the_message(state: str) -> None:
    with pytest.raises(ValueError, match="unbekanntes Land") as caught:
        BusinessCalendar(state)

    assert f"'{state}'" in str(caught.value)


@pytest.mark.parametrize("state", ["SN", "NW", "HE", "BY", "BE"])
def test_known_lands_are_accepted(state: str) -> None:
    assert BusinessCalendar(state).state == state


def test_a_subdivision_that_is_not_a_land_is_refused() -> None:
    with pytest.raises(ValueError, match="Augsburg"):
        BusinessCalendar("Augsburg")
