"""Planning the sweep from the domain state, over the real service layer with the fake notifier."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from tests_support_stages import open_stage

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.errors import InvalidInput
from verbund.domain.models import Contact, Organisation
from verbund.domain.outbox import OutboxItem, school_holidays
from verbund.domain.stages import StageRun
from verbund.notifications import FakeNotifier
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.channels import check_channels, set_channels
from verbund.services.inputs.consultation import cancel_consultation, schedule_consultation
from verbund.services.messaging.outbox import outbox_messages, sweep
from verbund.services.messaging.reminders import plan
from verbund.services.stages.lifecycle import reconcile_stage, waive_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"
SN = BusinessCalendar("SN")


@pytest.fixture
def fake() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
def region_app(app: App, fake: FakeNotifier) -> App:
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    app.notifier = fake
    return app


def _due(app: App) -> dt.date:
    with app.uow() as uow:
        due = uow.session.exec(select(StageRun.due).where(StageRun.stage == "analysis", StageRun.due != None)).first()  # noqa: E711
    assert due is not None
    return due


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=BERLIN)


def _kinds(app: App, status: str = "sent") -> list[str]:
    return [row["kind"] for row in outbox_messages(app, network=NETWORK, status=status)["messages"]]


def test_planning_twice_stores_nothing_twice(region_app: App) -> None:
    first = plan(region_app, START)
    second = plan(region_app, START + dt.timedelta(hours=2))
    assert first.planned > 20 and second.planned == 0
    with region_app.uow() as uow:
        keys = uow.session.exec(select(OutboxItem.key)).all()
    assert len(keys) == len(set(keys)) == first.planned


def test_the_sample_partners_get_the_stage_opened_message_in_their_local_mailbox_channel(
    region_app: App, fake: FakeNotifier
) -> None:
    report = sweep(region_app, START)
    assert report.sent > 20 and report.contacts_without_channel == []
    assert all(len(m.channels) == 1 and m.channels[0].startswith("local://") for m in fake.sent)


def test_reminders_five_and_one_business_days_before_then_overdue_then_escalation(region_app: App) -> None:
    due = _due(region_app)
    sweep(region_app, START)
    for offset in (5, 1):
        sweep(region_app, _at(SN.add_business_days(due, -offset)))
    sweep(region_app, _at(SN.add_business_days(due, 1)))
    sweep(region_app, _at(SN.add_business_days(due, 3)))
    kinds = _kinds(region_app)
    members = kinds.count("stage_opened")
    # Due 29.10.2019: the 5-day reminder (22.10.) falls in the Herbstferien (14.–25.10.2019), so schools'
    # reminders wait until 28.10., when the 1-day reminder replaces them: schools get one, others two.
    assert due == dt.date(2019, 10, 29) and school_holidays("SN").contains(SN.add_business_days(due, -5))
    rows = outbox_messages(region_app, network=NETWORK)["messages"]
    schools = {row["contact"] for row in rows if row["kind"] == "reminder" and row["status"] == "suppressed"}
    assert 10 < len(schools) < members
    assert kinds.count("reminder") == 2 * members - len(schools)
    assert kinds.count("overdue") == members
    assert kinds.count("escalation") == 1  # the coordinator's contact (LaSuB-Standort)


def test_a_waived_stage_gets_no_reminder_and_its_pending_items_are_suppressed(region_app: App) -> None:
    late_evening = START.replace(hour=19)
    first = sweep(region_app, late_evening)  # planned, but it is quiet time: nothing is sent
    assert first.planned > 20 and first.sent == 0
    waive_stage(region_app, NETWORK, "analysis", reason="Analyse liegt aus 2018 vor", by="po@example.org",
                at=late_evening + dt.timedelta(minutes=5))
    due = _due(region_app)
    report = sweep(region_app, _at(SN.add_business_days(due, -1)))
    assert report.sent == 0 and report.suppressed == first.planned
    assert set(_kinds(region_app, "suppressed")) == {"stage_opened"}
    assert _kinds(region_app) == []


def test_a_cancelled_consultation_gets_a_cancellation_and_no_invitation(region_app: App, fake: FakeNotifier) -> None:
    starts = dt.datetime(2019, 10, 30, 10, 0, tzinfo=BERLIN)
    open_stage(region_app, NETWORK, "consultation", START)
    schedule_consultation(region_app, NETWORK, starts_at=starts, place="Saal 1", by="k@example.org", at=START)
    cancel_consultation(region_app, NETWORK, reason="verschoben", by="k@example.org",
                        at=START + dt.timedelta(minutes=30))
    sweep(region_app, START + dt.timedelta(hours=1))
    kinds = set(_kinds(region_app))
    assert "invitation" not in kinds and "consultation_changed" in kinds
    assert any(m.subject.startswith("Abgesagt") or "Abgesagt" in m.body for m in fake.sent)


def test_a_contact_in_several_networks_gets_one_message_a_day_with_all_items(
    region_app: App, fake: FakeNotifier
) -> None:
    for network in ("kv-auental-sued", "kv-heidegrund-west"):
        reconcile_stage(region_app, network, "analysis", START)
    sweep(region_app, START)
    per_contact: dict[tuple[str, ...], int] = {}
    for message in fake.sent:
        per_contact[message.channels] = per_contact.get(message.channels, 0) + 1
    assert max(per_contact.values()) == 1
    digests = [m for m in fake.sent if len(m.keys) == 3]  # the LaSuB contact coordinates all three networks
    assert digests and digests[0].subject.startswith("3 Mitteilungen")
    with region_app.uow() as uow:
        deliveries = uow.session.exec(select(OutboxItem.delivery).where(
            OutboxItem.key.in_(list(digests[0].keys)))).all()  # type: ignore[attr-defined]
    assert len(set(deliveries)) == 1
    # A new item for the same contact later that day waits for tomorrow's message.
    reconcile_stage(region_app, "kv-heidegrund-ost", "analysis", START + dt.timedelta(hours=2))
    later = sweep(region_app, START + dt.timedelta(hours=3))
    assert all(len(m.keys) == 1 for m in fake.sent[-later.messages:]) if later.messages else True
    assert not any(m.channels == digests[0].channels for m in fake.sent[len(fake.sent) - later.messages:])


def test_contacts_without_a_channel_are_reported_and_kept_as_suppressed(region_app: App) -> None:
    with region_app.uow(write=True) as uow:
        query = select(Contact).join(Organisation).where(Organisation.kind == "youth_welfare")
        contact = uow.session.exec(query).first()
        assert contact is not None
        contact.channels, contact.email = [], None  # no further channel and no e-mail address
        uow.session.add(contact)
        uow.commit()
    report = sweep(region_app, START)
    assert report.contacts_without_channel == [str(contact.id)]  # ids: a Prefect result names nobody
    rows = outbox_messages(region_app, network=NETWORK, status="suppressed")["messages"]
    assert [(row["contact"], row["last_error"]) for row in rows] == [(contact.name, "keine Kanäle hinterlegt")]


def test_a_dry_run_decides_but_stores_and_sends_nothing(region_app: App, fake: FakeNotifier) -> None:
    report = sweep(region_app, START, dry_run=True)
    assert report.planned > 20 and report.sent == 0 and fake.sent == []
    assert outbox_messages(region_app)["messages"] == []


def test_a_bad_channel_is_refused_when_entered_naming_the_contact_and_scheme_not_the_secret(region_app: App) -> None:
    with pytest.raises(InvalidInput, match=r"Ansprechperson 'Anke Müller', Kanal 2: Schema 'fax' unbekannt") as error:
        check_channels("Anke Müller", ["local://anke", "fax://anke:geheim@example.org"])
    assert "geheim" not in str(error.value)
    with region_app.uow() as uow:
        contact = uow.session.exec(select(Contact)).first()
        assert contact is not None
    set_channels(region_app, contact.id, [" json://127.0.0.1:9000/ "])
    with region_app.uow() as uow:
        assert uow.session.get(Contact, contact.id).channels == ["json://127.0.0.1:9000/"]  # type: ignore[union-attr]
