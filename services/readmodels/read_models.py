"""Typed shapes of the read models the JSON API returns (``/openapi.json`` documents them).

The service functions build plain dicts (the dashboard's templates and the CLI's ``--json`` read them);
these pydantic models are their declared shape: the API routes name them as ``response_model``, so
FastAPI validates every answer against them and the schema tells scripts what they get. Dates stay
ISO strings as documented in docs/cli.md (``2019-09-24T07:00:00+00:00``, never pydantic's ``Z``).
Fields may be added (``extra="allow"``: a newer service field passes through), never renamed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Me(_Model):
    email: str
    name: str
    role: str
    lands: list[str]
    regions: list[str]
    networks: list[str]


class StageCell(_Model):
    name: str
    state: str | None = Field(description="pending, open, ready, completed, waived; null: no such stage")
    due: str | None
    overdue: bool
    completed_at: str | None


class MessageCounts(_Model):
    sent: int
    failed: int


class OverviewRow(_Model):
    slug: str
    name: str
    region: str
    land: str
    template: str
    stages: list[StageCell]
    messages: MessageCounts


class RegionCoverage(_Model):
    slug: str
    name: str
    land: str


class Overview(_Model):
    stages: list[str] = Field(description="the column order: stage names of the shown networks' templates")
    networks: list[OverviewRow]
    total: int
    page: int
    pages: int
    regions: list[RegionCoverage]
    today: str


class AuditEntry(_Model):
    at: str | None
    actor: str | None
    entity: str | None = None
    action: str
    from_: str | None = Field(alias="from")
    to: str | None
    reason: str | None
    cycle: int | None = None


class StageCycle(_Model):
    cycle: int
    state: str
    due: str | None
    completed_at: str | None


class StageView(_Model):
    network: str
    network_name: str | None = None
    stage: str
    title: str
    cycle: int
    state: str
    due: str | None
    opened_at: str | None
    completed_at: str | None
    waiver_reason: str | None
    reopened_at: str | None = None
    sign_off: bool
    unmet: list[str]
    events: list[AuditEntry]
    recurring: bool
    after: list[str]
    cycles: list[StageCycle]


class MemberContact(_Model):
    id: str
    name: str
    function: str | None
    channels: int = Field(description="how many channels (never the channels themselves)")


class Member(_Model):
    organisation_id: str
    name: str
    kind: str
    kind_label: str
    role: str
    since: str | None
    contacts: list[MemberContact]


class NetworkStage(_Model):
    name: str
    title: str
    cycle: int
    state: str
    due: str | None
    overdue: bool
    opened_at: str | None
    completed_at: str | None
    waiver_reason: str | None
    sign_off: bool
    events: list[dict[str, Any]]
    prefect_runs: str | None


class NetworkMessage(_Model):
    kind: str
    stage: str | None
    contact: str
    status: str
    attempts: int
    due: str | None
    sent_at: str | None


class NetworkPage(_Model):
    slug: str
    name: str
    region: str
    region_name: str
    land: str
    template: str
    members: list[Member]
    stages: list[NetworkStage]
    other_events: list[dict[str, Any]]
    analysis: list[dict[str, Any]]
    potentials: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    consultation: dict[str, Any] | None
    rsvps: list[dict[str, Any]]
    protocol: dict[str, Any] | None
    recommendations: list[dict[str, Any]]
    messages: list[NetworkMessage]
    governance: dict[str, Any]
    message_list: dict[str, Any] | None = Field(default=None, description="{total, by_status, page, pages, kind, "
                                                "status} of ``messages`` (issue 20)")
    glance: dict[str, Any] | None = Field(default=None, description="{open: [{name, title, state, due, overdue, "
                                          "unmet, missing}], next_due, open_votes} (issue 20)")


class ForecastStage(_Model):
    name: str
    cycle: int
    state: str
    nominal: int = Field(description="the template's due_business_days")
    minimum: int
    basis: dict[str, Any] | None = Field(description="{source: region|land|prior, n, censored, waived}; null: done")
    spent: int | None
    tail: bool
    p_waived: float
    delay: float


class NetworkForecast(_Model):
    """Issue 19: one network's forecast as computed ahead (docs/forecast.md)."""

    as_of: str
    slug: str
    region: str
    template: str
    target: str
    done: bool
    p50: str | None = Field(description="null: beyond the ten-year horizon")
    p80: str | None
    p95: str | None
    p_done_by_target: float
    plan: dict[str, Any]
    risk: str = Field(description="im Plan, gefährdet, verfehlt, stockt")
    risk_key: str
    delay_stage: str | None
    stages: list[ForecastStage]


class StatusStage(_Model):
    name: str
    cycle: int
    state: str
    due: str | None = Field(description="YYYY-MM-DD")
    completed_at: str | None = Field(description="ISO 8601 with offset (…+00:00)")


class UnreachableOrganisation(_Model):
    name: str
    reason: str


class UnreachableMembers(_Model):
    count: int
    organisations: list[UnreachableOrganisation]


class StatusNetwork(_Model):
    slug: str
    name: str
    region: str
    template: str
    stages: list[StatusStage]
    unreachable_members: UnreachableMembers


class Status(_Model):
    """``verbund status --json`` (CONTRACTS.md)."""

    networks: list[StatusNetwork]


class OutboxMessage(_Model):
    key: str
    delivery: str | None = Field(description="null: not yet planned into a delivery (e.g. an announcement)")
    contact: str
    network: str
    stage: str | None
    kind: str
    status: str
    attempts: int
    sent_at: str | None
    last_error: str | None = Field(description="never with credentials")


class Outbox(_Model):
    """``verbund outbox --json``."""

    messages: list[OutboxMessage]


class RegionCoverageRow(_Model):
    slug: str
    name: str
    state: str
    parent: str | None
    schools_in_scope: int
    assigned: int
    unassigned: int
    assigned_twice: int
    not_imported: int
    unreachable_members: UnreachableMembers


class StateCoverage(_Model):
    state: str
    schools_in_scope: int
    assigned: int
    unassigned: int
    assigned_twice: int
    not_imported: int


class Coverage(_Model):
    """``verbund coverage --json`` (docs/import.md)."""

    as_of: str
    regions: list[RegionCoverageRow]
    states: list[StateCoverage]
    out_of_scope: list[dict[str, Any]]
    not_imported: list[dict[str, Any]]


def as_json(model: type[BaseModel], data: Any) -> Any:
    """``data`` validated against its declared shape, as the JSON the CLI prints (keys as documented)."""
    return model.model_validate(data).model_dump(mode="json", by_alias=True)
