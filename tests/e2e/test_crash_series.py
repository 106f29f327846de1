"""SIGKILL at random points, run again: the same end state as an uninterrupted run, no process left.

Three series, each against a reference run that was never interrupted:
- a one-network build-out (``verbund demo --network``), killed at 20 points chosen by progress in
  the database (audit and outbox rows), each re-run killed again further on, then run to the end;
- ``verbund demo`` (four networks, its own Prefect server) killed at 3 points the same way;
- ``verbund consultation hold`` killed right after its commit and before its stage flow: one
  ``verbund remind`` later the stage has moved on and no reminder or overdue notice was sent for the
  meeting that took place.
Compared: stage states, every audit row (without ids and wall-clock times), outbox keys with their
status. Kill points follow observable progress, never the clock alone. Bounded: the first series
runs on the session's Prefect API (no server start per run).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support_cli import clean_env

from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import BERLIN
from verbund.services.app.ports import NoTrigger
from verbund.services.app.settings import Settings

pytestmark = pytest.mark.slow  # long: three crash series of subprocess runs

VERBUND = str(Path(sys.executable).with_name("verbund"))
BOUND = 600  # seconds for one run to finish; CI is a busy 2-core machine
NETWORK = "kv-auental-nord"
PROCESS_OWNER = "po@example.org"
Snapshot = dict[str, Any]
PREFECT_SERVER = "prefect.server.api.server:create_app"
KILLED_CHILDREN: list[str] = []  # the command lines of what killed commands had started


# --- observing the database and the processes ---------------------------------------------------

def _query(database: Path, sql: str, *args: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(database, timeout=60)) as connection:
        return connection.execute(sql, args).fetchall()


def progress(database: Path) -> int:
    """Audit plus outbox rows: grows with every step of a build-out (0 before the tables exist)."""
    try:
        rows = _query(database, "SELECT (SELECT count(*) FROM auditevent) + (SELECT count(*) FROM outboxitem)")
        return int(rows[0][0])
    except sqlite3.Error:
        return 0


def snapshot(database: Path) -> Snapshot:
    """What must be identical after a crash and a re-run (no ids, no wall-clock times)."""
    stages = _query(database, "SELECT n.slug, s.stage, s.cycle, s.state, s.due, s.opened_at, s.ready_at, "
                              "s.completed_at, s.waived_at FROM stagerun s JOIN network n ON n.id = s.network_id "
                              "ORDER BY 1, 2, 3")
    audit = _query(database, "SELECT n.slug, a.stage, a.cycle, a.entity, a.action, a.from_state, a.to_state, a.at, "
                             "a.actor, a.reason FROM auditevent a LEFT JOIN network n ON n.id = a.network_id")
    # An outbox key hashes database ids (contact, stage run, …): compare what it is made of, by name.
    subjects: dict[str, str] = {}
    for table in ("consultation", "protocol"):
        for subject, slug in _query(database, f"SELECT t.id, n.slug FROM {table} t JOIN network n "
                                              "ON n.id = t.network_id"):
            subjects[str(subject).replace("-", "")] = f"{table}:{slug}"
    for subject, slug, stage, cycle in _query(database, "SELECT s.id, n.slug, s.stage, s.cycle FROM stagerun s "
                                                        "JOIN network n ON n.id = s.network_id"):
        subjects[str(subject).replace("-", "")] = f"stagerun:{slug}:{stage}:{cycle}"
    outbox = [(email, slug, stage, kind, due, subjects.get(subject.replace("-", ""), "anderes"), status)
              for email, slug, stage, kind, due, subject, status in _query(
                  database, "SELECT c.email, n.slug, o.stage, o.kind, o.due, o.subject, o.status FROM outboxitem o "
                            "JOIN contact c ON c.id = o.contact_id JOIN network n ON n.id = o.network_id")]
    pending = _query(database, "SELECT count(*) FROM pending_trigger")[0][0]
    return {"stages": stages, "audit": sorted(audit, key=repr), "outbox": sorted(outbox), "pending_triggers": pending}


def _processes() -> dict[int, tuple[int, int]]:
    """Every live process: pid → (parent, session), from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if fields[0] != "Z":
                    found[int(entry.name)] = (int(fields[1]), int(fields[3]))
    return found


