"""What the other templates' stages produce: agreements, consensus decisions, stage evidence.

Glossary: Kooperationsvertrag / Vereinbarung → ``Agreement`` (parties, signed date, agreed
Handlungsfelder, responsibilities: who implements, who checks quality); Lenkungskreis-Beschluss im
Konsens → ``Decision`` with one ``DecisionVote`` per voting member (consent / objection /
reservation); a step of a stage that is simply done and documented (Bildungskonferenz prepared,
held, documented; work plan; report to the ministry) → ``StageEvidence``, per stage and cycle.

The consensus rule is pure (``consensus``): a decision is adopted only when every voting member
has voted and none objects; what is not agreed stays with the previous responsibility.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Set
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from verbund.domain.columns import JSONList, UTCDateTime, new_id


class Vote(StrEnum):
    consent = "consent"  # Zustimmung
    objection = "objection"  # Einwand (Veto)
    reservation = "reservation"  # Vorbehalt (trägt mit, Bedenken festgehalten)


VOTE_LABELS = {"consent": "Zustimmung", "objection": "Einwand", "reservation": "Vorbehalt"}


class DecisionStatus(StrEnum):
    open = "open"  # opened, votes still outstanding (taken vote by vote)
    adopted = "adopted"
    not_agreed = "not_agreed"


@dataclass(frozen=True)
class ConsensusResult:
    """The outcome of a consensus vote and why."""

    adopted: bool
    responsibility: str | None  # who is responsible after the decision
    objections: tuple[str, ...]
    reservations: tuple[str, ...]
    missing: tuple[str, ...]
    reason: str


def consensus(
    voters: Set[str],
    votes: Mapping[str, Vote | str],
    *,
    proposed: str | None,
    previous: str | None,
    names: Mapping[str, str] | None = None,
) -> ConsensusResult:
    """Decide by consensus: adopted only when every voter voted and no voter objects.

    ``voters`` are the members entitled to vote (ids); ``votes`` maps voter id → vote; a vote of
    someone who is not a voter raises ``ValueError``. Not adopted: the responsibility stays
    ``previous``; adopted: it becomes ``proposed``. ``names`` turns ids into names for the reason.
    """
    label = names or {}
    strangers = sorted(set(votes) - set(voters))
    if strangers:
        raise ValueError(f"Stimmen von Nicht-Mitgliedern: {', '.join(label.get(s, s) for s in strangers)}")
    if not voters:
        raise ValueError("kein stimmberechtigtes Mitglied")
    cast = {voter: Vote(vote) for voter, vote in votes.items()}
    objections = tuple(sorted(v for v, vote in cast.items() if vote is Vote.objection))
    reservations = tuple(sorted(v for v, vote in cast.items() if vote is Vote.reservation))
    missing = tuple(sorted(set(voters) - set(cast)))

    def who(ids: tuple[str, ...]) -> str:
        return ", ".join(sorted(label.get(i, i) for i in ids))

    keeps = f"Zuständigkeit bleibt bei {previous}" if previous else "keine Zuständigkeit übertragen"
    if objections:
        return ConsensusResult(False, previous, objections, reservations, missing,
                               f"nicht beschlossen: Einwand von {who(objections)}; {keeps}")
    if missing:
        return ConsensusResult(False, previous, objections, reservations, missing,
                               f"nicht beschlossen: keine Stimme von {who(missing)}; {keeps}")
    reason = "im Konsens beschlossen"
    if reservations:
        reason += f", mit Vorbehalt von {who(reservations)}"
    return ConsensusResult(True, proposed if proposed is not None else previous, (), reservations, (), reason)


def decided(voters: Set[str], votes: Mapping[str, Vote | str]) -> bool:
    """Whether a decision taken vote by vote is decided: a voter objected, or every voter voted.

    One objection settles it (not adopted, whatever the others vote); without one, it waits for
    every voter.
    """
    return any(Vote(vote) is Vote.objection for vote in votes.values()) or set(voters) <= set(votes)


def pending_reason(voters: Set[str], votes: Mapping[str, Vote | str], names: Mapping[str, str] | None = None) -> str:
    """Why a decision is still open: whose votes are outstanding (and who has reservations)."""
    label = names or {}
    missing = sorted(label.get(v, v) for v in set(voters) - set(votes))
    text = f"offen: Stimme ausstehend von {', '.join(missing)}" if missing else "offen"
    reserved = sorted(label.get(v, v) for v, vote in votes.items() if Vote(vote) is Vote.reservation)
    if reserved:
        text += f"; Vorbehalt von {', '.join(reserved)}"
    return text


class Agreement(SQLModel, table=True):
    """A Kooperationsvertrag or a Vereinbarung: parties, signed date, fields, responsibilities.

    ``responsibilities``: ``[{"task", "implements", "checks_quality"}]`` (organisation names).
    """

    __table_args__ = (UniqueConstraint("network_id", "title"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    title: str
    parties: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    fields_of_action: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    responsibilities: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    signed_on: dt.date | None = None
    recorded_by: str
    recorded_by_ref: str | None = None  # domain.actors
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Decision(SQLModel, table=True):
    """A decision of the network's deciding body, taken by consensus, in a stage's cycle."""

    __table_args__ = (UniqueConstraint("network_id", "stage", "cycle", "title"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    stage: str
    cycle: int = 1
    kind: str  # what it decides, e.g. "field_of_action", "work_plan", "responsibility"
    title: str
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    previous_responsibility: str | None = None
    proposed_responsibility: str | None = None
    responsibility: str | None = None  # after the decision: proposed if adopted, else previous
    status: str
    reason: str
    decided_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    recorded_by: str
    recorded_by_ref: str | None = None  # domain.actors


class DecisionVote(SQLModel, table=True):
    """One voting member's vote on a decision (with an optional note, e.g. the reservation)."""

    __table_args__ = (UniqueConstraint("decision_id", "organisation_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    decision_id: uuid.UUID = Field(foreign_key="decision.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    vote: str
    note: str | None = None


class StageEvidence(SQLModel, table=True):
    """A documented step of a stage's cycle (``kind`` is named by the template's checks)."""

    __table_args__ = (UniqueConstraint("network_id", "stage", "cycle", "kind"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    stage: str
    cycle: int = 1
    kind: str
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    recorded_by: str
    recorded_by_ref: str | None = None  # domain.actors
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
