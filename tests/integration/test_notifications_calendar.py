"""Sending waits for Saxon business days and the 08:00–18:00 window, through the real sweep.

Buß- und Bettag (Wednesday 17.11.2021) is a public holiday only in Saxony; Saturday and Sunday are
no business days; evenings and early mornings are quiet time. What falls there moves to the next
slot, and a contact still receives at most one message a day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from tests_support_stages import open_stage

from verbund.notifications import FakeNotifier
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.consultation import schedule_consultation
from verbund.services.messaging.outbox import outbox_messages, sweep
from verbund.services.stages.lifecycle import reconcile_stage

NETWORK = "kv-auental-nord"


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def fake() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def region_app(app: App, fake: FakeNotifier) -> App:
    build_sample_region(app, at=berlin(2021, 11, 1, 9, 0))
    app.notifier = fake
    return app


def _sent_at(app: App, kind: str) -> set[str]:
    rows = outbox_messages(app, network=NETWORK)["messages"]
    return {row["sent_at"] for row in rows if row["kind"] == kind}


def test_a_stage_opened_on_buss_und_bettag_is_announced_on_thursday_at_eight(
    region_app: App, fake: FakeNotifier
) -> None:
    holiday = berlin(2021, 11, 17, 10, 0)
    reconcile_stage(region_app, NETWORK, "analysis", holiday)
    on_the_day = sweep(region_app, holiday)
    assert on_the_day.planned > 20 and on_the_day.sent == 0 and fake.sent == []
    assert sweep(region_app, berlin(2021, 11, 17, 16, 0)).sent == 0
    assert sweep(region_app, berlin(2021, 11, 18, 7, 45)).sent == 0  # Thursday, before 08:00
    thursday = sweep(region_app, berlin(2021, 11, 18, 8, 0))
    assert thursday.sent == on_the_day.planned and thursday.planned == 0
    assert _sent_at(region_app, "stage_opened") == {berlin(2021, 11, 18, 8, 0).astimezone(dt.UTC).isoformat()}


def test_an_invitation_made_on_friday_evening_goes_out_on_monday_morning(
    region_app: App, fake: FakeNotifier
) -> None:
    friday_evening = berlin(2021, 11, 19, 18, 30)
    open_stage(region_app, NETWORK, "consultation", friday_evening)  # input follows the stage
    schedule_consultation(region_app, NETWORK, starts_at=berlin(2021, 12, 8, 14, 0), place="Rathaus, Saal 1",
                          by="koordination@example.org", at=friday_evening)
    planned = sweep(region_app, friday_evening)
    assert planned.planned > 20 and planned.sent == 0
    for at in (berlin(2021, 11, 20, 10, 0), berlin(2021, 11, 21, 12, 0), berlin(2021, 11, 22, 6, 0)):
        assert sweep(region_app, at).sent == 0, at  # Saturday, Sunday, Monday before 08:00
    monday = sweep(region_app, berlin(2021, 11, 22, 9, 15))
    assert monday.sent == planned.planned and len(fake.sent) == monday.messages
    assert _sent_at(region_app, "invitation") == {berlin(2021, 11, 22, 9, 15).astimezone(dt.UTC).isoformat()}


def test_a_second_item_on_the_same_day_waits_for_the_next_business_day(
    region_app: App, fake: FakeNotifier
) -> None:
    tuesday = berlin(2021, 11, 16, 9, 0)
    open_stage(region_app, NETWORK, "consultation", tuesday)  # input follows the stage
    first = sweep(region_app, tuesday)
    assert first.sent > 20
    schedule_consultation(region_app, NETWORK, starts_at=berlin(2021, 12, 8, 14, 0), place="Rathaus, Saal 1",
                          by="koordination@example.org", at=tuesday + dt.timedelta(hours=2))
    later = sweep(region_app, tuesday + dt.timedelta(hours=3))
    assert later.planned > 20 and later.sent == 0  # everybody had today's message already
    assert sweep(region_app, berlin(2021, 11, 17, 9, 0)).sent == 0  # Wednesday is Buß- und Bettag
    thursday = sweep(region_app, berlin(2021, 11, 18, 8, 0))
    assert thursday.sent == later.planned
    per_day: dict[tuple[tuple[str, ...], str], int] = {}
    for message in fake.sent:
        day = message.delivery  # one delivery id per contact and day
        per_day[(message.channels, day)] = per_day.get((message.channels, day), 0) + 1
    assert max(per_day.values()) == 1 and len(fake.sent) == first.messages + thursday.messages
