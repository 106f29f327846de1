"""Stage runs and their state machine, and the audit/event table.

The state machine is an explicit table (``TRANSITIONS``). Every move goes through
``StageRun.transition``, which checks the table, the predecessor and exit criteria handed to it,
records who and when, and returns the audit event to store.

    pending ──open──▶ open ──criteria met──▶ ready ──sign-off / auto──▶ completed
       │               │  ◀──criteria lost──  │
       └───────────────┴──────waive (reason, process owner)──────────▶ waived
    completed / waived ──reopen (reason, process owner)──▶ open (then it waits for a sign-off)
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from verbund.domain.columns import JSONList, UTCDateTime, new_id
from verbund.domain.errors import IllegalTransition, InvalidInput


class StageState(StrEnum):
    pending = "pending"
    open = "open"
    ready = "ready"
    completed = "completed"
    waived = "waived"


DONE_STATES = frozenset({StageState.completed, StageState.waived})

STATE_LABELS: dict[str, str] = {
    "pending": "ausstehend",
    "open": "offen",
    "ready": "bereit",
    "completed": "abgeschlossen",
    "waived": "erlassen",
}


@dataclass(frozen=True)
class Rule:
    """What a transition needs besides being in the table."""

    predecessors_done: bool = False
    criteria_met: bool = False
    criteria_lost: bool = False
    reason: bool = False
    actor: bool = False


TRANSITIONS: dict[tuple[StageState, StageState], Rule] = {
    (StageState.pending, StageState.open): Rule(predecessors_done=True),
    (StageState.open, StageState.ready): Rule(criteria_met=True),
    (StageState.ready, StageState.open): Rule(criteria_lost=True),
    (StageState.ready, StageState.completed): Rule(criteria_met=True),
    (StageState.pending, StageState.waived): Rule(reason=True, actor=True),
    (StageState.open, StageState.waived): Rule(reason=True, actor=True),
    (StageState.ready, StageState.waived): Rule(reason=True, actor=True),
    # reopening a finished stage for a correction: a process owner, with a reason (audited)
    (StageState.completed, StageState.open): Rule(reason=True, actor=True),
    (StageState.waived, StageState.open): Rule(reason=True, actor=True),
}

SYSTEM_ACTOR = "system"


class AuditEvent(SQLModel, table=True):
    """Who did what, when (domain time), from which state to which, and why."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    actor_ref: str | None = Field(default=None, index=True)  # domain.actors
    network_id: uuid.UUID | None = Field(default=None, foreign_key="network.id", index=True)
    stage: str | None = None
    cycle: int | None = None
    entity: str  # "stage", "analysis_entry", "consultation", ...
    action: str  # "transition", "recorded", "scheduled", ...
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONList, nullable=False))


