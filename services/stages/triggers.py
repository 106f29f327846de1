"""The trigger outbox's other half: what a reconcile has seen, and the reconcile sweep.

A use case writes a ``pending_trigger`` row per touched stage in its own transaction
(``services.app.usecase``). The reconcile of that stage deletes the rows it saw (``seen`` at its start,
``settle`` before its commit), so a row disappears only once a reconcile has taken its change into
account. The sweep runs what is left, oldest first, at each row's own domain time, so that a
re-run after a crash replays the lost triggers as they would have happened. Running the sweep again
finds nothing: it costs one query.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, select

from verbund.domain.models import Network
from verbund.domain.stages import PendingTrigger
from verbund.services.app.bootstrap import App

log = logging.getLogger("verbund.triggers")

MAX_ATTEMPTS = 5  # a trigger whose reconcile keeps failing is left for a person (listed, not retried)


def seen(session: Session, network: Network, stage: str, at: dt.datetime) -> list[uuid.UUID]:
    """The rows a reconcile at ``at`` takes care of; read first thing in its transaction, so a row
    committed while it runs is left for the next reconcile (PostgreSQL reads committed rows)."""
    return list(session.exec(select(PendingTrigger.id).where(
        PendingTrigger.network_id == network.id, PendingTrigger.stage == stage, col(PendingTrigger.at) <= at,
    )).all())


def settle(session: Session, ids: list[uuid.UUID]) -> None:
    """Delete the rows the reconcile has seen (in its transaction: they go with its commit)."""
    if ids:
        session.exec(delete(PendingTrigger).where(col(PendingTrigger.id).in_(ids)))


@dataclass(frozen=True)
class Pending:
    network: str
    stage: str
    at: dt.datetime
    attempts: int


def pending(app: App, *, older_than: dt.timedelta | None = None) -> list[Pending]:
    """Triggers not yet reconciled, oldest domain time first (``older_than``: recorded before that long ago)."""
    with app.uow() as uow:
        query = (select(Network.slug, PendingTrigger.stage, PendingTrigger.at, PendingTrigger.attempts)
                 .join(Network, col(Network.id) == col(PendingTrigger.network_id))
                 .order_by(col(PendingTrigger.at), col(PendingTrigger.recorded_at)))
        if older_than is not None:
            query = query.where(col(PendingTrigger.recorded_at) <= app.wall_time() - older_than)
        return [Pending(slug, stage, at, attempts) for slug, stage, at, attempts in uow.session.exec(query).all()]


@dataclass
class SweepReport:
    ran: int = 0
    settled: int = 0
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"ran": self.ran, "settled": self.settled, "failed": list(self.failed)}


def sweep(app: App, run: Callable[[str, str, dt.datetime], None], *,
          older_than: dt.timedelta | None = None) -> SweepReport:
    """Run every pending trigger once (``run(network, stage, at)`` runs the stage's flow chain).

    Oldest first; a run that leaves its row behind (the flow failed) counts an attempt and the sweep
    moves on. Idempotent: what a run settled is not run again; with nothing pending it does nothing.
    """
    report = SweepReport()
    done: set[tuple[str, str, dt.datetime]] = set()
    for _round in range(1000):  # bounded: every round settles or skips at least one row
        rows = [p for p in pending(app, older_than=older_than)
                if p.attempts < MAX_ATTEMPTS and (p.network, p.stage, p.at) not in done]
        if not rows:
            break
        row = rows[0]
        done.add((row.network, row.stage, row.at))
        report.ran += 1
        error = ""
        try:
            run(row.network, row.stage, row.at)
        except Exception as caught:  # the change is stored; the row stays for the next sweep
            error = f"{type(caught).__name__}: {caught}"[:300]
        if _still_pending(app, row):
            _count_attempt(app, row, error or "Abgleich lief, Auslöser blieb offen")
            report.failed.append(f"{row.stage} · {row.network} ({row.at.isoformat()}): {error or 'offen'}")
            log.warning("Abgleich nicht erledigt: %s · %s: %s", row.stage, row.network, error or "offen")
        else:
            report.settled += 1
    return report


def _where(row: Pending):  # type: ignore[no-untyped-def]
    network = select(Network.id).where(Network.slug == row.network).scalar_subquery()
    return ((col(PendingTrigger.network_id) == network) & (PendingTrigger.stage == row.stage)
            & (col(PendingTrigger.at) == row.at))


def _still_pending(app: App, row: Pending) -> bool:
    with app.uow() as uow:
        return uow.session.exec(select(PendingTrigger.id).where(_where(row))).first() is not None


def _count_attempt(app: App, row: Pending, error: str) -> None:
    with app.uow(write=True) as uow:
        for found in uow.session.exec(select(PendingTrigger).where(_where(row))).all():
            found.attempts += 1
            found.last_error = error
            uow.session.add(found)
        uow.commit()
