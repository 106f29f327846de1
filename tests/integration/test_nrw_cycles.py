"""NRW's recurring stages over two annual cycles, through the real service layer on SQLite:
the Bericht der Bezirkskoordination follows every Regionale Bildungskonferenz, and each cycle of
the conference gets its own stage_opened and reminder items (idempotency keys per cycle)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from tests_governance import NRW, PO, day, open_handlungsfelder

from verbund.domain.business_days import BusinessCalendar
from verbund.domain.errors import IllegalTransition
from verbund.domain.outbox import OutboxItem
from verbund.domain.stages import StageRun
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.app.lookup import network_by_slug, stage_run
from verbund.services.governance.records import record_step
from verbund.services.governance.votes import cast_vote, open_decision
from verbund.services.messaging.reminders import plan
from verbund.services.readmodels.queries import status
from verbund.services.stages.lifecycle import Outcome, advance_stage, reconcile_stage

VOTERS = ("obere Schulaufsicht", "untere Schulaufsicht", "Schulverwaltungsamt", "Jugendamt")
BY = "bb@example.org"


def at(year: int, month: int, day_: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day_, hour, tzinfo=BERLIN)


def _adopt(app: App, stage: str, title: str, when: dt.datetime) -> None:
    open_decision(app, NRW, stage, title=title, by=BY, at=when)
    for member in VOTERS:
        cast_vote(app, NRW, title, member=member, vote="consent", by=BY, at=when)


@pytest.fixture
def conference_open(app: App) -> StageRun:
    """rbn-lindenau up to its first Bildungskonferenz, open from day 5 (2019-09-07)."""
    open_handlungsfelder(app)
    for title in ("Inklusion", "Übergänge"):
        _adopt(app, "handlungsfelder", title, day(4))
    reconcile_stage(app, NRW, "handlungsfelder", day(4))
    reconcile_stage(app, NRW, "arbeitsplan", day(4))
    record_step(app, NRW, "arbeitsplan", "work_plan", by=BY, at=day(5))
    _adopt(app, "arbeitsplan", "Arbeitsplan", day(5))
    assert reconcile_stage(app, NRW, "arbeitsplan", day(5)).state == "completed"
    first = reconcile_stage(app, NRW, "bildungskonferenz", day(5))
    assert (first.state, first.cycle) == ("open", 1)
    return _run(app, "bildungskonferenz", 1)


def _run(app: App, stage: str, cycle: int) -> StageRun:
    with app.uow() as uow:
        network = network_by_slug(uow.session, NRW)
        return stage_run(uow.session, network, stage, cycle)


def _conference(app: App, when: dt.datetime) -> None:
    for hours, step in enumerate(("prepared", "held", "documented", "recommendations")):
        record_step(app, NRW, "bildungskonferenz", step, by=BY, at=when + dt.timedelta(hours=hours))


def _report_and_sign_off(app: App, when: dt.datetime) -> None:
    record_step(app, NRW, "bezirksbericht", "report", by=BY, at=when)
    assert reconcile_stage(app, NRW, "bezirksbericht", when).state == "ready"
    assert advance_stage(app, NRW, "bezirksbericht", by=PO, at=when + dt.timedelta(hours=1)).state == "completed"


def test_the_bezirksbericht_follows_every_bildungskonferenz(app: App, conference_open: StageRun) -> None:
    _conference(app, day(40))
    done = reconcile_stage(app, NRW, "bildungskonferenz", day(41))
    assert (done.cycle, done.state, done.next_stages) == (1, "completed", ["bezirksbericht"])
    report = reconcile_stage(app, NRW, "bezirksbericht", day(41))
    assert (report.cycle, report.state) == (1, "open")
    _report_and_sign_off(app, day(42))

    # Before the second conference is done the report stays done; bringing it forward is refused.
    assert reconcile_stage(app, NRW, "bezirksbericht", at(2020, 9, 8)).cycle == 1
    assert reconcile_stage(app, NRW, "bildungskonferenz", at(2020, 9, 7)).cycle == 2
    with pytest.raises(IllegalTransition):
        advance_stage(app, NRW, "bezirksbericht", by=PO, at=at(2020, 9, 8))
    # Its own anniversary (a year after it opened, 2019-10-13) creates the next report, which waits.
    waiting = reconcile_stage(app, NRW, "bezirksbericht", at(2020, 10, 14))
    assert (waiting.cycle, waiting.state, waiting.outcome) == (2, "pending", Outcome.waiting_for_previous)

    _conference(app, at(2020, 11, 12))
    second = reconcile_stage(app, NRW, "bildungskonferenz", at(2020, 11, 13))
    assert (second.cycle, second.state, second.next_stages) == (2, "completed", ["bezirksbericht"])
    opened = reconcile_stage(app, NRW, "bezirksbericht", at(2020, 11, 13))
    assert (opened.cycle, opened.state, opened.transitions) == (2, "open", ["pending→open"])
    assert opened.unmet == ["noch nicht dokumentiert (Durchlauf 2): Bericht an das Ministerium"]
    _report_and_sign_off(app, at(2020, 11, 16))

    network = next(n for n in status(app)["networks"] if n["slug"] == NRW)
    cycles = {name: [(s["cycle"], s["state"]) for s in network["stages"] if s["name"] == name]
              for name in ("bildungskonferenz", "bezirksbericht")}
    assert cycles == {"bildungskonferenz": [(1, "completed"), (2, "completed")],
                      "bezirksbericht": [(1, "completed"), (2, "completed")]}


def test_the_report_opens_at_once_when_the_next_conference_is_done_first(
    app: App, conference_open: StageRun
) -> None:
    _conference(app, day(40))
    reconcile_stage(app, NRW, "bildungskonferenz", day(41))
    reconcile_stage(app, NRW, "bezirksbericht", day(41))
    _report_and_sign_off(app, day(42))
    early = advance_stage(app, NRW, "bildungskonferenz", by=BY, at=day(60))  # brought forward
    assert (early.cycle, early.state) == (2, "open")
    _conference(app, day(70))
    assert reconcile_stage(app, NRW, "bildungskonferenz", day(71)).state == "completed"

    follows = reconcile_stage(app, NRW, "bezirksbericht", day(71))  # long before its anniversary

    assert (follows.cycle, follows.state) == (2, "open")


def _items(app: App, kind: str) -> dict[str, str]:
    """Key → subject of the stored items of the conference of that kind."""
    with app.uow() as uow:
        rows = uow.session.exec(
            select(OutboxItem).where(OutboxItem.stage == "bildungskonferenz", OutboxItem.kind == kind)).all()
        return {row.key: row.subject for row in rows}


def _reminder_day(run: StageRun) -> dt.datetime:
    assert run.due is not None
    calendar = BusinessCalendar("NW")
    day_ = run.due
    for _ in range(5):  # five business days before the due date (reminders 10, 5, 1)
        day_ -= dt.timedelta(days=1)
        while not calendar.is_business_day(day_):
            day_ -= dt.timedelta(days=1)
    return dt.datetime.combine(day_, dt.time(8), tzinfo=BERLIN)


def test_each_cycle_of_the_conference_gets_its_own_opened_and_reminder_items(
    app: App, conference_open: StageRun
) -> None:
    first = conference_open
    plan(app, day(6), network=NRW)
    plan(app, _reminder_day(first), network=NRW)
    opened_1, reminders_1 = _items(app, "stage_opened"), _items(app, "reminder")
    assert opened_1 and set(opened_1.values()) == {str(first.id)}
    assert reminders_1 and {s.split(":")[0] for s in reminders_1.values()} == {str(first.id)}

    _conference(app, day(40))
    reconcile_stage(app, NRW, "bildungskonferenz", day(41))
    reconcile_stage(app, NRW, "bildungskonferenz", at(2020, 9, 7))
    second = _run(app, "bildungskonferenz", 2)
    plan(app, at(2020, 9, 8), network=NRW)
    plan(app, _reminder_day(second), network=NRW)
    plan(app, _reminder_day(second), network=NRW)  # the same sweep again adds nothing

    opened, reminders = _items(app, "stage_opened"), _items(app, "reminder")
    opened_2 = {k: s for k, s in opened.items() if k not in opened_1}
    reminders_2 = {k: s for k, s in reminders.items() if k not in reminders_1}
    assert set(opened_2.values()) == {str(second.id)}
    assert len(opened_2) == len(opened_1)  # every member again, under new keys
    assert {s.split(":")[0] for s in reminders_2.values()} == {str(second.id)}
    assert len(reminders_2) == len(reminders_1)
    assert set(opened) == set(opened_1) | set(opened_2)  # the first cycle's items stay as they were
