"""3 and 5 `verbund remind` runs at once on one PostgreSQL database: all succeed, every due message
is delivered exactly once (0 duplicates, 0 lost) to a real webhook on loopback.

Each run is the real command in its own process, with its own ephemeral Prefect server (the
embedded default), as an operator's cron or two terminals would start them. Their start-ups take
seconds each, so to make them meet the test holds a lock on the outbox table until every run
waits for the outbox, then lets them all go at once (without the fix: duplicate-key failures).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from notify_sinks import WebhookSink
from sqlmodel import select
from support_cli import clean_env

from verbund.domain.models import Contact
from verbund.domain.outbox import OutboxItem
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region
from verbund.services.stages.lifecycle import reconcile_stage

pytestmark = [pytest.mark.slow, pytest.mark.postgres]  # long: several commands, each with a Prefect server

VERBUND = str(Path(sys.executable).with_name("verbund"))
BOUND = 900  # seconds for all runs together; CI is a busy 2-core machine
START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
AT = START + dt.timedelta(hours=1)


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    webhook = WebhookSink(delay=0.01).start()
    yield webhook
    webhook.stop()


def _world(database_url: str, url: str) -> None:
    """The sample region with every network's analysis open; every contact reachable only by the webhook."""
    app = bootstrap(Settings(database_url=database_url))
    sample = build_sample_region(app, at=START)
    for network in sample.networks:
        reconcile_stage(app, network, "analysis", START)
    with app.uow(write=True) as uow:
        for contact in uow.session.exec(select(Contact)).all():
            contact.channels, contact.email = [url], None
            uow.session.add(contact)
        uow.commit()
    app.engine.dispose()


def _remind(env: dict[str, str], *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen([VERBUND, "remind", "--json", *options], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_until_waiting(watch: psycopg.Connection, processes: list[subprocess.Popen[str]]) -> None:
    """Until every run's session waits for a lock (the outbox's, or the one that serialises sweeps);
    ``watch`` is in autocommit (a transaction would see one snapshot of pg_stat_activity)."""
    deadline = time.monotonic() + BOUND
    while True:
        waiting = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock'").fetchone()
        if waiting is not None and waiting[0] >= len(processes):
            return
        finished = [process.args for process in processes if process.poll() is not None]
        assert not finished and time.monotonic() < deadline, (finished, waiting)
        time.sleep(0.1)


@pytest.mark.parametrize("runs", [3, 5])
def test_concurrent_remind_runs_on_postgresql_all_succeed_and_deliver_each_due_message_once(
    runs: int, pg_database_url: str, sink: WebhookSink, tmp_path: Path
) -> None:
    _world(pg_database_url, sink.url)
    env = clean_env(VERBUND_DATABASE_URL=pg_database_url, VERBUND_NOW=AT.isoformat(),
                    PREFECT_HOME=str(tmp_path / "prefect"))
    probe = _remind(env, "--dry-run")
    out, err = probe.communicate(timeout=BOUND)
    assert probe.returncode == 0, err[-2000:]
    due = json.loads(out)["planned"]
    assert due > 80, due

    conninfo = pg_database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as gate, psycopg.connect(conninfo, autocommit=True) as watch:
        gate.execute("LOCK TABLE outboxitem IN ACCESS EXCLUSIVE MODE")  # until every run waits for it
        processes = [_remind(env) for _ in range(runs)]
        _wait_until_waiting(watch, processes)
    results = [process.communicate(timeout=BOUND) for process in processes]
    assert [process.returncode for process in processes] == [0] * runs, [err[-1500:] for _out, err in results]
    reports = [json.loads(out) for out, _err in results]
    assert sum(report["planned"] for report in reports) == due  # planned once, by whichever run came first
    assert sum(report["failed"] for report in reports) == 0

    delivered = collections.Counter(key for item in sink.received for key in item.keys)
    app = bootstrap(Settings(database_url=pg_database_url), migrate_database=False)
    with app.uow() as uow:
        stored = {key: status for key, status in uow.session.exec(select(OutboxItem.key, OutboxItem.status)).all()}
    app.engine.dispose()
    assert len(stored) == due
    duplicates = {key: count for key, count in delivered.items() if count > 1}
    lost = set(stored) - set(delivered)
    assert (duplicates, lost) == ({}, set())
    assert set(delivered) == set(stored)
    assert set(stored.values()) == {"sent"}
    assert sum(report["sent"] for report in reports) == due
