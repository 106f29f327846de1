"""The use-case helper and the trigger outbox: a committed change reaches its stage's reconcile even
when the process dies between the commit and the trigger; the sweep runs what is left, once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from sqlmodel import func, select

from verbund.domain.errors import InvalidInput
from verbund.domain.models import Network
from verbund.domain.stages import PendingTrigger, StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.app.ports import NoTrigger
from verbund.services.app.usecase import change
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.consultation import AttendanceInput, HoldInput, hold_consultation, schedule_consultation
from verbund.services.inputs.work import (
    AnalysisInput,
    GoalInput,
    PotentialInput,
    organisation_ids,
    record_analysis,
    record_goals,
    record_potentials,
)
from verbund.services.stages.lifecycle import advance_stage, reconcile_stage, waive_stage
from verbund.services.stages.triggers import pending, sweep

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
NETWORK = "kv-auental-nord"
PO = "po@example.org"


@dataclass
class Reconciling:
    """A trigger that reconciles in-process at once (what the embedded trigger's flow does)."""

    app: App | None = None
    calls: list[tuple[str, str, dt.datetime]] = field(default_factory=list)

    def __call__(self, network: str, stage: str, at: dt.datetime) -> None:
        assert self.app is not None
        self.calls.append((network, stage, at))
        report = reconcile_stage(self.app, network, stage, at)
        if report.state in ("completed", "waived"):  # the chain carries on, as flows.stage.run_stage does
            for following in report.next_stages:
                self(network, following, at)


class Crash(BaseException):
    """The process dies right after the commit (SIGKILL leaves no chance to trigger)."""


def _crash(network: str, stage: str, at: dt.datetime) -> None:
    raise Crash(f"{stage} · {network}")


def _rows(app: App) -> int:
    with app.uow() as uow:
        return int(uow.session.exec(select(func.count()).select_from(PendingTrigger)).one())


def _state(app: App, stage: str) -> str:
    with app.uow() as uow:
        return uow.session.exec(select(StageRun.state).join(Network).where(
            StageRun.stage == stage, Network.slug == NETWORK)).one()


@pytest.fixture
def world(app: App) -> App:
    build_sample_region(app, at=START)
    reconcile_stage(app, NETWORK, "analysis", START)
    return app


def _analysis(app: App, at: dt.datetime) -> None:
    entries = [AnalysisInput(str(oid), category, text=f"{name}: {category}")
               for name, oid in organisation_ids(app, NETWORK).items()
               for category in ("conditions", "actors", "responsibilities", "cooperation_structures")]
    record_analysis(app, NETWORK, entries, by="partner", at=at)


def test_a_use_case_triggers_each_touched_stage_once_after_the_commit_and_the_reconcile_settles_it(
    world: App,
) -> None:
    trigger = Reconciling(world)
    world.trigger = trigger
    with change(world, START + dt.timedelta(days=1)) as work:
        work.touch(NETWORK, "analysis")
        work.touch(NETWORK, "analysis")
        work.touch(NETWORK, None)
        assert _rows(world) == 0  # nothing is visible before the commit
    assert [c[:2] for c in trigger.calls] == [(NETWORK, "analysis")]
    assert _rows(world) == 0  # the reconcile saw the row and deleted it with its commit


def test_a_failing_use_case_stores_no_trigger_and_triggers_nothing(world: App) -> None:
    trigger = Reconciling(world)
    world.trigger = trigger
    with pytest.raises(InvalidInput), change(world) as work:
        work.touch(NETWORK, "analysis")
        raise InvalidInput("refused")
    assert trigger.calls == [] and _rows(world) == 0


def test_a_dry_run_discards_the_change_and_its_trigger(world: App) -> None:
    trigger = Reconciling(world)
    world.trigger = trigger
    with change(world) as work:
        work.touch(NETWORK, "analysis")
        work.discard()
    assert trigger.calls == [] and _rows(world) == 0


def test_a_crash_between_commit_and_trigger_leaves_the_trigger_and_one_sweep_moves_the_stage_on(
    world: App,
) -> None:
    world.trigger = _crash
    with pytest.raises(Crash):
        _analysis(world, START + dt.timedelta(days=5))
    assert _state(world, "analysis") == "open"  # the input is stored, the flow never ran
    assert [(p.network, p.stage) for p in pending(world)] == [(NETWORK, "analysis")]

    world.trigger = NoTrigger()
    runs: list[tuple[str, str, dt.datetime]] = []

    def run(network: str, stage: str, at: dt.datetime) -> None:
        runs.append((network, stage, at))
        reconcile_stage(world, network, stage, at)

    report = sweep(world, run)
    assert (report.ran, report.settled, report.failed) == (1, 1, [])
    assert runs[0][2] == START + dt.timedelta(days=5)  # replayed at the change's own domain time
    assert _state(world, "analysis") == "ready"
    assert sweep(world, run).ran == 0  # idempotent: nothing left, nothing run


def test_a_held_consultation_whose_flow_was_lost_moves_on_within_one_sweep(world: App) -> None:
    world.trigger = Reconciling(world)
    day1 = START + dt.timedelta(days=1)
    waive_stage(world, NETWORK, "analysis", reason="Bestand", by=PO, at=day1)
    member = str(next(iter(organisation_ids(world, NETWORK).values())))
    record_potentials(world, NETWORK, [PotentialInput(area, f"P {area}", raised_by=[member])
                                       for area in ("communication", "special_offers", "process_steering")],
                      by=PO, at=day1)
    if _state(world, "potentials") == "ready":
        advance_stage(world, NETWORK, "potentials", by=PO, at=day1)
    record_goals(world, NETWORK, [GoalInput("Ziel", ["P communication"], "development", member, "Indikator",
                                            dt.date(2020, 7, 31))], by=PO, at=day1)
    if _state(world, "goals") == "ready":
        advance_stage(world, NETWORK, "goals", by=PO, at=day1)
    world.trigger = NoTrigger()
    starts = START + dt.timedelta(days=20)
    schedule_consultation(world, NETWORK, starts_at=starts, place="Rathaus", by=PO, at=START + dt.timedelta(days=2))
    from verbund.services.inputs.consultation import record_invitations_sent

    record_invitations_sent(world, NETWORK, by=PO, at=START + dt.timedelta(days=2))
    for row in pending(world):  # the flows of the steps before ran
        reconcile_stage(world, row.network, row.stage, row.at)
    assert pending(world) == []
    world.trigger = _crash
    attendance = [AttendanceInput(str(oid), present=True) for oid in organisation_ids(world, NETWORK).values()]
    with pytest.raises(Crash):
        hold_consultation(world, NETWORK, HoldInput(attendance, ["Ziele bestätigt"]), by=PO,
                          at=starts + dt.timedelta(hours=2))
    assert _state(world, "consultation") == "open"
    report = sweep(world, lambda n, s, a: (reconcile_stage(world, n, s, a), None)[1])
    assert report.settled == 1
    from verbund.services.stages.lifecycle import show_stage
    assert _state(world, "consultation") in ("ready", "completed"), show_stage(world, NETWORK, "consultation")["unmet"]


def test_a_sweep_counts_a_failing_run_and_gives_up_after_some_attempts(world: App) -> None:
    world.trigger = _crash
    with pytest.raises(Crash):
        _analysis(world, START + dt.timedelta(days=5))

    def broken(network: str, stage: str, at: dt.datetime) -> None:
        raise RuntimeError("Prefect nicht erreichbar")

    for _ in range(6):
        report = sweep(world, broken)
    assert report.ran == 0  # five failed attempts: left for a person, listed by `pending`
    assert pending(world)[0].attempts == 5


def test_a_reconcile_dated_before_the_last_transition_evaluates_at_that_transition(world: App) -> None:
    world.trigger = NoTrigger()
    _analysis(world, START + dt.timedelta(days=15))
    assert reconcile_stage(world, NETWORK, "analysis", START + dt.timedelta(days=15)).state == "ready"
    # the build-out's start instant again (a re-run of the demo): before the ready transition,
    # and as of then the answers were missing; the stage stays ready, nothing is rewritten
    again = reconcile_stage(world, NETWORK, "analysis", START)
    assert (again.state, again.transitions) == ("ready", [])


def test_read_only_service_functions_run_in_read_only_units_of_work(world: App) -> None:
    """On SQLite a write unit of work begins IMMEDIATE (the write lock); none of these may, and a
    read-only unit of work refuses any write statement."""
    from sqlalchemy import event

    from verbund.services.app.db import ReadOnlyViolation
    from verbund.services.governance.records import agreements, decisions
    from verbund.services.importers.coverage import coverage_report, foci_matrix
    from verbund.services.messaging.outbox import outbox_messages
    from verbund.services.readmodels.queries import network_overview, status
    from verbund.services.report import build_report
    from verbund.services.stages.lifecycle import network_stage_names, show_stage

    statements: list[str] = []  # the first two words of each statement, upper case

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()[:2]).upper())

    event.listen(world.engine, "before_cursor_execute", seen)
    reads = [
        lambda: status(world), lambda: network_overview(world, NETWORK), lambda: show_stage(world, NETWORK, "analysis"),
        lambda: network_stage_names(world, NETWORK), lambda: outbox_messages(world), lambda: coverage_report(world),
        lambda: foci_matrix(world), lambda: decisions(world, NETWORK), lambda: agreements(world, NETWORK),
        lambda: pending(world), lambda: build_report(world, dt.date(2019, 12, 31)),
    ]
    for read in reads:
        statements.clear()
        read()
        assert statements, read
        writes = [s for s in statements if s == "BEGIN IMMEDIATE" or s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
        assert writes == [], writes
    event.remove(world.engine, "before_cursor_execute", seen)
    with world.uow() as reading, pytest.raises(ReadOnlyViolation):
        reading.session.add(PendingTrigger(network_id=reading.session.exec(select(Network.id)).first(), stage="x",
                                       at=START, recorded_at=START))
        reading.session.flush()