class StageRun(SQLModel, table=True):
    """One network's occurrence of a template stage (``cycle`` counts recurring occurrences)."""

    __table_args__ = (UniqueConstraint("network_id", "stage", "cycle"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    stage: str
    cycle: int = 1
    position: int
    state: str = StageState.pending
    due: dt.date | None = None
    opened_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    ready_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    completed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    waived_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    waiver_reason: str | None = None
    reopened_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))  # by a process owner
    changed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    version: int = 0

    @property
    def is_done(self) -> bool:
        return self.state in DONE_STATES

    def transition(
        self,
        to: StageState,
        *,
        at: dt.datetime,
        recorded_at: dt.datetime,
        actor: str = SYSTEM_ACTOR,
        reason: str | None = None,
        unmet: Sequence[str] = (),
        predecessors_done: bool = True,
        due: dt.date | None = None,
    ) -> AuditEvent:
        """Move to ``to`` or raise ``IllegalTransition`` naming the states and what is unmet.

        ``unmet`` lists the stage's exit criteria that are not met at ``at``.
        """
        current = StageState(self.state)
        self._check(current, to, at=at, actor=actor, reason=reason, unmet=unmet,
                    predecessors_done=predecessors_done)
        self.state = to
        self.changed_at = at
        self.version += 1
        if to is StageState.open:
            self.opened_at = self.opened_at or at
            self.due = due if due is not None else self.due
            self.ready_at = None
            if current in DONE_STATES:  # reopened: it waits for a new sign-off
                self.completed_at = self.waived_at = self.waiver_reason = None
                self.reopened_at = at
        elif to is StageState.ready:
            self.ready_at = at
        elif to is StageState.completed:
            self.completed_at = at
        elif to is StageState.waived:
            self.waived_at = at
            self.waiver_reason = reason
        why = reason or ("; ".join(unmet) if to is StageState.open and unmet else None)
        return AuditEvent(
            at=at,
            recorded_at=recorded_at,
            actor=actor,
            network_id=self.network_id,
            stage=self.stage,
            cycle=self.cycle,
            entity="stage",
            action="transition",
            from_state=current.value,
            to_state=to.value,
            reason=why,
        )

    def extend(self, until: dt.date, *, at: dt.datetime, recorded_at: dt.datetime, actor: str,
               reason: str) -> AuditEvent:
        """Move the due date of an open or ready stage later, with a reason (a deadline extension).

        The state does not change; the event (action ``deadline_extended``) keeps both dates.
        """
        where = f"Stufe '{self.stage}'"
        if self.state not in (StageState.open, StageState.ready) or self.due is None:
            raise InvalidInput(f"{where}: nur die Frist einer offenen Stufe kann verlängert werden "
                               f"(Zustand {self.state})")
        if until <= self.due:
            raise InvalidInput(f"--until: {until.isoformat()} liegt nicht nach der bisherigen Frist "
                               f"{self.due.isoformat()}")
        if not reason.strip():
            raise InvalidInput("--reason: eine Fristverlängerung braucht eine Begründung")
        previous, self.due = self.due, until
        self.version += 1
        return AuditEvent(at=at, recorded_at=recorded_at, actor=actor, network_id=self.network_id, stage=self.stage,
                          cycle=self.cycle, entity="stage", action="deadline_extended", reason=reason.strip(),
                          detail={"from": previous.isoformat(), "to": until.isoformat()})

    def _check(
        self,
        current: StageState,
        to: StageState,
        *,
        at: dt.datetime,
        actor: str,
        reason: str | None,
        unmet: Sequence[str],
        predecessors_done: bool,
    ) -> None:
        def refuse(why: str, criteria: Sequence[str] = ()) -> IllegalTransition:
            return IllegalTransition(self.stage, current.value, to.value, criteria, why)

        rule = TRANSITIONS.get((current, to))
        if rule is None:
            raise refuse("kein erlaubter Übergang")
        if self.changed_at is not None and at < self.changed_at:
            raise refuse(
                f"Zeitpunkt {at.isoformat()} liegt vor dem letzten Übergang "
                f"({self.changed_at.isoformat()})"
            )
        if rule.predecessors_done and not predecessors_done:
            raise refuse("die vorherige Stufe ist weder abgeschlossen noch erlassen")
        if rule.criteria_met and unmet:
            raise refuse("Ausstiegskriterien nicht erfüllt", unmet)
        if rule.criteria_lost and not unmet:
            raise refuse("die Ausstiegskriterien sind weiterhin erfüllt")
        what = "eine Wiedereröffnung" if to is StageState.open else "ein Verzicht"
        if rule.reason and not (reason and reason.strip()):
            raise refuse(f"{what} braucht eine Begründung")
        if rule.actor and (not actor.strip() or actor == SYSTEM_ACTOR):
            raise refuse(f"{what} braucht eine verantwortliche Person (Prozessverantwortliche)")


class PendingTrigger(SQLModel, table=True):
    """The trigger outbox: a stage of a network that a committed change asks to reconcile.

    Written in the same transaction as the change (``services.app.usecase``); deleted by the reconcile
    that saw it (``services.stages.lifecycle.reconcile_in``). What a crash between commit and trigger leaves
    behind, the reconcile sweep runs (``services.stages.triggers``)."""

    __tablename__ = "pending_trigger"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    stage: str
    at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # domain time of the change
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    attempts: int = 0  # sweeps that ran it and found it still pending
    last_error: str | None = None
