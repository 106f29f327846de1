"""Notifications through apprise to real sinks on loopback: a JSON webhook receiver and aiosmtpd."""

from __future__ import annotations

import datetime as dt
import email.header
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from icalendar import Calendar
from notify_sinks import SmtpSink, WebhookSink, free_port
from sqlmodel import select
from tests_support_stages import open_stage

from verbund.domain.models import Contact, Organisation
from verbund.domain.outbox import OutboxItem
from verbund.notifications import AppriseNotifier
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.notification_settings import NotificationSettings
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.consultation import cancel_consultation, schedule_consultation
from verbund.services.messaging.outbox import outbox_messages, sweep
from verbund.services.stages.lifecycle import reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"


def set_channels(app: App, channels: Callable[[Contact, Organisation], list[str]]) -> None:
    with app.uow(write=True) as uow:
        for contact, org in uow.session.exec(select(Contact, Organisation).join(Organisation)).all():
            contact.channels = channels(contact, org)
            uow.session.add(contact)
        uow.commit()


@pytest.fixture
def webhook() -> Iterator[WebhookSink]:
    sink = WebhookSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def region_app(app: App, tmp_path: Path) -> App:
    """The sample region with the analysis of one network open, apprise as the notifier."""
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    app.notifier = AppriseNotifier(tmp_path / "postfach")
    app.notification_settings = NotificationSettings(send_concurrency=4)
    return app


