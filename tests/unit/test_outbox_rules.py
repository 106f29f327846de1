"""Pure sending rules: keys, quiet hours, business days, Saxon public and school holidays, backoff."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from verbund.domain.business_days import BERLIN, BusinessCalendar
from verbund.domain.outbox import (
    OutboxKind,
    Recipient,
    delivery_id,
    due_for,
    escalation_level,
    idempotency_key,
    in_send_window,
    next_send_slot,
    parse_school_holidays,
    plan_item,
    reminder_day,
    retry_at,
    school_holidays,
)

SN = BusinessCalendar("SN")
FERIEN = school_holidays("SN")
CONTACT = uuid.UUID("00000000-0000-0000-0000-000000000001")


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_the_key_is_the_same_for_the_same_contact_subject_kind_and_date_and_differs_otherwise() -> None:
    key = idempotency_key(CONTACT, "run-1", "reminder", dt.date(2021, 11, 17))
    assert key == idempotency_key(str(CONTACT), "run-1", "reminder", dt.date(2021, 11, 17))
    assert len(key) == 32
    others = {
        idempotency_key(uuid.uuid4(), "run-1", "reminder", dt.date(2021, 11, 17)),
        idempotency_key(CONTACT, "run-2", "reminder", dt.date(2021, 11, 17)),
        idempotency_key(CONTACT, "run-1", "overdue", dt.date(2021, 11, 17)),
        idempotency_key(CONTACT, "run-1", "reminder", dt.date(2021, 11, 18)),
    }
    assert key not in others and len(others) == 4


def test_one_delivery_per_contact_and_day() -> None:
    assert delivery_id(CONTACT, dt.date(2021, 11, 16)) == delivery_id(CONTACT, dt.date(2021, 11, 16))
    assert delivery_id(CONTACT, dt.date(2021, 11, 16)) != delivery_id(CONTACT, dt.date(2021, 11, 18))


def test_buss_und_bettag_2021_moves_a_message_to_thursday_morning() -> None:
    assert SN.is_holiday(dt.date(2021, 11, 17))  # Buß- und Bettag, a public holiday only in Saxony
    assert next_send_slot(berlin(2021, 11, 17, 10, 0), SN) == berlin(2021, 11, 18, 8, 0)
    assert not in_send_window(berlin(2021, 11, 17, 10, 0), SN)
    assert next_send_slot(berlin(2021, 11, 17, 10, 0), BusinessCalendar("NW")) == berlin(2021, 11, 17, 10, 0)


@pytest.mark.parametrize(
    ("at", "slot"),
    [
        (berlin(2021, 11, 16, 7, 30), berlin(2021, 11, 16, 8, 0)),  # before 08:00: same morning
        (berlin(2021, 11, 16, 8, 0), berlin(2021, 11, 16, 8, 0)),  # 08:00 is inside
        (berlin(2021, 11, 16, 17, 59), berlin(2021, 11, 16, 17, 59)),
        (berlin(2021, 11, 16, 18, 0), berlin(2021, 11, 18, 8, 0)),  # 18:00 on Tuesday: Wednesday is Buß- und Bettag
        (berlin(2021, 11, 19, 19, 0), berlin(2021, 11, 22, 8, 0)),  # Friday evening: Monday
        (berlin(2021, 11, 20, 12, 0), berlin(2021, 11, 22, 8, 0)),  # Saturday
        (berlin(2021, 10, 2, 12, 0), berlin(2021, 10, 4, 8, 0)),  # Sunday 3 October is no business day anyway
        (berlin(2021, 12, 24, 18, 30), berlin(2021, 12, 27, 8, 0)),  # Friday 24 December evening; 25/26 weekend
    ],
)
def test_quiet_hours_weekends_and_holidays_move_to_the_next_slot(at: dt.datetime, slot: dt.datetime) -> None:
    assert next_send_slot(at, SN) == slot


def test_utc_instants_are_judged_in_berlin_time() -> None:
    late_utc = dt.datetime(2021, 11, 16, 17, 30, tzinfo=dt.UTC)  # 18:30 in Berlin
    assert next_send_slot(late_utc, SN) == berlin(2021, 11, 18, 8, 0)


def test_the_shipped_school_holidays_of_saxony_cover_2018_to_2021() -> None:
    assert FERIEN.contains(dt.date(2021, 10, 18)) and FERIEN.contains(dt.date(2021, 10, 30))
    assert not FERIEN.contains(dt.date(2021, 11, 1))
    assert FERIEN.contains(dt.date(2019, 5, 31))  # Ferientag nach Himmelfahrt
    assert not school_holidays("NW").contains(dt.date(2021, 10, 8))  # NRW's own Herbstferien 2021 begin on 11.10.
    assert school_holidays("NW").contains(dt.date(2021, 10, 18))


def test_a_schools_due_date_in_the_autumn_holidays_moves_to_the_first_school_day_after() -> None:
    due = dt.date(2021, 10, 20)
    assert due_for(due, True, SN, FERIEN) == dt.date(2021, 11, 1)
    assert due_for(due, False, SN, FERIEN) == due
    # Winterferien 2020 end on Saturday 22 February: first school day Monday 24 February
    assert due_for(dt.date(2020, 2, 14), True, SN, FERIEN) == dt.date(2020, 2, 24)


def test_reminders_to_schools_wait_for_the_end_of_the_holidays_but_other_partners_do_not() -> None:
    school = Recipient(CONTACT, "Anke Müller", "Grundschule", "public_school", True)
    office = Recipient(uuid.uuid4(), "Jens Voigt", "Jugendamt", "youth_welfare", True)
    at = berlin(2021, 10, 19, 9, 0)  # Herbstferien
    args = ("run", dt.date(2021, 11, 3), at, SN, FERIEN)
    assert plan_item(school, OutboxKind.reminder, *args).send_after == berlin(2021, 11, 1, 8, 0)
    assert plan_item(office, OutboxKind.reminder, *args).send_after == at
    assert plan_item(school, OutboxKind.invitation, *args).send_after == at  # an invitation is not a reminder


def test_the_latest_reached_reminder_is_chosen_and_none_after_the_due_date() -> None:
    due = dt.date(2021, 11, 22)  # Monday; 17.11. is a holiday
    offsets = (5, 1)
    assert reminder_day(due, offsets, dt.date(2021, 11, 11), SN) is None
    assert reminder_day(due, offsets, dt.date(2021, 11, 12), SN) == (5, dt.date(2021, 11, 12))  # 17.11. skipped
    assert reminder_day(due, offsets, dt.date(2021, 11, 18), SN) == (5, dt.date(2021, 11, 12))
    assert reminder_day(due, offsets, dt.date(2021, 11, 19), SN) == (1, dt.date(2021, 11, 19))
    assert reminder_day(due, offsets, dt.date(2021, 11, 23), SN) is None


def test_escalation_goes_to_the_coordinator_after_three_and_the_process_owner_after_ten_business_days() -> None:
    due = dt.date(2021, 11, 12)
    assert escalation_level(due, dt.date(2021, 11, 16), SN) == 0  # two business days late
    assert escalation_level(due, dt.date(2021, 11, 18), SN) == 1  # Mon, Tue, Thu (Wed is a holiday)
    assert escalation_level(due, dt.date(2021, 11, 29), SN) == 2


def test_retries_back_off_and_stay_inside_the_sending_window() -> None:
    now = berlin(2021, 11, 16, 9, 0)
    assert retry_at(now, 1, SN) == berlin(2021, 11, 16, 9, 5)
    assert retry_at(now, 2, SN) == berlin(2021, 11, 16, 9, 30)
    assert retry_at(berlin(2021, 11, 16, 17, 0), 3, SN) == berlin(2021, 11, 18, 8, 0)


def test_a_broken_holiday_file_names_the_line() -> None:
    text = "land,name,first_day,last_day\nSN,Herbstferien,2021-10-18,2021-10-30\nSN,Kaputt,2021-13-01,2021-13-02\n"
    with pytest.raises(ValueError, match="Zeile 3"):
        parse_school_holidays(text, "SN")
    with pytest.raises(ValueError, match="Zeile 2: letzter Ferientag vor dem ersten"):
        parse_school_holidays("land,name,first_day,last_day\nSN,X,2021-10-30,2021-10-18\n", "SN")
