"""What partners and coordinators produce in the stages.

Bedingungen, Akteure, Zuständigkeiten, Kooperationsstrukturen → ``AnalysisEntry.category``;
Potenzial → ``Potential`` (areas: Kommunikation, spezielle Angebote, Steuerung von Prozessen);
Entwicklungs- und Gestaltungsziele → ``Goal``; konstituierende Beratung → ``Consultation``;
Protokoll, Empfehlungen für die Weiterarbeit → ``Protocol``, ``Recommendation``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from verbund.domain.columns import JSONList, UTCDateTime, new_id


class AnalysisCategory(StrEnum):
    conditions = "conditions"  # Bedingungen
    actors = "actors"  # Akteure
    responsibilities = "responsibilities"  # Zuständigkeiten
    cooperation_structures = "cooperation_structures"  # Kooperationsstrukturen


CATEGORY_LABELS = {
    "conditions": "Bedingungen",
    "actors": "Akteure",
    "responsibilities": "Zuständigkeiten",
    "cooperation_structures": "Kooperationsstrukturen",
}


class PotentialArea(StrEnum):
    communication = "communication"  # Kommunikation
    special_offers = "special_offers"  # spezielle Angebote
    process_steering = "process_steering"  # Steuerung von Prozessen und Abläufen


AREA_LABELS = {
    "communication": "Kommunikation",
    "special_offers": "spezielle Angebote",
    "process_steering": "Steuerung von Prozessen und Abläufen",
}


class GoalKind(StrEnum):
    development = "development"  # Entwicklungsziel
    design = "design"  # Gestaltungsziel


class AnalysisEntry(SQLModel, table=True):
    """One organisation's account of one category, or an explicit "keine Angaben" with reason."""

    __table_args__ = (UniqueConstraint("network_id", "organisation_id", "category"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    category: str
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    no_information: bool = False  # "keine Angaben"
    reason: str | None = None
    recorded_by: str
    recorded_by_ref: str | None = None  # domain.actors
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Potential(SQLModel, table=True):
    """A potential identified with the partners; ``raised_by`` holds organisation ids."""

    __table_args__ = (UniqueConstraint("network_id", "title"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    area: str
    title: str
    description: str = ""
    raised_by: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    recorded_by: str
    recorded_by_ref: str | None = None  # domain.actors
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Goal(SQLModel, table=True):
    """A development or design goal derived from one or more potentials."""

    __table_args__ = (UniqueConstraint("network_id", "title"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    kind: str = GoalKind.development
    title: str
    owner_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    indicator: str | None = None
    target_date: dt.date | None = None
    confirmed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    recorded_by: str
    recorded_by_ref: str | None = None  # domain.actors
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class GoalPotential(SQLModel, table=True):
    """Derivation: the goal derives from the potential."""

    goal_id: uuid.UUID = Field(foreign_key="goal.id", primary_key=True)
    potential_id: uuid.UUID = Field(foreign_key="potential.id", primary_key=True)


class ConsultationStatus(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


class Consultation(SQLModel, table=True):
    """The constitutive consultation (konstituierende Beratung): one per network."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", unique=True)
    status: str = ConsultationStatus.scheduled
    starts_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    place: str
    invitations_sent_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    held_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sequence: int = 0  # iCalendar SEQUENCE: raised on every change
    decisions: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("consultation_id", "organisation_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    consultation_id: uuid.UUID = Field(foreign_key="consultation.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    present: bool
    represented_by: str | None = None
    represented_by_ref: str | None = None  # domain.actors


class ProtocolStatus(StrEnum):
    draft = "draft"
    circulated = "circulated"
    approved = "approved"
    published = "published"


class Protocol(SQLModel, table=True):
    """The protocol of the consultation; approval freezes it with a content hash."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", unique=True)
    status: str = ProtocolStatus.draft
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    objection_deadline: dt.date | None = None
    circulated_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    approved_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    approved_by: str | None = None
    approved_by_ref: str | None = None  # domain.actors
    published_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    content_hash: str | None = None
    drafted_by: str
    drafted_by_ref: str | None = None  # domain.actors


class ProtocolObjection(SQLModel, table=True):
    """A partner's objection to a circulated draft; approval waits until all are resolved."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    protocol_id: uuid.UUID = Field(foreign_key="protocol.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id")
    text: str
    raised_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    resolution: str | None = None


class SubmissionReceipt(SQLModel, table=True):
    """A submission already taken, by its content (dedup in the database, so it holds across several
    dashboard workers): the same content through the same door again, even at the same moment in
    another process, stores nothing new (``key`` is unique; the loser is told "bereits erfasst")."""

    key: str = Field(primary_key=True)  # sha256 of the kind and the content (no text in clear)
    kind: str
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def submission_key(kind: str, *parts: object) -> str:
    """The receipt key of a submission: its kind and content, hashed."""
    return hashlib.sha256("\x1f".join([kind, *map(str, parts)]).encode("utf-8")).hexdigest()


class RecommendationStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"


class Recommendation(SQLModel, table=True):
    """A recommendation for the further work (Empfehlung für die Weiterarbeit), tracked."""

    __table_args__ = (UniqueConstraint("network_id", "title"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    title: str
    owner_organisation_id: uuid.UUID | None = Field(default=None, foreign_key="organisation.id")
    status: str = RecommendationStatus.open
    due: dt.date | None = None
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def content_hash(body: str) -> str:
    """SHA-256 of the protocol text, as frozen at approval."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