def _subject(message: email.message.Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _text(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text part")


def _ics(message: email.message.Message) -> Calendar:
    for part in message.walk():
        if (part.get_filename() or "").endswith(".ics"):
            return Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no .ics attachment")


def test_stage_opened_messages_reach_a_json_webhook_with_their_keys(region_app: App, webhook: WebhookSink) -> None:
    set_channels(region_app, lambda c, o: [webhook.url])
    report = sweep(region_app, START)
    rows = outbox_messages(region_app, network=NETWORK)["messages"]
    assert report.sent == len(rows) > 20
    assert {row["status"] for row in rows} == {"sent"}
    assert {row["kind"] for row in rows} == {"stage_opened"}
    received_keys = [key for item in webhook.received for key in item.keys]
    assert sorted(received_keys) == sorted(row["key"] for row in rows)
    first = webhook.received[0]
    assert first.payload["title"].startswith("Kooperationsverbund Auental-Nord: Stufe „Analyse“ beginnt")
    assert "Bitte tragen Sie die Angaben" in first.payload["message"]
    assert first.headers["X-Verbund-Delivery"]
    again = sweep(region_app, START + dt.timedelta(hours=1))
    assert (again.planned, again.sent) == (0, 0)
    assert len(webhook.received) == report.messages


def test_an_invitation_arrives_by_smtp_in_german_with_an_ics_in_berlin_time(region_app: App) -> None:
    smtp = SmtpSink().start()
    try:
        set_channels(region_app, lambda c, o: [smtp.url(c.email or "x@example.org")])
        open_stage(region_app, NETWORK, "consultation", START)  # input follows the stage: it must be open
        sweep(region_app, START)  # stage opened
        smtp.messages.clear()
        starts = dt.datetime(2019, 10, 30, 10, 0, tzinfo=BERLIN)
        schedule_consultation(region_app, NETWORK, starts_at=starts, place="Landratsamt Auental, Saal 2",
                              by="koordination@example.org", at=START + dt.timedelta(days=1))
        report = sweep(region_app, START + dt.timedelta(days=1))
    finally:
        smtp.stop()
    assert report.sent > 20 and smtp.messages
    mail = smtp.messages[0]
    assert _subject(mail) == ("Einladung: Konstituierende Beratung des Kooperationsverbunds Auental-Nord "
                              "am 30.10.2019, 10:00 Uhr")
    body = _text(mail)
    assert "Termin: 30.10.2019, 10:00 Uhr" in body and "Landratsamt Auental, Saal 2" in body
    assert mail["Message-ID"] == f"<{mail['X-Verbund-Delivery']}@verbund>"
    rows = outbox_messages(region_app, network=NETWORK)["messages"]
    keys = {row["key"] for row in rows if row["kind"] == "invitation"}
    assert set(mail["X-Verbund-Key"].split(",")) <= keys
    event = _ics(mail).walk("VEVENT")[0]
    start = event.decoded("DTSTART")
    assert start.utcoffset() == dt.timedelta(hours=1) and str(start.tzinfo) == "Europe/Berlin"
    assert (start.hour, start.minute) == (10, 0)
    assert str(event["SUMMARY"]) == "Konstituierende Beratung Kooperationsverbund Auental-Nord"
    assert str(event["LOCATION"]) == "Landratsamt Auental, Saal 2"
    assert int(event["SEQUENCE"]) == 0


def test_a_moved_and_then_cancelled_consultation_sends_a_higher_sequence_and_a_cancel(
    region_app: App, webhook: WebhookSink
) -> None:
    set_channels(region_app, lambda c, o: [webhook.url])
    open_stage(region_app, NETWORK, "consultation", START)  # input follows the stage: it must be open
    day = START + dt.timedelta(days=1)
    starts = dt.datetime(2019, 10, 30, 10, 0, tzinfo=BERLIN)
    schedule_consultation(region_app, NETWORK, starts_at=starts, place="Saal 2", by="k@example.org", at=day)
    sweep(region_app, day)
    schedule_consultation(region_app, NETWORK, starts_at=starts + dt.timedelta(hours=2), place="Saal 3",
                          by="k@example.org", at=day + dt.timedelta(days=1))
    sweep(region_app, day + dt.timedelta(days=1))
    cancel_consultation(region_app, NETWORK, reason="Krankheit", by="k@example.org", at=day + dt.timedelta(days=2))
    sweep(region_app, day + dt.timedelta(days=2))
    kinds = [row["kind"] for row in outbox_messages(region_app, network=NETWORK)["messages"] if row["status"] == "sent"]
    members = kinds.count("invitation")
    assert members > 20 and kinds.count("consultation_changed") == 2 * members
    titles = [item.payload["title"] for item in webhook.received]
    assert any(t.startswith("Neuer Termin: Konstituierende Beratung") and "12:00 Uhr" in t for t in titles)
    assert any(t.startswith("Abgesagt: Konstituierende Beratung") for t in titles)
    icals = [Calendar.from_ical(__import__("base64").b64decode(a["base64"])) for item in webhook.received
             for a in item.payload.get("attachments", [])]
    methods = {(str(c["METHOD"]), int(c.walk("VEVENT")[0]["SEQUENCE"])) for c in icals}
    assert methods == {("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)}


def test_smtp_down_for_a_while_is_retried_and_delivered_when_back(region_app: App, clock: ManualClock) -> None:
    smtp = SmtpSink()
    set_channels(region_app, lambda c, o: [smtp.url(c.email or "x@example.org")])
    first = sweep(region_app, START)
    assert first.sent == 0 and first.retrying > 20
    second = sweep(region_app, START + dt.timedelta(minutes=10))
    assert second.sent == 0 and second.retrying == first.retrying
    smtp.start()
    try:
        third = sweep(region_app, START + dt.timedelta(hours=1))
    finally:
        smtp.stop()
    assert third.sent == first.retrying and third.failed == 0
    rows = outbox_messages(region_app, network=NETWORK)["messages"]
    assert {row["status"] for row in rows} == {"sent"} and {row["attempts"] for row in rows} == {3}
    assert len(smtp.messages) == third.messages


def test_a_permanently_failing_url_is_marked_failed_and_escalated_to_the_coordinator(
    region_app: App, webhook: WebhookSink
) -> None:
    dead = f"json://user:geheim@127.0.0.1:{free_port()}/"
    set_channels(region_app, lambda c, o: [webhook.url] if o.kind == "school_authority" else [dead])
    times = [START, START + dt.timedelta(hours=1), START + dt.timedelta(hours=3), START + dt.timedelta(hours=6),
             START + dt.timedelta(days=1)]
    reports = [sweep(region_app, at) for at in times]
    assert sum(r.failed for r in reports) > 20
    rows = outbox_messages(region_app, network=NETWORK)["messages"]
    failed = [row for row in rows if row["status"] == "failed"]
    assert failed and all(row["attempts"] == 4 for row in failed)
    assert all("geheim" not in (row["last_error"] or "") and "user" not in (row["last_error"] or "") for row in rows)
    escalations = [row for row in rows if row["kind"] == "escalation"]
    assert len(escalations) == len(failed) and {row["status"] for row in escalations} == {"sent"}
    bodies = " ".join(item.payload["message"] for item in webhook.received)
    assert "konnte nach\n4 Versuchen nicht zugestellt werden" in bodies
    # an escalation row stores the dashboard's stage page, never the failed partner's signed link (issue 18)
    import json

    from verbund.services.privacy.person import token_prefix

    with region_app.uow() as uow:
        failed_contacts = set(uow.session.exec(select(OutboxItem.contact_id).where(OutboxItem.status == "failed")))
        contexts = json.dumps(list(uow.session.exec(select(OutboxItem.context).where(
            OutboxItem.kind == "escalation"))))
    assert failed_contacts and "/stufe/" in contexts
    assert not any(token_prefix(contact) in contexts + bodies for contact in failed_contacts)
