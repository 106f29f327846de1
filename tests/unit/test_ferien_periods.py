"""Every Land's Schulferien 2019–2028, shipped; imported periods take precedence; days outside the
known range warn once instead of silently counting as school days (issue 16)."""

from __future__ import annotations

import datetime as dt
import uuid

from verbund.domain.business_days import BERLIN, BusinessCalendar
from verbund.domain.ferien import Layer, Period, merge, school_holidays, shipped_layers
from verbund.domain.outbox import Recipient, due_for, plan_item

SN, NW = BusinessCalendar("SN"), BusinessCalendar("NW")
SCHOOL = Recipient(uuid.uuid4(), "Frau Beispiel", "Grundschule", "public_school", True)


def test_every_land_has_its_shipped_ferien_from_christmas_2019_into_2029() -> None:
    for state in ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV", "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH"):
        calendar = school_holidays(state)
        assert calendar.covers(dt.date(2020, 6, 1)) and calendar.covers(dt.date(2028, 12, 1)), state
        assert not calendar.covers(dt.date(2031, 1, 1)), state
        assert any(p.name.startswith("Sommerferien 2027") for p in calendar.periods), state


def test_saxony_is_covered_from_2018_to_2028_by_both_sources() -> None:
    calendar = school_holidays("SN")
    assert calendar.coverage == ((dt.date(2018, 10, 8), dt.date(2029, 1, 3)),)
    sources = {p.source for p in calendar.periods}
    assert len(sources) == 2 and len(shipped_layers("SN")) == 2


def test_a_saxon_schools_due_date_in_the_weihnachtsferien_2026_27_moves_to_the_first_school_day_after() -> None:
    calendar = school_holidays("SN")
    due = dt.date(2026, 12, 28)  # the deadline of the issue: inside the Weihnachtsferien 23.12.2026–02.01.2027
    assert calendar.contains(due)
    assert due_for(due, True, SN, calendar) == dt.date(2027, 1, 4)  # Monday after the Ferien
    assert due_for(due, False, SN, calendar) == due  # other partners keep the date
    item = plan_item(SCHOOL, "reminder", "run:5", due, dt.datetime(2026, 12, 21, 9, tzinfo=BERLIN), SN, calendar)
    assert item.send_after == dt.datetime(2026, 12, 21, 9, tzinfo=BERLIN)
    late = plan_item(SCHOOL, "reminder", "run:1", due, dt.datetime(2026, 12, 23, 9, tzinfo=BERLIN), SN, calendar)
    assert late.send_after == dt.datetime(2027, 1, 4, 8, tzinfo=BERLIN)
    assert calendar.warnings() == []


def test_an_nrw_schools_reminder_respects_nrws_herbstferien_2027() -> None:
    calendar = school_holidays("NW")
    assert calendar.contains(dt.date(2027, 10, 25)) and not calendar.contains(dt.date(2027, 10, 22))
    assert due_for(dt.date(2027, 10, 27), True, NW, calendar) == dt.date(2027, 11, 8)
    item = plan_item(SCHOOL, "reminder", "run:5", dt.date(2027, 11, 10),
                     dt.datetime(2027, 10, 25, 9, tzinfo=BERLIN), NW, calendar)
    assert item.send_after == dt.datetime(2027, 11, 8, 8, tzinfo=BERLIN)
    # Saxony has no Ferien then: the same date is a school day there
    assert not school_holidays("SN").contains(dt.date(2027, 10, 25))


def test_a_date_in_2031_warns_once_naming_the_land_the_year_and_the_remedy() -> None:
    calendar = school_holidays("SN")
    assert due_for(dt.date(2031, 3, 3), True, SN, calendar) == dt.date(2031, 3, 3)
    for day in range(1, 20):
        calendar.contains(dt.date(2031, 3, day))
    [warning] = calendar.warnings()
    assert "Schulferien SN" in warning and "2031" in warning and "verbund ferien import" in warning
    assert "08.10.2018–03.01.2029" in warning


def test_an_imported_layer_replaces_the_shipped_periods_only_within_its_span() -> None:
    imported = Layer("Import sn.ics", (Period("Herbstferien 2027 (amtlich)", dt.date(2027, 10, 11),
                                              dt.date(2027, 10, 23), "Import sn.ics"),),
                     (dt.date(2027, 8, 1), dt.date(2027, 12, 31)))
    calendar = merge("SN", [*shipped_layers("SN"), imported])
    assert calendar.contains(dt.date(2027, 10, 11))
    names = [p.name for p in calendar.periods if p.first.year == 2027]
    assert "Herbstferien 2027 (amtlich)" in names and "Herbstferien 2027" not in names
    assert "Sommerferien 2027" in names  # before the span: the shipped period stays


def test_a_stage_that_waits_for_schools_is_not_due_in_the_ferien() -> None:
    from verbund.domain.ferien import stage_due
    from verbund.domain.process import load_template

    analysis = load_template("sachsen-inklusion").stage("analysis")
    assert analysis.waits_for_schools
    assert not load_template("sachsen-inklusion").stage("goals").waits_for_schools
    start = dt.date(2026, 10, 29)  # 40 business days later is Monday 28.12.2026, in the Weihnachtsferien
    assert SN.add_business_days(start, 40) == dt.date(2026, 12, 28)
    assert stage_due(SN, school_holidays("SN"), start, 40) == dt.date(2027, 1, 4)
    assert stage_due(SN, None, start, 40) == dt.date(2026, 12, 28)
