"""German texts for every outbox kind, the digest, .ics invitations and redaction of channel URLs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from verbund.domain.outbox import OutboxKind
from verbund.notifications import (
    FakeNotifier,
    OutgoingMessage,
    consultation_ics,
    digest,
    redact,
    render,
    validate_channel,
)

BASE = {
    "network": "kv-auental-nord", "network_name": "Kooperationsverbund Auental-Nord", "contact_name": "Anke Müller",
    "organisation": "Grundschule „Am Park“ Lindenau", "link": "http://127.0.0.1:8000/eingabe/kv-auental-nord/analysis",
    "key": "0123456789abcdef", "stage_title": "Analyse", "stage_description": "Bedingungen und Akteure",
    "due": "2021-11-17", "days_left": 1, "starts_at": "2021-11-18T10:00:00+01:00", "place": "Landratsamt, Saal 1",
    "sequence": 0, "cancelled": False, "uid": "x@verbund", "objection_deadline": "2021-11-30",
    "content_hash": "abcdef", "level": 1, "late_days": 4, "reason": "overdue", "reason_title": "„Analyse“ überfällig",
    "title": "Fachtag Inklusion", "text": "Am 12.11. findet der Fachtag statt.",
}


@pytest.mark.parametrize("kind", list(OutboxKind))
def test_every_kind_has_a_german_subject_and_body_with_the_key(kind: OutboxKind) -> None:
    subject, body = render(kind, BASE)
    assert "Kooperationsverbund Auental-Nord" in subject or "Kooperationsverbund Auental-Nord" in body
    assert body.startswith("Guten Tag Anke Müller,")
    assert "Kennung: 0123456789abcdef" in body
    assert "{{" not in body and "{%" not in body


def test_dates_are_written_the_german_way() -> None:
    subject, body = render(OutboxKind.reminder, BASE)
    assert subject == "Erinnerung: „Analyse“ im Kooperationsverbund Auental-Nord – fällig am Mittwoch, 17.11.2021"
    assert "(noch 1 Werktag)" in body
    subject, _ = render(OutboxKind.invitation, BASE)
    assert subject.endswith("am 18.11.2021, 10:00 Uhr")


def test_an_announcement_carries_its_title_and_text() -> None:
    subject, body = render(OutboxKind.announcement, BASE)
    assert subject == "Kooperationsverbund Auental-Nord: Fachtag Inklusion"
    assert "Am 12.11. findet der Fachtag statt." in body and "Grundschule „Am Park“ Lindenau" in body


def test_a_cancellation_says_so() -> None:
    subject, body = render(OutboxKind.consultation_changed, BASE | {"cancelled": True, "sequence": 2})
    assert subject.startswith("Abgesagt:") and "absage.ics" in body


def test_a_digest_numbers_its_items_and_a_single_item_stays_as_it_is() -> None:
    one = render(OutboxKind.stage_opened, BASE)
    assert digest([one], "Anke Müller", "2021-11-16") == one
    subject, body = digest([one, render(OutboxKind.reminder, BASE)], "Anke Müller", "2021-11-16")
    assert subject == "2 Mitteilungen Ihres Kooperationsverbunds vom Dienstag, 16.11.2021"
    assert "1. Kooperationsverbund Auental-Nord: Stufe" in body and "2. Erinnerung" in body


def test_the_ics_is_a_request_in_berlin_time_and_a_cancel_raises_nothing_but_the_method() -> None:
    starts = dt.datetime(2021, 11, 18, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    stamp = dt.datetime(2021, 11, 1, 9, 0, tzinfo=dt.UTC)
    request = Calendar.from_ical(consultation_ics(uid="u@verbund", sequence=1, starts_at=starts, minutes=120,
                                                  summary="Beratung", location="Saal 1", stamp=stamp))
    event = request.walk("VEVENT")[0]
    assert str(request["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == starts and str(event.decoded("DTSTART").tzinfo) == "Europe/Berlin"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(hours=2)
    assert request.walk("VTIMEZONE")
    cancel = Calendar.from_ical(consultation_ics(uid="u@verbund", sequence=2, starts_at=starts, minutes=120,
                                                 summary="Beratung", location="Saal 1", stamp=stamp, cancelled=True))
    assert str(cancel["METHOD"]) == "CANCEL" and str(cancel.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


def test_channel_urls_are_shown_without_credentials() -> None:
    assert redact("mailtos://anke:geheim@smtp.example.org:587?to=a@example.org") == "mailtos://smtp.example.org:587"
    assert redact("msteams://token1/token2/token3") == "msteams://…"  # the "host" of such schemes is a token
    assert "geheim" not in redact("json://user:geheim@127.0.0.1:9000/path?x=1")


def test_unknown_schemes_and_bad_mailbox_names_are_refused_with_a_reason() -> None:
    assert validate_channel("local://anke.mueller") is None
    assert validate_channel("json://127.0.0.1:9000/") is None
    reason = validate_channel("fax://user:geheim@example.org")
    assert reason is not None and "Schema 'fax'" in reason and "geheim" not in reason
    assert "keine URL" in (validate_channel("anke@example.org") or "")
    assert "Postfachname" in (validate_channel("local://../etc") or "")


def test_the_fake_notifier_records_and_fails_on_demand() -> None:
    fake = FakeNotifier(failing={"json://down/"})
    fake.send(OutgoingMessage("d", ("k1", "k2"), ("local://a",), "S", "B"))
    with pytest.raises(Exception, match="fehlgeschlagen"):
        fake.send(OutgoingMessage("d2", ("k3",), ("json://down/",), "S", "B"))
    assert fake.keys() == ["k1", "k2"]
