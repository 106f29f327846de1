"""Data versions (issue 20): how often what a dashboard page shows has changed, one counter per
network and one per region (not one global row, which every writer would queue on).

Every committed change raises the counters of the networks and regions it touched, in its own
transaction (``services.app.versions``); the dashboard keys its cache of rendered pages and its
``ETag`` by them, so no process ever serves a page older than a commit it can see.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """The counter of one network (``kind`` ``network``) or region (``region``); absent means 0."""

    kind: str = Field(primary_key=True, max_length=16)
    id: uuid.UUID = Field(primary_key=True)
    version: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
