"""Every partner message carries a signed link for its recipient; the link opens that contact's page.

Messages travel through apprise to a real JSON webhook on loopback; the link is taken from the
received text and opened in the dashboard (TestClient over the real app and database).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import col, select

from verbund.dashboard import create_app
from verbund.domain.models import Contact, Organisation
from verbund.domain.outbox import OutboxItem
from verbund.notifications import AppriseNotifier
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN, ManualClock
from verbund.services.app.notification_settings import NotificationSettings
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.links import message_link
from verbund.services.messaging.outbox import sweep
from verbund.services.stages.lifecycle import reconcile_stage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from notify_sinks import Received, WebhookSink
from tests_support_stages import open_stage

with warnings.catch_warnings():  # starlette asks for httpx2 at import; the client works with httpx
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"
LINK = re.compile(r"https?://\S+/eingabe/\S+")


@pytest.fixture
def webhook() -> Iterator[WebhookSink]:
    sink = WebhookSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def region_app(app: App, tmp_path: Path, webhook: WebhookSink) -> App:
    """The sample region, analysis of one network open, every contact reachable at the webhook."""
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    with app.uow(write=True) as uow:
        for contact in uow.session.exec(select(Contact)).all():
            contact.channels = [webhook.url]
            uow.session.add(contact)
        uow.commit()
    app.notifier = AppriseNotifier(tmp_path / "postfach")
    app.notification_settings = NotificationSettings(send_concurrency=2, public_url="http://testserver")
    return app


def _recipient(app: App, message: Received) -> tuple[str, str]:
    """(contact name, organisation name) of a received message, found through its outbox keys."""
    with app.uow() as uow:
        contact_ids = set(uow.session.exec(select(OutboxItem.contact_id)
                                           .where(col(OutboxItem.key).in_(message.keys))).all())
        assert len(contact_ids) == 1, message.keys
        contact = uow.session.get(Contact, contact_ids.pop())
        assert contact is not None
        org = uow.session.get(Organisation, contact.organisation_id)
        assert org is not None
        return contact.name, org.name


def _path(url: str) -> str:
    return url.split("http://testserver", 1)[1]


def _tampered(path: str) -> str:
    head, token = path.split("?t=")
    payload, mac = token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    return f"{head}?t={flipped}.{mac}"


def test_the_link_in_a_received_message_opens_the_page_of_its_recipient_and_a_tampered_one_does_not(
    region_app: App, webhook: WebhookSink
) -> None:
    report = sweep(region_app, START)
    assert report.sent > 20 and len(webhook.received) == report.messages
    with TestClient(create_app(region_app), base_url="http://testserver") as client:
        opened = set()
        for message in webhook.received[:6]:
            links = LINK.findall(message.payload["message"])
            assert len(links) == 1, message.payload["message"]
            assert f"/eingabe/{NETWORK}/analysis?t=" in links[0]
            name, organisation = _recipient(region_app, message)
            page = client.get(_path(links[0]))
            assert page.status_code == 200, page.text
            assert name in page.text and organisation in page.text
            assert 'id="submit-analysis"' in page.text
            opened.add(links[0])
            refused = client.get(_tampered(_path(links[0])))
            assert refused.status_code == 403
            assert "Dieser Link ist ungültig" in refused.text and name not in refused.text
        assert len(opened) == 6  # every recipient has a link of their own


def test_a_received_link_does_not_open_another_stage_or_network(region_app: App, webhook: WebhookSink) -> None:
    sweep(region_app, START)
    link = _path(LINK.findall(webhook.received[0].payload["message"])[0])
    token = link.split("?t=")[1]
    with TestClient(create_app(region_app), base_url="http://testserver") as client:
        for elsewhere in (f"/eingabe/{NETWORK}/potentials?t={token}", f"/eingabe/kv-auental-sued/analysis?t={token}"):
            page = client.get(elsewhere)
            assert page.status_code == 403 and "Dieser Link ist ungültig" in page.text


def test_the_link_of_a_message_expires_and_then_offers_a_fresh_one(
    region_app: App, webhook: WebhookSink, clock: ManualClock
) -> None:
    sweep(region_app, START)
    message = webhook.received[0]
    link = _path(LINK.findall(message.payload["message"])[0])
    name, _organisation = _recipient(region_app, message)
    clock.advance(dt.timedelta(days=15))
    with TestClient(create_app(region_app), base_url="http://testserver") as client:
        page = client.get(link)
    assert page.status_code == 410
    assert "abgelaufen" in page.text and "Neuen Link an mich senden" in page.text and name not in page.text


def test_a_stage_without_partner_input_gets_an_information_link_that_accepts_no_input(region_app: App) -> None:
    with region_app.uow() as uow:
        contact_id: uuid.UUID | None = uow.session.exec(select(Contact.id).join(Organisation)
                                                 .where(Organisation.kind == "youth_welfare")).first()
    assert contact_id is not None
    url = message_link(region_app, contact_id, NETWORK, "goals", START)
    with TestClient(create_app(region_app), base_url="http://testserver") as client:
        page = client.get(_path(url))
        assert page.status_code == 200 and "Stand und Benachrichtigung" in page.text
        assert "keine Eingabe von Ihnen nötig" in page.text and "<textarea" not in page.text.split("Vertretung")[0]
        token = _path(url).split("?t=")[1]
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        refused = client.post(f"/eingabe/{NETWORK}/goals", data={"t": token, "csrf": csrf, "was": "analyse",
                                                                  "text-conditions": "x"})
    assert refused.status_code == 403 and "gilt nur für" in refused.text


def test_a_circulated_draft_links_the_objection_form_and_the_published_protocol_an_information_page(
    region_app: App, webhook: WebhookSink, clock: ManualClock
) -> None:
    from verbund.services.inputs.protocol import approve_protocol, circulate_protocol, draft_protocol, publish_protocol

    open_stage(region_app, NETWORK, "protocol", START)  # input follows the stage: the protocol must be open
    sweep(region_app, START)
    webhook.received.clear()
    draft_protocol(region_app, NETWORK, body="Beschlüsse der Beratung: 1. Wir kooperieren.", by="k@example.org",
                   at=START)
    circulate_protocol(region_app, NETWORK, objection_business_days=1, by="k@example.org", at=START)
    sweep(region_app, START + dt.timedelta(days=1))
    circulated = [link for m in webhook.received for link in LINK.findall(m.payload["message"]) if "/protocol?" in link]
    later = START + dt.timedelta(days=3)
    clock.set(later)
    approve_protocol(region_app, NETWORK, by="po@example.org", at=later)
    publish_protocol(region_app, NETWORK, by="k@example.org", at=later + dt.timedelta(hours=1))
    webhook.received.clear()
    sweep(region_app, later + dt.timedelta(hours=2))
    published = [link for m in webhook.received for link in LINK.findall(m.payload["message"]) if "/protocol?" in link]
    assert len(circulated) > 20 and len(published) > 20
    with TestClient(create_app(region_app), base_url="http://testserver") as client:
        objection = client.get(_path(circulated[0]))
        info = client.get(_path(published[0]))
    assert objection.status_code == 200 and "Einspruch senden" in objection.text
    assert info.status_code == 200 and "Wir kooperieren." in info.text and "Einspruch senden" not in info.text