def session_members(session: int) -> list[int]:
    """Live processes of a session (a killed command's children stay in its session)."""
    return [pid for pid, (_parent, sid) in _processes().items() if sid == session]


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (also one that left the session)."""
    children: dict[int, list[int]] = {}
    for child, (parent, _sid) in _processes().items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def wait_for(condition: Callable[[], object], what: str, bound: float = BOUND) -> None:
    deadline = time.monotonic() + bound
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {bound} s: {what}")
        time.sleep(0.1)


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child holds its own descriptor
        return subprocess.Popen([VERBUND, *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def kill_at(process: subprocess.Popen[bytes], database: Path, target: int, delay: float) -> bool:
    """SIGKILL once ``progress`` reaches ``target`` (plus ``delay``): True if it was still running.

    Afterwards nothing the command started may live on (its session is empty)."""
    deadline = time.monotonic() + BOUND
    while progress(database) < target and process.poll() is None:
        assert time.monotonic() < deadline, f"progress {progress(database)} never reached {target}"
        time.sleep(0.005)
    time.sleep(delay)
    running = process.poll() is None
    children = descendants(process.pid)
    KILLED_CHILDREN.extend(cmdline(pid) for pid in children)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=BOUND)
    wait_for(lambda: not session_members(process.pid) and not set(children) & set(_processes()),
             f"every process of the killed command {process.args} ended", bound=120)
    return running


def run_to_end(args: list[str], env: dict[str, str], log: Path) -> None:
    process = start(args, env, log)
    try:
        process.wait(timeout=BOUND)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, log.read_text(errors="replace")[-3000:]
    wait_for(lambda: not session_members(process.pid), "every process of the command ended", bound=120)


def after_the_lease(env: dict[str, str], database: Path, log: Path) -> None:
    """One ``verbund remind`` on the business day after the run's last domain instant, once the outbox
    lease has passed (the next scheduled sweep): it sends again what a kill left claimed, under the
    same keys (a contact gets one message a day, so the repeat waits for the next day)."""
    last = dt.datetime.fromisoformat(_query(database, "SELECT max(at) FROM auditevent")[0][0])
    day = last.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    now = dt.datetime.combine(day, dt.time(9, 0), tzinfo=BERLIN)
    run_to_end(["remind", "--json"], {**env, "VERBUND_NOW": now.isoformat(), "VERBUND_OUTBOX_LEASE_SECONDS": "0"},
               log)


def harness_env(api: str, database: Path, **extra: str) -> dict[str, str]:
    """A ``verbund`` command whose flows run in-process on the session's Prefect API."""
    return clean_env(VERBUND_DATABASE_URL=f"sqlite:///{database}", PREFECT_API_URL=api,
                     VERBUND_LOCAL_PREFECT_URL=api, VERBUND_EXECUTION="embedded", COLUMNS="200", **extra)


def assert_same(crashed: Snapshot, reference: Snapshot, *, statuses: bool = True) -> None:
    """Identical; without ``statuses`` an outbox item may still be claimed where the reference sent it
    (in flight at a kill: it is sent again once the lease has passed)."""
    if not statuses:
        assert sorted(row[:-1] for row in crashed["outbox"]) == sorted(row[:-1] for row in reference["outbox"])
        sent = {row[:-1] for row in reference["outbox"] if row[-1] == "sent"}
        assert all(row[-1] == "claimed" and row[:-1] in sent for row in crashed["outbox"]
                   if row not in reference["outbox"])
        crashed = {**crashed, "outbox": reference["outbox"]}
    for part in ("stages", "audit", "outbox", "pending_triggers"):
        missing = [row for row in reference[part] if row not in crashed[part]] if part != "pending_triggers" else []
        extra = [row for row in crashed[part] if row not in reference[part]] if part != "pending_triggers" else []
        assert crashed[part] == reference[part], (part, {"missing": missing[:10], "extra": extra[:10]})


# --- 1. a one-network build-out, 20 kills ---------------------------------------------------------

def test_a_one_network_build_out_killed_at_twenty_points_reaches_the_uninterrupted_end_state(
    prefect_api: str, tmp_path: Path
) -> None:
    args = ["demo", "--network", NETWORK]
    reference = tmp_path / "reference" / "verbund.db"
    reference.parent.mkdir()
    run_to_end(args, harness_env(prefect_api, reference), tmp_path / "reference.log")
    expected = snapshot(reference)
    assert [row[3] for row in expected["stages"] if row[0] == NETWORK] == ["completed"] * 5
    total = progress(reference)
    assert total > 300, total

    crashed = tmp_path / "crashed" / "verbund.db"
    crashed.parent.mkdir()
    env = harness_env(prefect_api, crashed)
    chance = random.Random(20191115)
    targets = sorted(chance.sample(range(1, total), 20))
    killed_running = 0
    for target in targets:
        process = start(args, env, tmp_path / "crashed.log")
        killed_running += kill_at(process, crashed, target, chance.uniform(0.0, 0.05))
    assert killed_running >= 18, killed_running  # the kills hit running build-outs, not finished ones
    run_to_end(args, env, tmp_path / "crashed.log")
    assert_same(snapshot(crashed), expected, statuses=False)
    after_the_lease(env, crashed, tmp_path / "crashed.log")
    after_the_lease(harness_env(prefect_api, reference), reference, tmp_path / "reference.log")
    assert_same(snapshot(crashed), snapshot(reference))


