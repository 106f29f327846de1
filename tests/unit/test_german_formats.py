"""German formats for people (issue 17): Europe/Berlin local time, German dates, decimal commas,
"100 %", and the right number for counts 0, 1 and 2."""

from __future__ import annotations

import datetime as dt

import pytest

from verbund.domain.formatting import count, decimal, local_date, local_time, percent
from verbund.domain.labels import audit_sentence


def test_times_are_local_berlin_time_in_german_form_in_winter_and_summer() -> None:
    assert local_time("2026-12-16T13:00:00+00:00") == "16.12.2026, 14:00 Uhr"
    assert local_time(dt.datetime(2026, 6, 16, 12, 0, tzinfo=dt.UTC)) == "16.06.2026, 14:00 Uhr"
    assert local_date("2026-12-16T23:30:00+00:00") == "17.12.2026"  # already the next day in Berlin
    assert local_date(dt.date(2026, 1, 2)) == "02.01.2026" and local_time(None) == "—"


def test_numbers_have_decimal_commas_and_percent_a_space() -> None:
    assert decimal(1234.56) == "1.234,6" and decimal(2.0) == "2"
    assert percent(4, 4).replace("\xa0", " ") == "100 %"
    assert percent(7, 8).replace("\xa0", " ") == "87,5 %" and percent(1, 0) == "—"


@pytest.mark.parametrize(("n", "expected"), [(0, "0 Angaben"), (1, "1 Angabe"), (2, "2 Angaben")])
def test_counts_take_singular_only_for_one(n: int, expected: str) -> None:
    assert count(n, "Angabe", "Angaben") == expected


def test_audit_entries_read_as_german_sentences() -> None:
    assert audit_sentence("stage", "transition", "open", "ready") == "Stufe von „offen“ auf „bereit“ gesetzt."
    assert audit_sentence("analysis_entry", "recorded") == "Angaben zur Analyse erfasst."
    assert audit_sentence("unbekannt", "neu") == "Änderung vermerkt."


def test_messages_put_the_network_name_in_the_genitive() -> None:
    from verbund.notifications.render import genitive

    assert genitive("Kooperationsverbund Zwickau-Stadt") == "des Kooperationsverbunds Zwickau-Stadt"
    assert genitive("Regionales Bildungsnetzwerk Lindenau") == "des Regionalen Bildungsnetzwerks Lindenau"
    assert genitive("Muldenland") == "des Verbunds „Muldenland“"
