"""The partner pages behind a signed link, driven over HTTP: potentials, consultation RSVP, objection
to a protocol draft, naming a deputy, switching a channel off and on, and a fresh link from the
expired-link page (the expired link minted with an earlier clock, the fresh one received on a
loopback webhook and opened)."""

from __future__ import annotations

import datetime as dt
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

import pytest
from dashboard_world import World
from sqlmodel import col, select

from verbund.domain.access import ChannelOptOut, StageDeputy
from verbund.domain.models import Contact
from verbund.domain.outbox import OutboxItem
from verbund.domain.stages import AuditEvent
from verbund.domain.work import Potential, Protocol, ProtocolObjection
from verbund.notifications import AppriseNotifier
from verbund.services.inputs.consultation import schedule_consultation
from verbund.services.inputs.links import PURPOSE_STAGE, STAGE_PURPOSE, sign
from verbund.services.inputs.partners import channel_id
from verbund.services.inputs.protocol import circulate_protocol, draft_protocol
from verbund.services.messaging.reminders import plan

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from notify_sinks import WebhookSink
from tests_support_stages import open_stage

LINK = re.compile(r"https?://\S+/eingabe/\S+")


class Partner:
    """One contact's link for one stage, opened in the test client."""

    def __init__(self, world: World, client: Any, stage: str, *, minted: dt.datetime | None = None) -> None:
        self.world, self.client, self.stage = world, client, stage
        self.network = world.own[0]
        self.contact_id = world.contact_of(self.network)
        self.token = sign(world.app, self.contact_id, self.network, stage, STAGE_PURPOSE[stage], now=minted)
        self.path = f"/eingabe/{self.network}/{stage}"

    def page(self) -> Any:
        return self.client.get(f"{self.path}?t={self.token}")

    def csrf(self) -> str:
        page = self.page()
        assert page.status_code in (200, 410), page.text
        return str(page.text.split('name="csrf" value="')[1].split('"')[0])

    def post(self, **data: str) -> Any:
        return self.client.post(self.path, data={"t": self.token, "csrf": self.csrf(), **data}, follow_redirects=False)

    def contact(self) -> Contact:
        with self.world.app.uow() as uow:
            found = uow.session.get(Contact, self.contact_id)
            assert found is not None
            return found

    def organisation_id(self) -> uuid.UUID:
        return self.contact().organisation_id


def _notice(response: Any) -> str:
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def _triggered(world: World) -> list[tuple[str, str]]:
    return [(network, stage) for network, stage, _at in world.app.trigger.calls]  # type: ignore[attr-defined]


def _audit(world: World, entity: str) -> list[AuditEvent]:
    with world.app.uow() as uow:
        return list(uow.session.exec(select(AuditEvent).where(AuditEvent.entity == entity)
                                     .order_by(col(AuditEvent.recorded_at))).all())


def test_a_partner_raises_a_potential_named_after_their_organisation_and_the_stage_flow_runs(
    world: World, client: Any
) -> None:
    partner = Partner(world, client, "potentials")
    open_stage(world.app, partner.network, "potentials", world.app.now())
    assert "Potenzial senden" in partner.page().text
    before = len(_triggered(world))
    location = _notice(partner.post(was="potenzial", area="communication", title="Gemeinsamer Elternabend",
                                    description="Schulen und Jugendhilfe laden gemeinsam ein"))
    assert "meldung=" in location and "fehler=" not in location
    with world.app.uow() as uow:
        found = uow.session.exec(select(Potential).where(Potential.title == "Gemeinsamer Elternabend")).one()
    assert found.area == "communication" and found.raised_by == [str(partner.organisation_id())]
    assert _triggered(world)[before:] == [(partner.network, "potentials")]


def test_a_potential_without_title_or_with_an_unknown_area_is_refused_and_nothing_is_stored(
    world: World, client: Any
) -> None:
    partner = Partner(world, client, "potentials")
    for data in ({"area": "communication", "title": "  "}, {"area": "zauberei", "title": "Etwas"}):
        assert "fehler=" in _notice(partner.post(was="potenzial", description="", **data))
    with world.app.uow() as uow:
        assert uow.session.exec(select(Potential)).all() == []


