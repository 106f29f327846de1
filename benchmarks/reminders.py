"""Benchmark: a reminder sweep over 40,000 contacts, sent to a loopback webhook sink in its own process.

Set-up (not timed): one Saxon region with 400 networks of 100 partner organisations, one contact
each whose channel is ``json://127.0.0.1:PORT/`` of the sink; every network's analysis stage is
open, due on Tuesday 29.10.2019, and its "stage opened" messages went out weeks ago (40,000 rows
already in the outbox). The sweep runs on Monday 28.10.2019, 09:00: one business day before the due
date, so every contact is due the 1-day reminder.

Figures (last line):
- ``sweep_plan_s``: deciding what is due (``services.messaging.reminders.plan(dry_run=True)``: read the
  domain state, compute every item and its key, compare with the outbox); no writing, no sending.
  Target < 1 s. ``plan_store_s``: the same plus inserting the 40,000 new rows and committing.
- ``deliveries_per_s``: messages per second of ``services.messaging.outbox.send_due`` (claim, render the
  German text, send through apprise, mark sent) at ``VERBUND_SEND_CONCURRENCY`` threads.
- ``bare_apprise_per_s``: apprise alone sending the same messages (the same subjects, bodies and
  URLs with the key headers) to the same sink with the same strategy (a thread pool of the same
  size, one ``Apprise`` object per message), measured in the same run: half before and half after
  ours, so that drift of the shared machine hits both alike.
- ``ratio``: our time per message ÷ bare apprise's. Target ≤ 1.3.
The sink counts what it receives; the benchmark checks every key arrived exactly once.

``BENCH_CONTACTS`` changes the size (default 40000). The database is a fresh SQLite file by
default; ``--postgres`` (or ``VERBUND_DATABASE_URL=postgresql+psycopg://…``) runs on PostgreSQL
(default server 127.0.0.1:5432, user postgres): the benchmark creates a scratch database on that
server and drops it afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "40000"))
PER_NETWORK = 100
BERLIN = ZoneInfo("Europe/Berlin")
OPENED = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
DUE = dt.date(2019, 10, 29)
NOW = dt.datetime(2019, 10, 28, 9, 0, tzinfo=BERLIN)
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# --- the sink (its own process) -------------------------------------------------------------------


def serve_sink() -> None:
    """Answer every POST with 200 and count requests and keys; ``GET /`` returns the counts."""
    import threading

    counts = {"requests": 0, "keys": 0}
    seen: set[str] = set()
    repeats = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            keys = [k for k in self.headers.get("X-Verbund-Key", "").split(",") if k]
            with lock:
                counts["requests"] += 1
                counts["keys"] += len(keys)
                repeats[0] += sum(1 for k in keys if k in seen)
                seen.update(keys)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                body = json.dumps(counts | {"distinct": len(seen), "repeats": repeats[0]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


def _sink_counts(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
        return dict(json.loads(answer.read()))


# --- the data ---------------------------------------------------------------------------------------


def _build(database_url: str, channel: str) -> Any:
    """The region, networks, organisations, contacts and memberships; the analysis stage open."""
    from sqlalchemy import insert, update
    from sqlmodel import col

    from verbund.domain.models import Contact, Membership, Network, Organisation, Region
    from verbund.domain.outbox import OutboxItem, OutboxStatus
    from verbund.domain.stages import StageRun
    from verbund.notifications import AppriseNotifier
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.notification_settings import NotificationSettings
    from verbund.services.app.settings import Settings
    from verbund.services.messaging.reminders import plan

    app = bootstrap(Settings(database_url=database_url), notifier=AppriseNotifier(Path(tempfile.gettempdir())))
    app.notification_settings = NotificationSettings()
    region_id = uuid.uuid4()
    networks, runs, organisations, contacts, memberships = [], [], [], [], []
    stages = ("analysis", "potentials", "goals", "consultation", "protocol")
    for n in range(max(1, CONTACTS // PER_NETWORK)):
        network_id = uuid.uuid4()
        networks.append({"id": network_id, "slug": f"kv-bench-{n:04d}", "name": f"Kooperationsverbund Bench {n}",
                         "region_id": region_id, "template": "sachsen-inklusion", "created_at": OPENED})
        for position, stage in enumerate(stages):
            opened = stage == "analysis"
            runs.append({"id": uuid.uuid4(), "network_id": network_id, "stage": stage, "cycle": 1,
                         "position": position, "state": "open" if opened else "pending",
                         "due": DUE if opened else None, "opened_at": OPENED if opened else None, "version": 0})
        for m in range(PER_NETWORK):
            org_id = uuid.uuid4()
            kind = "public_school" if m % 2 else "youth_welfare"
            organisations.append({"id": org_id, "source": "bench", "source_id": f"{n}-{m}", "kind": kind,
                                  "name": f"Einrichtung {n}-{m}", "region_id": region_id, "school_types": [],
                                  "special_needs": [], "in_scope": True})
            contacts.append({"id": uuid.uuid4(), "organisation_id": org_id, "name": f"Ansprechperson {n}-{m}",
                             "email": f"p{n}-{m}@example.org", "channels": [channel], "active": True})
            memberships.append({"id": uuid.uuid4(), "network_id": network_id, "organisation_id": org_id,
                                "role": "member", "valid_from": OPENED, "exclusive": False})
    with app.uow(write=True) as uow:
        session = uow.session
        session.execute(insert(Region), [{"id": region_id, "slug": "sn-bench", "name": "Bench", "state": "SN"}])
        for table, rows in ((Network, networks), (StageRun, runs), (Organisation, organisations),
                            (Contact, contacts), (Membership, memberships)):
            session.execute(insert(table), rows)
        uow.commit()
    plan(app, OPENED)  # the "stage opened" messages of weeks ago ...
    with app.uow(write=True) as uow:  # ... went out then
        uow.session.execute(update(OutboxItem).where(col(OutboxItem.status) == OutboxStatus.pending)
                            .values(status=OutboxStatus.sent, sent_at=OPENED, attempts=1))
        uow.commit()
    return app


@contextmanager
def _database(folder: Path) -> Iterator[str]:
    """A fresh SQLite file, or a scratch database on the PostgreSQL server (``--postgres`` or
    ``VERBUND_DATABASE_URL``), dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    wanted = os.environ.get("VERBUND_DATABASE_URL") or (POSTGRES if "--postgres" in sys.argv[1:] else "")
    if not wanted or make_url(wanted).get_backend_name() == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    server = make_url(wanted)
    name = f"verbund_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the measurements ---------------------------------------------------------------------------------


