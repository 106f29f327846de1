"""Schedule leases (issue 20): a process takes a slot of a scheduled job at most once across every
process on the database (``verbund serve --workers N``, or several servers), with one row per job.

``take_slot`` raises the job's row to ``slot`` only if it is still below it, in one statement: on
SQLite the write lock, on PostgreSQL the row lock, lets exactly one of the competing processes see
its update take effect; the others find the slot taken and skip it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from verbund.domain.leases import ScheduleLease
from verbund.services.app.bootstrap import App

TABLE = ScheduleLease.__table__  # type: ignore[attr-defined]


def slot_name(start: dt.datetime) -> str:
    """A slot's name: its start in UTC, ISO; later slots sort after earlier ones."""
    return start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def take_slot(app: App, job: str, slot: str, holder: str) -> bool:
    """Whether this caller (``holder``) takes ``slot`` of ``job`` (False: another process has it)."""
    insert = postgresql.insert if app.engine.dialect.name == "postgresql" else sqlite.insert
    with app.uow(write=True) as uow:
        connection = uow.session.connection()
        connection.execute(insert(TABLE).values(name=job, slot="", holder="").on_conflict_do_nothing())
        taken = connection.execute(update(TABLE).where(TABLE.c.name == job, TABLE.c.slot < slot)
                                   .values(slot=slot, holder=holder, taken_at=app.wall_time()))
        uow.commit()
    return taken.rowcount == 1