def test_a_consultation_rsvp_is_recorded_with_who_represents_the_organisation(world: World, client: Any) -> None:
    partner = Partner(world, client, "consultation")
    open_stage(world.app, partner.network, "consultation", world.app.now())
    assert "Rückmeldung senden" in partner.page().text
    _notice(partner.post(was="zusage", attending="1", represented_by="Frau Beispiel"))
    _notice(partner.post(was="zusage", attending="0", represented_by=""))
    _notice(partner.post(was="zusage", attending="1", represented_by=f" {partner.contact().name.upper()} "))
    rsvps = _audit(world, "rsvp")
    assert [event.action for event in rsvps] == ["accepted", "declined", "accepted"]
    assert "vertreten durch Frau Beispiel" in (rsvps[0].reason or "") and "Absage" in (rsvps[1].reason or "")
    assert (rsvps[2].reason or "").endswith(": Zusage")  # they come themselves: named by the reference only
    assert (rsvps[0].actor, rsvps[0].actor_ref) == ("", f"contact:{partner.contact().id}")  # by reference
    assert _triggered(world)[-2:] == [(partner.network, "consultation")] * 2


def test_the_analysis_notice_counts_the_saved_answers_in_singular_only_for_one(world: World, client: Any) -> None:
    partner = Partner(world, client, "analysis")
    open_stage(world.app, partner.network, "analysis", world.app.now())

    def notice(**answers: str) -> str:
        return unquote_plus(_notice(partner.post(was="analyse", **answers)))

    assert "Vielen Dank! 1 Angabe gespeichert." in notice(**{"text-conditions": "Barrierefreies Gebäude"})
    assert "Vielen Dank! 2 Angaben gespeichert." in notice(**{"text-actors": "Schulsozialarbeit",
                                                              "text-responsibilities": "Schulleitung"})
    unchanged = notice(**{"text-actors": "Schulsozialarbeit"})  # the same answer again changes nothing
    assert "Diese Angaben sind bereits erfasst; es wurde nichts doppelt gespeichert." in unchanged


