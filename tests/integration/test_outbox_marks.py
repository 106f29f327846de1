"""Group-committed marks: whenever a message is sent, at most one earlier message per other sender is
sent but not yet marked ``sent`` — what a crash could repeat stays "the messages in flight"."""

from __future__ import annotations

import collections
import datetime as dt
import threading
import time

from sqlalchemy import Engine, create_engine, text
from sqlmodel import select

from verbund.domain.models import Contact
from verbund.domain.outbox import OutboxItem, OutboxStatus
from verbund.notifications import OutgoingMessage
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.notification_settings import NotificationSettings
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.messaging.outbox import send_due
from verbund.services.messaging.reminders import plan
from verbund.services.stages.lifecycle import reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)


class WatchingNotifier:
    """Before each send, counts the messages delivered earlier whose mark has not committed yet
    (read through its own connection, as a crash would find the database)."""

    def __init__(self, reader: Engine) -> None:
        self.reader = reader
        self.lock = threading.Lock()
        self.delivered: set[str] = set()
        self.unmarked: list[int] = []
        self.keys: list[str] = []

    def send(self, message: OutgoingMessage) -> None:
        with self.lock:
            delivered = set(self.delivered)
        with self.reader.connect() as connection:
            marked = set(connection.execute(
                text("SELECT DISTINCT delivery FROM outboxitem WHERE status = 'sent'")).scalars())
        time.sleep(0.004)  # the message on its way: the senders overlap
        with self.lock:
            self.unmarked.append(len(delivered - marked))
            self.delivered.add(message.delivery)
            self.keys.extend(message.keys)


def _check(database_url: str, senders: int) -> None:
    app: App = bootstrap(Settings(database_url=database_url))
    reader = create_engine(database_url)
    try:
        build_sample_region(app, at=START)
        reconcile_stage(app, "kv-auental-nord", "analysis", START)
        with app.uow(write=True) as uow:
            for contact in uow.session.exec(select(Contact)).all():
                contact.channels = ["json://127.0.0.1:9/"]
                uow.session.add(contact)
            uow.commit()
        at = START + dt.timedelta(hours=1)
        plan(app, at)
        with app.uow() as uow:
            due = set(uow.session.exec(select(OutboxItem.key).where(OutboxItem.status == OutboxStatus.pending)).all())
        notifier = WatchingNotifier(reader)
        app.notifier = notifier
        app.notification_settings = NotificationSettings(send_concurrency=senders)

        report = send_due(app, at)

        assert len(due) >= 3 * senders
        assert collections.Counter(notifier.keys) == collections.Counter(due)  # each exactly once
        assert max(notifier.unmarked) <= senders - 1, notifier.unmarked
        assert report.sent == len(due) and report.failed == 0
        with app.uow() as uow:
            statuses = collections.Counter(uow.session.exec(select(OutboxItem.status)).all())
        assert statuses[OutboxStatus.sent] >= len(due) and statuses[OutboxStatus.claimed] == 0
    finally:
        reader.dispose()
        app.engine.dispose()


def test_on_sqlite_at_most_one_unmarked_message_per_other_sender(database_url: str) -> None:
    _check(database_url, senders=4)


def test_on_postgresql_at_most_one_unmarked_message_per_other_sender(pg_database_url: str) -> None:
    _check(pg_database_url, senders=4)


def test_a_single_sender_sends_only_after_its_previous_mark_committed(database_url: str) -> None:
    _check(database_url, senders=1)
