"""Messages sent and failed, read from the outbox table when the database has one.

The outbox belongs to the notifications feature; the report reads its table by name (no import of
that code) and says "nicht verfügbar" where there is none. A failed item has no failure time: the
last claim (``claimed_at``), else ``send_after``, else ``created_at`` stands for it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Column, MetaData, String, Table, Uuid, func, inspect, select
from sqlmodel import Session

from verbund.domain.columns import UTCDateTime

TABLE = "outboxitem"
FAILED_TIME_COLUMNS = ("claimed_at", "send_after", "created_at")


@dataclass
class MessageLog:
    """Per network: instants of sent and of failed messages, sorted."""

    sent: dict[uuid.UUID, list[dt.datetime]] = field(default_factory=lambda: defaultdict(list))
    failed: dict[uuid.UUID, list[dt.datetime]] = field(default_factory=lambda: defaultdict(list))

    def count(self, network_ids: set[uuid.UUID], before: dt.datetime) -> tuple[int, int]:
        sent = sum(1 for n in network_ids for at in self.sent.get(n, ()) if at < before)
        failed = sum(1 for n in network_ids for at in self.failed.get(n, ()) if at < before)
        return sent, failed


def load_messages(session: Session, network_ids: set[uuid.UUID]) -> MessageLog | None:
    """``None`` when there is no outbox table (or it lacks the columns the figures need)."""
    inspector = inspect(session.connection())
    if not inspector.has_table(TABLE):
        return None
    present = {column["name"] for column in inspector.get_columns(TABLE)}
    if not {"network_id", "status", "sent_at"} <= present:
        return None
    failed_columns = [name for name in FAILED_TIME_COLUMNS if name in present]
    table = Table(
        TABLE, MetaData(), Column("network_id", Uuid()), Column("status", String()),
        *(Column(name, UTCDateTime()) for name in {"sent_at", *failed_columns}),
    )
    log = MessageLog()
    sent = select(table.c.network_id, table.c.sent_at).where(table.c.status == "sent", table.c.sent_at.is_not(None))
    for network_id, sent_at in session.execute(sent):
        if network_id in network_ids:
            log.sent[network_id].append(sent_at)
    if failed_columns:
        when = func.coalesce(*(table.c[name] for name in failed_columns), type_=UTCDateTime()).label("failed_at")
        failed = select(table.c.network_id, when).where(table.c.status == "failed")
        for network_id, failed_at in session.execute(failed):
            if network_id in network_ids and failed_at is not None:
                log.failed[network_id].append(failed_at)
    return log