def test_the_rsvp_page_says_when_in_german_local_time_and_where_the_consultation_is(
    world: World, client: Any
) -> None:
    partner = Partner(world, client, "consultation")
    open_stage(world.app, partner.network, "consultation", world.app.now())
    page = partner.page().text
    assert "stehen noch nicht fest" in page and "Wann" not in page  # nothing scheduled yet
    starts = dt.datetime(2026, 12, 16, 14, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 13:00 UTC
    schedule_consultation(world.app, partner.network, starts_at=starts, place="Rathaus Zwickau, Saal 2",
                          by="koord@example.org")
    page = partner.page().text
    when = page.split('id="meeting-when">')[1].split("<")[0]
    where = page.split('id="meeting-where">')[1].split("<")[0]
    assert (when, where) == ("16.12.2026, 14:00 Uhr", "Rathaus Zwickau, Saal 2")
    assert "13:00" not in page and "2026-12-16" not in page  # neither UTC nor ISO
    assert "Rückmeldung senden" in page


def test_an_objection_is_taken_only_against_a_circulated_draft_and_names_the_organisation(
    world: World, client: Any
) -> None:
    partner = Partner(world, client, "protocol")
    open_stage(world.app, partner.network, "protocol", world.app.now())
    draft_protocol(world.app, partner.network, body="Protokoll der Beratung: TOP 1 …", by="koord@example.org")
    assert "fehler=" in _notice(partner.post(was="einspruch", text="Zu früh"))  # only a draft, not circulated
    circulate_protocol(world.app, partner.network, objection_business_days=5, by="koord@example.org")
    page = partner.page().text
    assert "Protokoll der Beratung: TOP 1" in page and "Einspruch senden" in page
    assert "fehler=" in _notice(partner.post(was="einspruch", text="   "))
    assert "fehler=" not in _notice(partner.post(was="einspruch", text="Unsere Anwesenheit fehlt."))
    with world.app.uow() as uow:
        minutes = uow.session.exec(select(Protocol)).one()
        objections = uow.session.exec(select(ProtocolObjection)
                                      .where(ProtocolObjection.protocol_id == minutes.id)).all()
    assert [(o.organisation_id, o.text) for o in objections] == [(partner.organisation_id(),
                                                                  "Unsere Anwesenheit fehlt.")]
    raised = _audit(world, "protocol")
    assert [(e.actor, e.actor_ref) for e in raised if e.action == "objection"] == [
        ("", f"contact:{partner.contact().id}")]  # who raised it, by reference


def test_a_link_for_one_purpose_takes_no_input_of_another(world: World, client: Any) -> None:
    partner = Partner(world, client, "potentials")
    refused = partner.post(was="analyse", **{"text-conditions": "Etwas"})
    assert refused.status_code == 403 and "gilt nur für" in refused.text
    assert set(PURPOSE_STAGE.values()) == {"analysis", "potentials", "consultation", "protocol"}


def test_a_named_deputy_becomes_a_contact_of_the_organisation_and_is_planned_for_reminders(
    world: World, client: Any
) -> None:
    partner = Partner(world, client, "analysis")
    assert "fehler=" in _notice(partner.post(was="vertretung", name="Herr Vertreter", email="keine-adresse"))
    _notice(partner.post(was="vertretung", name="Herr Vertreter", email="vertreter@schule.example"))
    assert "Vertretung: Herr Vertreter (vertreter@schule.example)" in partner.page().text
    with world.app.uow() as uow:
        deputy = uow.session.exec(select(Contact).where(Contact.email == "vertreter@schule.example")).one()
        link = uow.session.exec(select(StageDeputy).where(col(StageDeputy.ended_at).is_(None))).one()
    assert link.deputy_id == deputy.id and link.stage == "analysis" and link.named_by == partner.contact_id
    replay = _notice(partner.post(was="vertretung", name="Herr Vertreter", email="vertreter@schule.example"))
    assert "bereits+eingetragen" in replay
    # reached through the installation's mail sender (VERBUND_MAIL_URL), not a channel of its own (issue 12)
    assert deputy.organisation_id == partner.organisation_id() and deputy.channels == []
    plan(world.app, world.app.now())
    with world.app.uow() as uow:
        items = uow.session.exec(select(OutboxItem.kind, OutboxItem.status)
                                 .where(OutboxItem.contact_id == deputy.id)).all()
    assert ("stage_opened", "pending") in items


def test_a_channel_switched_off_is_kept_aside_and_can_be_switched_on_again(world: World, client: Any) -> None:
    partner = Partner(world, client, "analysis")
    channel = "json://nutzer:geheim@127.0.0.1:9/"
    with world.app.uow(write=True) as uow:
        contact = uow.session.get(Contact, partner.contact_id)
        assert contact is not None
        contact.channels = [channel, *contact.channels]
        uow.session.add(contact)
        uow.commit()
    channels = partner.contact().channels
    assert "geheim" not in partner.page().text  # channels are shown redacted only
    _notice(partner.post(was="kanal-aus", channel=channel_id(channel)))
    assert channel not in partner.contact().channels
    with world.app.uow() as uow:
        kept = uow.session.exec(select(ChannelOptOut.channel)
                                .where(ChannelOptOut.contact_id == partner.contact_id)).all()
    assert kept == [channel]
    page = partner.page().text
    assert ": aus" in page and "einschalten" in page and "geheim" not in page
    assert "fehler=" in _notice(partner.post(was="kanal-aus", channel="0000000000000000"))
    _notice(partner.post(was="kanal-an", channel=channel_id(channel)))
    assert sorted(partner.contact().channels) == sorted(channels)
    with world.app.uow() as uow:
        assert uow.session.exec(select(ChannelOptOut)).all() == []


def _reachable_at(world: World, contact_id: uuid.UUID, url: str) -> None:
    with world.app.uow(write=True) as uow:
        contact = uow.session.get(Contact, contact_id)
        assert contact is not None
        contact.channels = [url]
        uow.session.add(contact)
        uow.commit()


@pytest.fixture
def webhook() -> Iterator[WebhookSink]:
    sink = WebhookSink().start()
    yield sink
    sink.stop()


def test_an_expired_link_offers_a_fresh_one_that_arrives_and_opens_the_same_page(
    world: World, client: Any, webhook: WebhookSink, tmp_path: Path
) -> None:
    partner = Partner(world, client, "analysis", minted=world.app.now() - dt.timedelta(days=20))
    _reachable_at(world, partner.contact_id, webhook.url)
    world.app.notifier = AppriseNotifier(tmp_path / "postfach")
    world.app.notification_settings.public_url = "http://testserver"
    expired = partner.page()
    assert expired.status_code == 410 and "Dieser Link ist abgelaufen" in expired.text
    assert partner.contact().name not in expired.text and "Angaben senden" not in expired.text
    sent = client.post(f"{partner.path}/neuer-link", data={"t": partner.token, "csrf": partner.csrf()})
    assert sent.status_code == 200 and "Neuer Link unterwegs" in sent.text
    assert len(webhook.received) == 1
    fresh = LINK.findall(webhook.received[0].payload["message"])
    assert len(fresh) == 1 and partner.token not in fresh[0]
    page = client.get(fresh[0].removeprefix("http://testserver"))
    assert page.status_code == 200 and partner.contact().name in page.text and "Angaben senden" in page.text
    again = client.post(f"{partner.path}/neuer-link", data={"t": partner.token, "csrf": partner.csrf()})
    assert again.status_code == 200 and len(webhook.received) == 1  # at most one fresh link an hour


def test_a_fresh_link_is_not_sent_for_a_tampered_or_still_valid_link(
    world: World, client: Any, webhook: WebhookSink, tmp_path: Path
) -> None:
    partner = Partner(world, client, "analysis", minted=world.app.now() - dt.timedelta(days=20))
    _reachable_at(world, partner.contact_id, webhook.url)
    world.app.notifier = AppriseNotifier(tmp_path / "postfach")
    csrf = partner.csrf()
    payload, mac = partner.token.split(".")
    forged = f"{payload}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
    refused = client.post(f"{partner.path}/neuer-link", data={"t": forged, "csrf": csrf})
    assert refused.status_code == 400  # the CSRF value is bound to the link
    valid = Partner(world, client, "analysis")
    kept = client.post(f"{valid.path}/neuer-link", data={"t": valid.token, "csrf": valid.csrf()},
                       follow_redirects=False)
    assert kept.status_code == 303 and "noch+g%C3%BCltig" in kept.headers["location"]
    assert webhook.received == []
    with world.app.uow() as uow:
        assert uow.session.exec(select(AuditEvent).where(AuditEvent.entity == "link")).all() == []


def test_a_partner_link_into_a_pending_or_waived_stage_is_refused_with_the_reason_and_stores_nothing(
    world: World, client: Any
) -> None:
    from verbund.services.stages.lifecycle import waive_stage

    partner = Partner(world, client, "potentials")
    pending = _notice(partner.post(was="potenzial", area="communication", title="Zu früh", description=""))
    assert "fehler=" in pending and "noch+nicht+er%C3%B6ffnet" in pending
    open_stage(world.app, partner.network, "potentials", world.app.now())
    waive_stage(world.app, partner.network, "potentials", reason="Potenziale aus dem Vorjahr", by="po@example.org")
    waived = _notice(partner.post(was="potenzial", area="communication", title="Zu spät", description=""))
    assert "fehler=" in waived and "verzichtet" in waived
    with world.app.uow() as uow:
        assert uow.session.exec(select(Potential)).all() == []


def test_a_replayed_objection_is_stored_once_and_the_partner_is_told_so(world: World, client: Any) -> None:
    partner = Partner(world, client, "protocol")
    open_stage(world.app, partner.network, "protocol", world.app.now())
    draft_protocol(world.app, partner.network, body="Protokoll der Beratung", by="koord@example.org")
    circulate_protocol(world.app, partner.network, objection_business_days=5, by="koord@example.org")
    notices = [_notice(partner.post(was="einspruch", text="Unsere Anwesenheit fehlt.")) for _ in range(3)]
    assert "fehler=" not in notices[0] and all("bereits+erfasst" in n for n in notices[1:])
    with world.app.uow() as uow:
        assert len(uow.session.exec(select(ProtocolObjection)).all()) == 1


def test_twenty_deputy_forms_leave_one_active_deputy(world: World, client: Any) -> None:
    partner = Partner(world, client, "analysis")
    for number in range(20):
        _notice(partner.post(was="vertretung", name=f"Vertretung {number}", email=f"v{number}@schule.example"))
    with world.app.uow() as uow:
        deputies = uow.session.exec(select(Contact).where(Contact.organisation_id == partner.organisation_id(),
                                                          col(Contact.email).like("v%@schule.example"))).all()
        links = uow.session.exec(select(StageDeputy).where(col(StageDeputy.ended_at).is_(None))).all()
    assert [d.email for d in deputies if d.active] == ["v19@schule.example"]
    assert [link.deputy_id for link in links] == [next(d.id for d in deputies if d.active)]
