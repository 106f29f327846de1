"""One mail sender for the installation (``VERBUND_MAIL_URL``): every message to a contact's e-mail
address goes through it, to a real SMTP server (aiosmtpd) on loopback; ``local://`` is the default;
the sender's credentials appear nowhere else."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from notify_sinks import SmtpSink, free_port
from pydantic import SecretStr
from sqlmodel import select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Contact, Membership, Network
from verbund.notifications import AppriseNotifier, read_mailbox
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.app.notification_settings import NotificationSettings
from verbund.services.demo.sample import build_sample_region
from verbund.services.messaging.mail import delivery_channels, mail_channel
from verbund.services.messaging.outbox import outbox_messages, sweep
from verbund.services.stages.lifecycle import reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"


def test_the_mail_channel_adds_the_recipient_to_the_sender_url_and_keeps_the_rest() -> None:
    sender = "mailtos://verbund:Geheim-42@smtp.example.org:587?from=verbund@example.org&to=alt@example.org"
    channel = mail_channel(sender, "anke.mueller@schule.example")
    assert channel == ("mailtos://verbund:Geheim-42@smtp.example.org:587?from=verbund@example.org"
                       "&to=anke.mueller@schule.example")
    assert mail_channel("local://", "Anke.Mueller@Schule.example") == "local://anke.mueller"
    assert delivery_channels("local://", "a@x.org", ["local://a", "json://h.example.org/"]) == (
        "local://a", "json://h.example.org/")
    assert delivery_channels("local://", None, ["json://h.example.org/"]) == ("json://h.example.org/",)
    with pytest.raises(InvalidInput) as refused:
        mail_channel("json://user:pw@hook.example.org/", "a@x.org")
    assert "VERBUND_MAIL_URL" in str(refused.value) and "pw" not in str(refused.value)


@pytest.fixture
def region_app(app: App, tmp_path: Path) -> App:
    """The sample region, analysis open in one network, contacts with an e-mail address and no channel."""
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    with app.uow(write=True) as uow:
        for contact in uow.session.exec(select(Contact)).all():
            contact.channels = []
            uow.session.add(contact)
        uow.commit()
    app.notifier = AppriseNotifier(tmp_path / "postfach")
    return app


def _network_addresses(app: App) -> set[str]:
    with app.uow(write=True) as uow:
        rows = uow.session.exec(select(Contact.email).join(Membership, Membership.organisation_id ==
                                                            Contact.organisation_id)
                                .join(Network, Network.id == Membership.network_id)
                                .where(Network.slug == NETWORK, Contact.active == True)).all()  # noqa: E712
    return {email for email in rows if email}


def test_every_contact_of_the_network_gets_the_stage_opened_mail_through_the_sender(region_app: App) -> None:
    smtp = SmtpSink().start()
    region_app.notification_settings = NotificationSettings(
        mail_url=SecretStr(f"mailto://127.0.0.1:{smtp.port}?from=verbund@example.org&mode=insecure"))
    try:
        report = sweep(region_app, START)
    finally:
        smtp.stop()
    recipients = {str(message["To"]) for message in smtp.messages}
    assert report.sent > 20 and report.failed == 0
    assert _network_addresses(region_app) <= recipients
    assert {str(message["From"]) for message in smtp.messages} == {"verbund@example.org"}


def test_the_default_sender_delivers_into_the_local_mailbox_per_address(region_app: App, tmp_path: Path) -> None:
    report = sweep(region_app, START)
    assert report.sent > 20
    folders = {path.name for path in (tmp_path / "postfach").iterdir()}
    assert {email.split("@")[0] for email in _network_addresses(region_app)} <= folders
    some = sorted(folders)[0]
    assert read_mailbox(tmp_path / "postfach", some)


def test_the_senders_credentials_appear_in_no_outbox_row_or_log(region_app: App,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    region_app.notification_settings = NotificationSettings(mail_url=SecretStr(
        f"mailto://verbund:Sehr-Geheim-99@127.0.0.1:{free_port()}?from=verbund@example.org&mode=insecure"))
    with caplog.at_level(logging.DEBUG):
        report = sweep(region_app, START)
    rows = outbox_messages(region_app)["messages"]
    assert report.sent == 0 and report.retrying > 20
    text = json.dumps(rows) + caplog.text + repr(region_app.notification_settings)
    assert "Sehr-Geheim-99" not in text and "verbund:" not in json.dumps(rows)