# --- 2. `verbund demo`, 3 kills, its own Prefect server ------------------------------------------

def test_the_demo_killed_at_three_points_reaches_the_uninterrupted_end_state_and_leaves_no_server(
    prefect_api: str, demo_folder: Path, tmp_path: Path
) -> None:
    reference = tmp_path / "reference" / "verbund.db"
    shutil.copytree(demo_folder, reference.parent)  # the session's uninterrupted demo
    expected = snapshot(reference)
    total = progress(reference)
    database = tmp_path / "verbund.db"
    # The first run has no Prefect API: it starts (and owns) its ephemeral server, which must not
    # outlive the kill. The others run on the session's API (bounded: no server start each).
    own = clean_env(VERBUND_DATABASE_URL=f"sqlite:///{database}", PREFECT_HOME=str(tmp_path / "prefect"),
                    COLUMNS="200")
    env = harness_env(prefect_api, database)
    chance = random.Random(20190902)
    for number, share in enumerate(sorted(chance.uniform(low, low + 0.25) for low in (0.05, 0.35, 0.65))):
        KILLED_CHILDREN.clear()
        process = start(["demo"], own if number == 0 else env, tmp_path / "demo.log")
        assert kill_at(process, database, int(total * share), chance.uniform(0.0, 0.1))
        if number == 0:
            assert any(PREFECT_SERVER in line for line in KILLED_CHILDREN), KILLED_CHILDREN  # it had its server
    run_to_end(["demo"], env, tmp_path / "demo.log")
    assert_same(snapshot(database), expected, statuses=False)
    after_the_lease(harness_env(prefect_api, database), database, tmp_path / "demo.log")
    after_the_lease(harness_env(prefect_api, reference), reference, tmp_path / "reference.log")
    assert_same(snapshot(database), snapshot(reference))


# --- 3. "consultation held", killed between its commit and its flow ------------------------------

def _world_with_a_scheduled_consultation(database: Path) -> tuple[dt.datetime, dt.datetime, list[str]]:
    """The network up to an invited consultation (flows reconciled in-process, messages sent);
    (meeting start, the instant of a later reminder run, member ids)."""
    from verbund.notifications import AppriseNotifier
    from verbund.services.access.users import add_user
    from verbund.services.demo.sample import build_sample_region
    from verbund.services.inputs.consultation import record_invitations_sent, schedule_consultation
    from verbund.services.inputs.work import (
        GoalInput,
        PotentialInput,
        organisation_ids,
        record_goals,
        record_potentials,
    )
    from verbund.services.messaging.outbox import sweep
    from verbund.services.stages.lifecycle import advance_stage, reconcile_stage, waive_stage
    from verbund.services.stages.triggers import pending

    begin = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
    app = bootstrap(Settings(database_url=f"sqlite:///{database}"), trigger=NoTrigger(),
                    notifier=AppriseNotifier(database.parent / "postfach"))

    def reconcile(network: str, stage: str, at: dt.datetime) -> None:  # a stage flow's chain, in-process
        report = reconcile_stage(app, network, stage, at)
        if report.state in ("completed", "waived"):
            for following in report.next_stages:
                reconcile(network, following, at)

    def settle(at: dt.datetime) -> None:
        for row in pending(app):
            reconcile(row.network, row.stage, row.at)
        sweep(app, at)

    def state(stage: str) -> str:
        return str(_query(database, "SELECT s.state FROM stagerun s JOIN network n ON n.id = s.network_id "
                                    "WHERE n.slug = ? AND s.stage = ?", NETWORK, stage)[0][0])

    build_sample_region(app, at=begin)
    add_user(app, email=PROCESS_OWNER, role="process_owner", password="ein-langes-Passwort-2019",
             region="sn-muldenland")
    reconcile_stage(app, NETWORK, "analysis", begin)
    sweep(app, begin)
    day = begin + dt.timedelta(days=1)
    waive_stage(app, NETWORK, "analysis", reason="Bestandsaufnahme liegt vor", by=PROCESS_OWNER, at=day)
    settle(day)
    members = [str(oid) for oid in organisation_ids(app, NETWORK).values()]
    record_potentials(app, NETWORK, [PotentialInput(area, f"P {area}", raised_by=[members[0]])
                                     for area in ("communication", "special_offers", "process_steering")],
                      by="koordination", at=day)
    settle(day)
    if state("potentials") == "ready":
        advance_stage(app, NETWORK, "potentials", by=PROCESS_OWNER, at=day)
        settle(day)
    record_goals(app, NETWORK, [GoalInput("Ziel", ["P communication"], "development", members[0], "Indikator",
                                          dt.date(2020, 7, 31))], by="koordination", at=day)
    settle(day)
    if state("goals") == "ready":
        advance_stage(app, NETWORK, "goals", by=PROCESS_OWNER, at=day)
        settle(day)
    assert state("consultation") == "open"
    invited = begin + dt.timedelta(days=2)
    meeting = dt.datetime(2019, 9, 30, 10, 0, tzinfo=BERLIN)
    schedule_consultation(app, NETWORK, starts_at=meeting, place="Landratsamt", by="koordination", at=invited)
    record_invitations_sent(app, NETWORK, by="koordination", at=invited)
    settle(invited)
    assert pending(app) == []
    app.engine.dispose()
    due = dt.date.fromisoformat(str(_query(database, "SELECT s.due FROM stagerun s JOIN network n ON "
                                                     "n.id = s.network_id WHERE n.slug = ? AND s.stage = ?",
                                           NETWORK, "consultation")[0][0]))
    # the reminder run comes after the consultation stage's due date: had the held consultation's
    # flow been lost for good, it would send "Überfällig" notices for the meeting that took place
    later = max(dt.datetime.combine(due + dt.timedelta(days=3), dt.time(10, 0), tzinfo=BERLIN),
                meeting + dt.timedelta(days=1))
    return meeting, later, members