def _bare_message(message: Any) -> tuple[str, str, str]:
    """What bare apprise sends for one of our messages: the same URL with the key headers, title, body."""
    channel = message.channels[0]
    keys = ",".join(f"bare-{key}" for key in message.keys)  # own keys: the sink checks that none repeats
    url = f"{channel}?+X-Verbund-Key={keys}&+X-Verbund-Delivery={message.delivery}"
    return url, message.subject, message.body


def _bare_send(item: tuple[str, str, str], asset: Any) -> bool:
    import apprise

    url, title, body = item
    sender = apprise.Apprise(asset=asset)
    sender.add(url)
    return bool(sender.notify(body=body, title=title, body_format="text"))


def _bare(messages: list[tuple[str, str, str]], threads: int) -> float:
    import apprise

    asset = apprise.AppriseAsset(async_mode=False)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda item: _bare_send(item, asset), messages))
    elapsed = time.perf_counter() - began
    if not all(results):
        raise SystemExit(f"bare apprise: {results.count(False)} Nachrichten nicht zugestellt")
    return elapsed


def main() -> None:
    from sqlalchemy import select

    from verbund.domain.outbox import OutboxStatus
    from verbund.services.messaging.outbox import _ITEM_COLUMNS, TABLE, _Delivery, _Item, compose, send_due
    from verbund.services.messaging.reminders import plan

    sink = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        port = int(sink.stdout.readline())
        channel = f"json://127.0.0.1:{port}/"
        with tempfile.TemporaryDirectory() as folder, _database(Path(folder)) as database_url:
            began = time.perf_counter()
            app = _build(database_url, channel)
            database = app.engine.dialect.name
            print(f"Aufbau: {CONTACTS} Ansprechpersonen in {time.perf_counter() - began:.1f} s", flush=True)

            began = time.perf_counter()
            decided = plan(app, NOW, dry_run=True)
            sweep_plan_s = time.perf_counter() - began
            began = time.perf_counter()
            report = plan(app, NOW)
            plan_store_s = time.perf_counter() - began
            if report.planned != CONTACTS or decided.planned != CONTACTS:
                raise SystemExit(f"geplant {decided.planned}/{report.planned}, erwartet {CONTACTS}")
            print(f"Planung: {report.planned} Erinnerungen entschieden in {sweep_plan_s:.3f} s, "
                  f"entschieden und gespeichert in {plan_store_s:.3f} s", flush=True)

            # The same messages for bare apprise: composed from the planned rows (not timed).
            with app.engine.connect() as connection:
                rows = [_Item(*row) for row in connection.execute(
                    select(*_ITEM_COLUMNS).where(TABLE.c.status == OutboxStatus.pending))]
                bare = [_bare_message(compose(_Delivery(f"bare-{row.key}", row.contact_id, "x", (channel,), [row]),
                                              NOW)) for row in rows]
            threads = app.notification_settings.send_concurrency
            half = len(bare) // 2
            bare_s = _bare(bare[:half], threads)
            print(f"apprise allein (1. Hälfte): {half / bare_s:.0f}/s", flush=True)

            began = time.perf_counter()
            sent = send_due(app, NOW)
            ours_s = time.perf_counter() - began
            print(f"verbund (claim, send, mark): {sent.sent / ours_s:.0f}/s, {sent.messages} Nachrichten", flush=True)

            bare_s += _bare(bare[half:], threads)
            counts = _sink_counts(port)
            app.engine.dispose()
        if sent.sent != CONTACTS or sent.messages != CONTACTS or sent.failed or sent.retrying:
            raise SystemExit(f"gesendet {sent.sent}, Nachrichten {sent.messages}, Fehler {sent.failed}/{sent.retrying}")
        if counts["requests"] != 2 * CONTACTS or counts["distinct"] != 2 * CONTACTS or counts["repeats"]:
            raise SystemExit(f"Senke: {counts}, erwartet {2 * CONTACTS} verschiedene Schlüssel ohne Wiederholung")
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    ours_per_message = ours_s / sent.messages
    bare_per_message = bare_s / len(bare)
    print(f"contacts={CONTACTS} sweep_plan_s={sweep_plan_s:.3f} plan_store_s={plan_store_s:.3f} "
          f"deliveries_per_s={1 / ours_per_message:.0f} "
          f"bare_apprise_per_s={1 / bare_per_message:.0f} ratio={ours_per_message / bare_per_message:.3f} "
          f"threads={threads} db={database}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--sink"]:
        serve_sink()
    elif set(sys.argv[1:]) - {"--postgres"}:
        raise SystemExit("Aufruf: python benchmarks/reminders.py [--postgres]")
    else:
        main()
