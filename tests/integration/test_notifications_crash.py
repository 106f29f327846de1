"""A sweep killed with SIGKILL at 20 random points and run again: nothing lost, at most the in-flight repeated."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from notify_sinks import WebhookSink
from sqlmodel import select

from verbund.domain.models import Contact
from verbund.domain.outbox import OutboxItem, OutboxStatus
from verbund.services.app.bootstrap import App, bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.messaging.reminders import plan
from verbund.services.stages.lifecycle import reconcile_stage

pytestmark = pytest.mark.slow  # long: a crash series: sweeps killed at twenty points

SCRIPT = Path(__file__).with_name("notify_crash_sweep.py")
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
AT = START + dt.timedelta(hours=1)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    webhook = WebhookSink(delay=0.03).start()
    yield webhook
    webhook.stop()


def _prepare(app: App, url: str) -> set[str]:
    sample = build_sample_region(app, at=START)
    for network in sample.networks:
        reconcile_stage(app, network, "analysis", START)
    with app.uow(write=True) as uow:
        for contact in uow.session.exec(select(Contact)).all():
            contact.channels, contact.email = [url], None  # only the webhook (no mail through the sender)
            uow.session.add(contact)
        uow.commit()
    plan(app, AT)
    with app.uow() as uow:
        return set(uow.session.exec(select(OutboxItem.key).where(OutboxItem.status == OutboxStatus.pending)).all())


def _claimed(database: Path) -> set[str]:
    """Keys of the outbox items claimed but not marked sent (in flight when a sweep was killed)."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        return {row[0] for row in connection.execute("SELECT key FROM outboxitem WHERE status = 'claimed'")}


def _sweep(database_url: str, mailbox: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(SCRIPT), database_url, str(mailbox), AT.isoformat()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_sweep_killed_at_twenty_points_and_run_again_loses_nothing_and_repeats_at_most_once(
    tmp_path: Path, sink: WebhookSink
) -> None:
    database_url = f"sqlite:///{tmp_path / 'crash.db'}"
    app = bootstrap(Settings(database_url=database_url))
    due = _prepare(app, sink.url)
    app.engine.dispose()
    assert len(due) > 80
    chance = random.Random(20191102)
    killed_while_sending = 0
    in_flight: collections.Counter[str] = collections.Counter()  # key → kills it was in flight at
    for _ in range(20):
        before = len(sink.received)
        process = _sweep(database_url, tmp_path / "postfach")
        # Kill once the sweep is sending, at a random point inside a send: waiting on the sink, not on
        # the clock, so a slow start-up cannot make the kills miss the sending. A restarted sweep first
        # repeats what the last one had in flight (one message per sender, 2 senders); the kill comes
        # after those repeats, so each of the 20 kills hits a new point of the sending.
        target = before + 4 + chance.randint(0, 2)
        deadline = time.monotonic() + 90
        while len(sink.received) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(chance.uniform(0.0, 0.04))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        killed_while_sending += process.returncode == -signal.SIGKILL and len(sink.received) > before
        in_flight.update(_claimed(tmp_path / "crash.db"))  # claimed, maybe sent, not marked: may repeat once
    final = _sweep(database_url, tmp_path / "postfach")
    _out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err[-2000:]
    counts = collections.Counter(key for item in sink.received for key in item.keys)
    assert set(counts) == due
    # A crash repeats at most what was in flight (one message per sender): a key is delivered once,
    # plus once for every kill it was in flight at (under load the same one can be, at two kills).
    assert all(count <= 1 + in_flight[key] for key, count in counts.items()), {
        key: (count, in_flight[key]) for key, count in counts.items() if count > 1 + in_flight[key]}
    assert any(in_flight.values())  # the kills did leave messages in flight, so the repeats were exercised
    assert killed_while_sending >= 5, killed_while_sending  # the kills did hit the sending, not only the start-up
    app = bootstrap(Settings(database_url=database_url), migrate_database=False)
    with app.uow() as uow:
        statuses = collections.Counter(uow.session.exec(select(OutboxItem.status)).all())
    app.engine.dispose()
    assert statuses == {OutboxStatus.sent: len(due)}
