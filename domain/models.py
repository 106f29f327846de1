"""The network structure: regions, networks, organisations, contacts and memberships.

Glossary: Kooperationsverbund / Regionales Bildungsnetzwerk → ``Network``; LaSuB-Standort,
Kreis or Schulamt → ``Region``; Schule / Träger / Partner → ``Organisation``;
Ansprechperson → ``Contact``; Zuordnung → ``Membership``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from sqlalchemy import Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from verbund.domain.columns import JSONList, UTCDateTime, new_id


class OrganisationKind(StrEnum):
    public_school = "public_school"
    private_school = "private_school"
    school_board = "school_board"  # Schulträger
    youth_welfare = "youth_welfare"  # Jugendhilfe
    social_welfare = "social_welfare"  # Sozialhilfe
    student_transport = "student_transport"  # Schülerbeförderung
    daycare = "daycare"  # Kita
    employment_agency = "employment_agency"  # Bundesagentur für Arbeit
    school_authority = "school_authority"  # Schulaufsicht / Schulamt
    vocational_school = "vocational_school"  # Berufskolleg (issue 8)
    education_provider = "education_provider"  # Bildungsträger (issue 8)
    company = "company"  # Betrieb (issue 8)
    business_association = "business_association"  # Wirtschaftsorganisation: Kammer, Verband (issue 8)
    other = "other"


KIND_LABELS: dict[str, str] = {
    "public_school": "Öffentliche Schule",
    "private_school": "Schule in freier Trägerschaft",
    "school_board": "Schulträger",
    "youth_welfare": "Träger der Jugendhilfe",
    "social_welfare": "Träger der Sozialhilfe",
    "student_transport": "Träger der Schülerbeförderung",
    "daycare": "Kindertageseinrichtung",
    "employment_agency": "Agentur für Arbeit",
    "school_authority": "Schulaufsicht",
    "vocational_school": "Berufskolleg",
    "education_provider": "Bildungsträger",
    "company": "Betrieb",
    "business_association": "Wirtschaftsorganisation",
    "other": "Sonstiger Partner",
}


class MembershipRole(StrEnum):
    member = "member"
    coordinator = "coordinator"
    steering_committee = "steering_committee"
    guest = "guest"


class Region(SQLModel, table=True):
    """The unit a process owner steers (Saxony: a LaSuB-Standort)."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(unique=True, index=True)
    name: str
    state: str = Field(max_length=2)  # Land code: SN, NW, HE
    parent: str | None = None


class Network(SQLModel, table=True):
    """A Kooperationsverbund: the unit taken through the template's stages."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(unique=True, index=True)
    name: str
    region_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    template: str
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Build-out doors (issue 13): the slug never changes; a closed network keeps its history.
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    closed_reason: str | None = None


class Organisation(SQLModel, table=True):
    """A school, a Schulträger or another partner; schools come from a source (import, sample)."""

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        # the dashboard's coverage count per region reads only this index (issue 5)
        Index("ix_organisation_coverage", "region_id", "kind", "in_scope", "closed_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    source: str
    source_id: str
    name: str
    kind: str = Field(index=True)
    region_id: uuid.UUID | None = Field(default=None, foreign_key="region.id", index=True)
    community: str | None = None
    community_key: str | None = None
    school_types: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    special_needs: list[str] = Field(
        default_factory=list, sa_column=Column(JSONList, nullable=False)
    )  # Förderschwerpunkte
    latitude: float | None = None
    longitude: float | None = None
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Import (issue 4): a public school to assign to a network, or why not (``domain.schools``).
    in_scope: bool = True
    out_of_scope_reason: str | None = None
    # Directory (issue 12): postal address, and the Land (code) of a Land-wide partner serving
    # networks in several regions (then ``region_id`` is None). ``community_key`` holds the AGS.
    address: str | None = None
    land: str | None = Field(default=None, max_length=2)
    # Dienststellenschlüssel (issue 13): joins coordinates; not unique (schools sharing it share them).
    service_key: str | None = Field(default=None, index=True)
    # Import (issue 16): blemishes the importer dropped from this school's record ("field: reason").
    import_notes: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))


class NotImportedSchool(SQLModel, table=True):
    """A row of a school file that looks like a public school in scope but could not be imported
    ("nicht importiert"), with the reason. Replaced by each import of its source; coverage shows it
    beside the region's figures (it does not block the analysis stage: it cannot be assigned)."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    source: str = Field(index=True)
    source_id: str | None = None
    name: str | None = None
    region_id: uuid.UUID = Field(foreign_key="region.id", index=True)
    location: str  # "Zeile N" or "JSON-Index N" in the imported file
    field: str
    reason: str
    recorded_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


# the partial index's condition as each database's SQL for ``active IS true AND email is non-empty``
REACHABLE_SQLITE = "active IS 1 AND email IS NOT NULL AND email <> ''"
REACHABLE_POSTGRESQL = "active IS TRUE AND email IS NOT NULL AND email <> ''"


class Contact(SQLModel, table=True):
    """An Ansprechperson of an organisation; channels are apprise URLs."""

    # "has this organisation an active contact with an e-mail address?" from a small index: the members
    # no message reaches (``services.messaging.reach``; on PostgreSQL one probe per member instead of
    # hashing every contact, issue 20)
    __table_args__ = (Index("ix_contact_reachable", "organisation_id",
                            sqlite_where=text(REACHABLE_SQLITE), postgresql_where=text(REACHABLE_POSTGRESQL)),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    name: str
    email: str | None = None
    function: str | None = None
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSONList, nullable=False))
    active: bool = True


class Membership(SQLModel, table=True):
    """An organisation's membership in a network, valid from a date until it ends."""

    # "is this organisation a member of any network now?" from the index alone (coverage, issue 5)
    __table_args__ = (Index("ix_membership_open", "organisation_id", "valid_to"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network_id: uuid.UUID = Field(foreign_key="network.id", index=True)
    organisation_id: uuid.UUID = Field(foreign_key="organisation.id", index=True)
    role: str = MembershipRole.member
    valid_from: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    valid_to: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Assignment (issue 4): a school's one Zuordnung; at most one open per organisation (unique index
    # ``ux_membership_one_assignment`` in ``domain.schools``); ``basis`` says which rule or who made it.
    exclusive: bool = False
    basis: str | None = None

    def active_at(self, at: dt.datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)
