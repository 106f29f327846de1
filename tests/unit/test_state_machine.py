"""The stage state machine: every (from, to) pair, the requirements of each rule, and time order."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from verbund.domain.errors import DomainError, IllegalTransition
from verbund.domain.stages import SYSTEM_ACTOR, TRANSITIONS, AuditEvent, StageRun, StageState

BERLIN = ZoneInfo("Europe/Berlin")
EARLIER = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)
AT = dt.datetime(2019, 9, 16, 14, 30, tzinfo=BERLIN)
RECORDED = dt.datetime(2019, 9, 16, 12, 31, 5, tzinfo=dt.UTC)
DUE = dt.date(2019, 10, 28)
OWNER = "prozess.owner@lasub.example"
REASON = "Analyse liegt aus dem Vorjahr vollständig vor"

S = StageState

# The diagram in the module docstring of domain.stages, written out independently of TRANSITIONS:
# each allowed move with what the caller has to supply so that the move is permitted.
ALLOWED: dict[tuple[StageState, StageState], dict[str, Any]] = {
    (S.pending, S.open): {"predecessors_done": True, "due": DUE},
    (S.open, S.ready): {"unmet": ()},
    (S.ready, S.open): {"unmet": ["Protokoll nicht veröffentlicht"]},
    (S.ready, S.completed): {"unmet": ()},
    (S.pending, S.waived): {"reason": REASON, "actor": OWNER},
    (S.open, S.waived): {"reason": REASON, "actor": OWNER},
    (S.ready, S.waived): {"reason": REASON, "actor": OWNER},
    (S.completed, S.open): {"reason": REASON, "actor": OWNER},  # reopened for a correction (issue 15)
    (S.waived, S.open): {"reason": REASON, "actor": OWNER},
}

ALL_PAIRS = list(itertools.product(StageState, repeat=2))
ALLOWED_PAIRS = [pair for pair in ALL_PAIRS if pair in ALLOWED]
FORBIDDEN_PAIRS = [pair for pair in ALL_PAIRS if pair not in ALLOWED]


def pair_id(pair: tuple[StageState, StageState]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def make_run(state: StageState, **fields: Any) -> StageRun:
    return StageRun(network_id=uuid4(), stage="analysis", position=0, state=state, **fields)


def test_the_table_holds_exactly_the_moves_of_the_documented_diagram() -> None:
    assert set(TRANSITIONS) == set(ALLOWED)
    assert len(ALL_PAIRS) == 25
    assert len(FORBIDDEN_PAIRS) == 16


def test_finished_stages_leave_only_by_a_reopening_with_reason_and_process_owner() -> None:
    for done in (S.completed, S.waived):
        assert [target for source, target in TRANSITIONS if source is done] == [S.open]
        run = make_run(done, version=1)
        with pytest.raises(IllegalTransition, match="Wiedereröffnung braucht eine Begründung"):
            run.transition(S.open, at=AT, recorded_at=RECORDED, actor=OWNER, reason=" ")
        with pytest.raises(IllegalTransition, match="Wiedereröffnung braucht eine verantwortliche Person"):
            run.transition(S.open, at=AT, recorded_at=RECORDED, reason=REASON)
        run.transition(S.open, at=AT, recorded_at=RECORDED, actor=OWNER, reason=REASON)
        assert (run.state, run.reopened_at, run.completed_at, run.waived_at) == (S.open, AT, None, None)


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=pair_id)
def test_allowed_move_with_its_needs_satisfied_succeeds_and_returns_the_audit_event(
    pair: tuple[StageState, StageState],
) -> None:
    source, target = pair
    run = make_run(source, version=4)
    kwargs = {"predecessors_done": True, **ALLOWED[pair]}

    event = run.transition(target, at=AT, recorded_at=RECORDED, **kwargs)

    assert isinstance(event, AuditEvent)
    assert event.from_state == source.value
    assert event.to_state == target.value
    assert event.actor == kwargs.get("actor", SYSTEM_ACTOR)
    assert event.at == AT
    assert event.recorded_at == RECORDED
    assert event.network_id == run.network_id
    assert event.stage == "analysis"
    assert event.cycle == run.cycle
    assert event.entity == "stage"
    assert event.action == "transition"
    assert run.state == target
    assert run.version == 5
    assert run.changed_at == AT


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=pair_id)
def test_allowed_move_stamps_the_timestamp_of_the_state_it_enters(pair: tuple[StageState, StageState]) -> None:
    source, target = pair
    run = make_run(source)
    run.transition(target, at=AT, recorded_at=RECORDED, **ALLOWED[pair])

    stamped = {
        "opened_at": run.opened_at,
        "ready_at": run.ready_at,
        "completed_at": run.completed_at,
        "waived_at": run.waived_at,
    }
    expected_field = {
        S.open: "opened_at",
        S.ready: "ready_at",
        S.completed: "completed_at",
        S.waived: "waived_at",
    }[target]
    assert stamped.pop(expected_field) == AT
    assert all(value is None for value in stamped.values()), stamped
    if target is S.open:
        assert run.due == ALLOWED[pair].get("due")
    if target is S.waived:
        assert run.waiver_reason == REASON
    else:
        assert run.waiver_reason is None


@pytest.mark.parametrize("pair", FORBIDDEN_PAIRS, ids=pair_id)
def test_move_outside_the_table_is_refused_naming_the_stage_and_both_states(
    pair: tuple[StageState, StageState],
) -> None:
    source, target = pair
    run = make_run(source, version=2)

    with pytest.raises(IllegalTransition) as caught:
        # Everything a move could need is supplied: only the table can refuse it.
        run.transition(
            target, at=AT, recorded_at=RECORDED, actor=OWNER, reason=REASON, unmet=(), predecessors_done=True
        )

    error = caught.value
    message = str(error)
    assert isinstance(error, DomainError)
    assert "'analysis'" in message
    assert f"{source.value} → {target.value}" in message
    assert (error.stage, error.from_state, error.to_state) == ("analysis", source.value, target.value)
    assert error.unmet == []
    # A refused move leaves the run untouched.
    assert run.state == source
    assert run.version == 2
    assert run.changed_at is None


def test_pending_stage_cannot_open_while_its_predecessor_is_not_done() -> None:
    run = make_run(S.pending)

    with pytest.raises(IllegalTransition) as caught:
        run.transition(S.open, at=AT, recorded_at=RECORDED, predecessors_done=False)

    assert "vorherige Stufe" in str(caught.value)
    assert "pending → open" in str(caught.value)
    assert run.state == S.pending
    assert run.opened_at is None
    assert run.version == 0


@pytest.mark.parametrize("pair", [(S.open, S.ready), (S.ready, S.completed)], ids=pair_id)
def test_stage_with_unmet_criteria_cannot_move_on(pair: tuple[StageState, StageState]) -> None:
    source, target = pair
    unmet = ["Pflichtpartner fehlen: Träger der Jugendhilfe", "2 von 14 öffentlichen Schulen ohne Verbund"]
    run = make_run(source)

    with pytest.raises(IllegalTransition) as caught:
        run.transition(target, at=AT, recorded_at=RECORDED, unmet=unmet)

    error = caught.value
    assert error.unmet == unmet
    assert "Ausstiegskriterien nicht erfüllt" in str(error)
    for text in unmet:
        assert text in str(error)
    assert run.state == source
    assert run.version == 0


def test_open_stage_with_unmet_criteria_cannot_become_ready() -> None:
    run = make_run(S.open)

    unmet = ["Pflichtpartner fehlen: Träger der Schülerbeförderung"]

    with pytest.raises(IllegalTransition, match="Träger der Schülerbeförderung"):
        run.transition(S.ready, at=AT, recorded_at=RECORDED, unmet=unmet)

    assert run.ready_at is None


def test_ready_stage_cannot_fall_back_to_open_while_its_criteria_still_hold() -> None:
    run = make_run(S.ready, ready_at=EARLIER)

    with pytest.raises(IllegalTransition, match="weiterhin erfüllt"):
        run.transition(S.open, at=AT, recorded_at=RECORDED, unmet=())

    assert run.state == S.ready
    assert run.ready_at == EARLIER


def test_ready_stage_that_loses_criteria_reopens_keeping_its_first_opening_and_recording_why() -> None:
    run = make_run(S.ready, opened_at=EARLIER, ready_at=EARLIER, due=DUE)
    lost = ["1 offene Einsprüche zum Protokoll", "Protokoll nicht veröffentlicht"]

    event = run.transition(S.open, at=AT, recorded_at=RECORDED, unmet=lost)

    assert run.state == S.open
    assert run.opened_at == EARLIER
    assert run.ready_at is None
    assert run.due == DUE  # no new due date given: the old one stays
    assert event.reason is not None
    for text in lost:
        assert text in event.reason


@pytest.mark.parametrize("source", [S.pending, S.open, S.ready])
@pytest.mark.parametrize("reason", [None, "", "   "], ids=["none", "empty", "blank"])
def test_waiver_without_a_reason_is_refused(source: StageState, reason: str | None) -> None:
    run = make_run(source)

    with pytest.raises(IllegalTransition, match="Begründung"):
        run.transition(S.waived, at=AT, recorded_at=RECORDED, actor=OWNER, reason=reason)

    assert run.state == source
    assert run.waived_at is None


@pytest.mark.parametrize("source", [S.pending, S.open, S.ready])
@pytest.mark.parametrize("actor", ["", SYSTEM_ACTOR], ids=["no-actor", "system"])
def test_waiver_needs_a_responsible_person_not_the_system(source: StageState, actor: str) -> None:
    run = make_run(source)

    with pytest.raises(IllegalTransition, match="verantwortliche Person"):
        run.transition(S.waived, at=AT, recorded_at=RECORDED, actor=actor, reason=REASON)

    assert run.state == source
    assert run.waiver_reason is None


def test_waiver_by_default_actor_is_refused_because_the_default_is_the_system() -> None:
    run = make_run(S.open)

    with pytest.raises(IllegalTransition, match="verantwortliche Person"):
        run.transition(S.waived, at=AT, recorded_at=RECORDED, reason=REASON)


def test_waiver_records_reason_and_actor_in_the_audit_event() -> None:
    run = make_run(S.open)

    event = run.transition(S.waived, at=AT, recorded_at=RECORDED, actor=OWNER, reason=REASON)

    assert event.reason == REASON
    assert event.actor == OWNER
    assert run.is_done


def test_transition_dated_before_the_last_change_is_refused() -> None:
    run = make_run(S.open, changed_at=AT)
    before = AT - dt.timedelta(minutes=1)

    with pytest.raises(IllegalTransition) as caught:
        run.transition(S.ready, at=before, recorded_at=RECORDED, unmet=())

    assert before.isoformat() in str(caught.value)
    assert AT.isoformat() in str(caught.value)
    assert run.state == S.open
    assert run.changed_at == AT


def test_time_order_compares_instants_not_wall_clock_readings() -> None:
    # 10:00 in Berlin (CEST) is 08:00 UTC: earlier than the last change at 08:30 UTC.
    run = make_run(S.open, changed_at=dt.datetime(2019, 9, 16, 8, 30, tzinfo=dt.UTC))

    with pytest.raises(IllegalTransition):
        run.transition(S.ready, at=dt.datetime(2019, 9, 16, 10, 0, tzinfo=BERLIN), recorded_at=RECORDED)

    event = run.transition(S.ready, at=dt.datetime(2019, 9, 16, 10, 45, tzinfo=BERLIN), recorded_at=RECORDED)
    assert event.to_state == "ready"


def test_transition_at_the_same_instant_as_the_last_change_is_allowed() -> None:
    run = make_run(S.pending)
    run.transition(S.open, at=AT, recorded_at=RECORDED)

    run.transition(S.ready, at=AT, recorded_at=RECORDED)

    assert run.state == S.ready


def test_stage_walks_from_pending_to_completed_with_one_version_per_step() -> None:
    run = make_run(S.pending)
    opened, ready, completed = EARLIER, EARLIER + dt.timedelta(days=10), EARLIER + dt.timedelta(days=12)

    steps = [
        run.transition(S.open, at=opened, recorded_at=RECORDED, due=DUE),
        run.transition(S.ready, at=ready, recorded_at=RECORDED),
        run.transition(S.completed, at=completed, recorded_at=RECORDED, actor=OWNER),
    ]

    assert [(e.from_state, e.to_state) for e in steps] == [
        ("pending", "open"),
        ("open", "ready"),
        ("ready", "completed"),
    ]
    assert (run.opened_at, run.ready_at, run.completed_at) == (opened, ready, completed)
    assert run.due == DUE
    assert run.version == 3
    assert run.is_done
    with pytest.raises(IllegalTransition):
        run.transition(S.open, at=completed, recorded_at=RECORDED)


def test_a_waiver_by_a_blank_actor_is_refused() -> None:
    run = StageRun(network_id=uuid4(), stage="analysis", position=0, state="open")
    with pytest.raises(IllegalTransition, match="verantwortliche Person"):
        run.transition(StageState.waived, at=AT, recorded_at=AT, actor="   ", reason="Begründung")
    assert run.state == "open"
