"""Every date and time a person enters is parsed in one module (issue 16): German and ISO forms,
Europe/Berlin unless an offset is given, and one German line naming the field for anything else."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verbund.domain.business_days import BERLIN
from verbund.domain.dates import DateInputError, parse_day, parse_instant, parse_optional_day


@pytest.mark.parametrize("text", ["16.12.2026", "2026-12-16", " 16.12.2026 "])
def test_a_day_in_german_or_iso(text: str) -> None:
    assert parse_day(text, "--as-of") == dt.date(2026, 12, 16)


def test_german_days_may_lack_leading_zeros() -> None:
    assert parse_day("1.2.2026", "Stichtag") == dt.date(2026, 2, 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("16.12.2026 14:00", dt.datetime(2026, 12, 16, 14, 0, tzinfo=BERLIN)),
    ("16.12.2026, 14:00:30", dt.datetime(2026, 12, 16, 14, 0, 30, tzinfo=BERLIN)),
    ("2026-12-16T14:00", dt.datetime(2026, 12, 16, 14, 0, tzinfo=BERLIN)),
    ("2026-12-16 14:00", dt.datetime(2026, 12, 16, 14, 0, tzinfo=BERLIN)),
    ("16.12.2026", dt.datetime(2026, 12, 16, 0, 0, tzinfo=BERLIN)),
])
def test_an_instant_without_offset_is_europe_berlin(text: str, expected: dt.datetime) -> None:
    parsed = parse_instant(text, "--at")
    assert parsed == expected and parsed.utcoffset() == dt.timedelta(hours=1)


def test_an_offset_is_kept() -> None:
    assert parse_instant("2026-07-01T12:00+00:00", "--at") == dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    assert parse_instant("2026-07-01T12:00Z", "--at") == dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", ["2021-02-30", "30.02.2021", "31.04.2026", "2026-13-01", "00.01.2026",
                                  "16.12.2026 25:00", "gestern", "", "2026/12/16", "12/16/2026", "16.12.26",
                                  "16.12.0001", "2026-12-16T14:00+25:00", "10000-01-01", "16.12.2026\n14:00"])
def test_a_bad_value_is_one_german_line_naming_the_field_and_the_accepted_forms(text: str) -> None:
    for parse in (parse_day, parse_instant):
        with pytest.raises(DateInputError) as refused:
            parse(text, "VERBUND_NOW")
        message = str(refused.value)
        assert message.startswith("VERBUND_NOW: ") and "\n" not in message
        assert "TT.MM.JJJJ" in message and "JJJJ-MM-TT" in message
        assert refused.value.field == "VERBUND_NOW"


def test_an_empty_optional_field_is_none() -> None:
    assert parse_optional_day("  ", "Zieldatum") is None and parse_optional_day(None, "Zieldatum") is None


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=40), st.from_regex(r"\d{1,2}\.\d{1,2}\.\d{4}( \d{1,2}:\d{2})?", fullmatch=True),
                 st.from_regex(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?", fullmatch=True)))
def test_any_text_is_a_date_or_a_one_line_refusal_naming_the_field(text: str) -> None:
    for parse in (parse_day, parse_instant):
        try:
            value = parse(text, "Feld X")
        except DateInputError as refused:
            assert str(refused).startswith("Feld X: ") and "\n" not in str(refused)
        else:
            assert 1900 <= value.year <= 2199
            if isinstance(value, dt.datetime):
                assert value.tzinfo is not None
                value.astimezone(dt.UTC)  # never overflows