def _kill_after_commit(process: subprocess.Popen[bytes], database: Path) -> None:
    """SIGKILL the command as soon as its "held" is committed and before anything else commits: the
    check takes SQLite's write lock and keeps it from the moment it sees the row until the kill."""
    deadline = time.monotonic() + BOUND
    with contextlib.closing(sqlite3.connect(database, timeout=60, isolation_level=None)) as connection:
        while True:
            assert time.monotonic() < deadline and process.poll() is None, "the hold was never committed"
            connection.execute("BEGIN IMMEDIATE")
            held = connection.execute("SELECT count(*) FROM auditevent WHERE entity = 'consultation' "
                                      "AND action = 'held'").fetchone()[0]
            if held:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=BOUND)
                connection.execute("ROLLBACK")
                break
            connection.execute("ROLLBACK")
            time.sleep(0.003)
    wait_for(lambda: not session_members(process.pid), "every process of the killed hold ended", bound=120)


def test_consultation_held_then_killed_before_its_flow_moves_on_in_one_sweep_and_sends_no_wrong_reminder(
    prefect_api: str, tmp_path: Path
) -> None:
    reference = tmp_path / "reference" / "verbund.db"
    reference.parent.mkdir()
    meeting, later, members = _world_with_a_scheduled_consultation(reference)
    crashed = tmp_path / "crashed" / "verbund.db"
    shutil.copytree(reference.parent, crashed.parent)
    hold = ["consultation", "hold", NETWORK, *[f"--present={oid}" for oid in members],
            "--decision", "Ziele bestätigt", "--by", "koordination",
            "--at", (meeting + dt.timedelta(hours=2)).isoformat()]
    remind = ["remind", "--json"]

    run_to_end(hold, harness_env(prefect_api, reference), tmp_path / "reference.log")
    run_to_end(remind, harness_env(prefect_api, reference, VERBUND_NOW=later.isoformat()), tmp_path / "reference.log")
    expected = snapshot(reference)
    consultation = next(row for row in expected["stages"] if row[:2] == (NETWORK, "consultation"))
    assert consultation[3] in ("ready", "completed"), consultation

    process = start(hold, harness_env(prefect_api, crashed), tmp_path / "crashed.log")
    _kill_after_commit(process, crashed)
    stranded = snapshot(crashed)
    assert [row[3] for row in stranded["stages"] if row[:2] == (NETWORK, "consultation")] == ["open"]
    assert stranded["pending_triggers"] >= 1  # committed, never reconciled: the flow did not run

    run_to_end(remind, harness_env(prefect_api, crashed, VERBUND_NOW=later.isoformat()), tmp_path / "crashed.log")
    after = snapshot(crashed)
    assert [row for row in after["stages"] if row[:2] == (NETWORK, "consultation")] == [consultation]
    wrong = [row for row in after["outbox"] if row[2] == "consultation" and row[1] in ("reminder", "overdue",
                                                                                        "escalation")
             and row not in stranded["outbox"]]
    assert wrong == []  # nothing reminded of or chased for the meeting that took place
    assert_same(after, expected)
