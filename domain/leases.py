"""Schedule leases (issue 20): which process runs a scheduled job's slot, so that the embedded
schedules of ``verbund serve`` run once per slot however many workers (or servers) share a database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from verbund.domain.columns import UTCDateTime


class ScheduleLease(SQLModel, table=True):
    """The last slot of job ``name`` that a process took (``slot``: the slot's start, ISO, UTC)."""

    name: str = Field(primary_key=True, max_length=64)
    slot: str = ""
    holder: str = ""
    taken_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
