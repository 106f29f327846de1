"""The local Prefect server's database holds no person: ``verbund serve --demo`` runs the demo's flows
against serve's persistent Prefect server (its SQLite file ``verbund.prefect.db``), a contact is
forgotten, and a byte scan of that file (and its WAL) finds no name, address or channel of any
contact, while it does find what flows carry (network slugs, run names). Run logs are shipped to the
server here (``PREFECT_LOGGING_TO_API_ENABLED``, as in scale-out), so they are scanned too.

Subprocesses on a busy machine: every wait is on a condition, bounded generously."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
from support_cli import clean_env
from test_local_prefect import BOUND, VERBUND, _healthy, free_port, wait_for

pytestmark = pytest.mark.slow
OFFICER = "datenschutz@example.org"


def _contacts(db: Path) -> list[tuple[str, str, str | None, list[str]]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT id, name, email, channels FROM contact ORDER BY name").fetchall()
    return [(str(uuid.UUID(cid)), name, email, json.loads(channels)) for cid, name, email, channels in rows]


def _prefect_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.glob("verbund.prefect.db*")))


def test_no_contact_is_in_the_local_prefect_database_before_or_after_forget(tmp_path: Path) -> None:
    db = tmp_path / "verbund.db"
    env = clean_env(VERBUND_DATABASE_URL=f"sqlite:///{db}", PREFECT_HOME=str(tmp_path / "ph"), COLUMNS="200",
                    PREFECT_LOGGING_TO_API_ENABLED="true")  # run logs too (scale-out ships them)
    port = free_port()
    with (tmp_path / "serve.log").open("wb") as log:
        serve = subprocess.Popen([VERBUND, "serve", "--port", str(port), "--no-sweep", "--demo"], env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: _healthy(f"http://127.0.0.1:{port}/healthz") or serve.poll() is not None,
                     "the demo ran and the dashboard is up")
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            contacts = _contacts(db)
            erased = next(c for c in contacts if c[2] and c[3] and sum(o[1] == c[1] for o in contacts) == 1)
            added = subprocess.run([VERBUND, "user", "add", "--email", OFFICER, "--role", "ministry",
                                    "--password-stdin"], input="ein-langes-passwort-42\n", env=env,
                                   capture_output=True, text=True, timeout=BOUND)
            assert added.returncode == 0, added.stderr
            forgot = subprocess.run([VERBUND, "privacy", "forget", "--contact", erased[0], "--reason",
                                     f"Antrag von {erased[1]}", "--by", OFFICER, "--json"], env=env,
                                    capture_output=True, text=True, timeout=BOUND)
            assert forgot.returncode == 0, forgot.stderr
            reminded = subprocess.run([VERBUND, "remind", "--json"], env=env, capture_output=True, text=True,
                                      timeout=BOUND)  # one more flow run after the erasure
            assert reminded.returncode == 0, reminded.stderr
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=BOUND)
    with sqlite3.connect(tmp_path / "verbund.prefect.db") as connection:
        runs = dict(connection.execute("SELECT name, state_name FROM flow_run").fetchall())
        logs = connection.execute("SELECT count(*) FROM log").fetchone()[0]
    assert len(runs) >= 20 and any(name.startswith("reminders") for name in runs), sorted(runs)[:10]
    assert logs > 0
    raw = _prefect_bytes(tmp_path)
    assert b"kv-auental-nord" in raw and "analysis · kv-auental-nord".encode() in raw  # the scan sees text
    found = []
    for cid, name, email, channels in contacts:
        for needle in (name, email, *channels):
            if needle and (needle.encode() in raw or json.dumps(needle)[1:-1].encode() in raw):
                found.append((cid == erased[0], needle))
    assert found == [], found
