"""Forecasts computed ahead (issue 19): one row per network, as-of day and data version.

The dashboard reads these rows and never runs the forecast while a page renders; the daily sweep
and a refresh after a change write them (``services.forecast.cache``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from verbund.domain.columns import JSONList, UTCDateTime, new_id


class ForecastEntry(SQLModel, table=True):
    """A network's forecast as of ``as_of`` for the data at ``version`` (``payload``: the JSON of
    ``verbund forecast`` for that network)."""

    __table_args__ = (
        UniqueConstraint("network", "as_of", "version"),
        # every page's stamp reads max(computed_at) (``services.access.page_view``): one index probe, no scan
        Index("ix_forecastentry_computed_at", "computed_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    network: str = Field(index=True)  # slug
    as_of: dt.date
    version: str
    risk: str
    p80: dt.date | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONList, nullable=False))
    computed_at: dt.datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
