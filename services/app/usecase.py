"""The skeleton of every write use case: open a unit of work, change and audit, record which stages
must be reconciled (the trigger outbox) in the same transaction, commit, then trigger each stage once.

    with change(app, at) as work:
        network = network_by_slug(work.session, slug)
        ...                                    # load, check, change
        work.audit(network, by, "analysis", "analysis_entry", "recorded", "3 Einträge")
        work.touch(network, "analysis")        # this stage's flow must see the change

Leaving the block normally commits; an exception rolls back and triggers nothing. ``work.discard()``
(a dry run) rolls back too. A crash after the commit loses no trigger: the ``pending_trigger`` rows
stay until a reconcile of that stage has seen them, and the reconcile sweep
(``services.stages.triggers``) runs what is left at the next start and on a schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from verbund.domain.errors import AlreadyRecorded
from verbund.domain.models import Network
from verbund.domain.stages import AuditEvent, PendingTrigger
from verbund.domain.work import SubmissionReceipt, submission_key
from verbund.services.app.bootstrap import App

T = TypeVar("T")


@dataclass
class Change:
    """An open write use case: its session, its domain time and the stages it touched."""

    app: App
    session: Session
    at: dt.datetime
    touched: dict[tuple[str, str], None] = field(default_factory=dict)  # (network slug, stage), in order
    keep: bool = True

    def touch(self, network: Network | str, stage: str | None) -> None:
        """Ask for ``stage`` of ``network`` to be reconciled after the commit (``None``: nothing)."""
        if stage:
            self.touched[(network if isinstance(network, str) else network.slug, stage)] = None

    def touch_all(self, network: Network | str, stages: Iterable[str | None]) -> None:
        for stage in stages:
            self.touch(network, stage)

    def audit(
        self, network: Network | None, actor: str, stage: str | None, entity: str, action: str,
        reason: str | None = None, *, cycle: int | None = None, detail: dict[str, Any] | None = None,
    ) -> None:
        """An audit row at the use case's domain time, recorded now (wall time)."""
        self.session.add(AuditEvent(
            at=self.at, recorded_at=self.app.wall_time(), actor=actor,
            network_id=network.id if network is not None else None, stage=stage, cycle=cycle,
            entity=entity, action=action, reason=reason, detail=detail or {},
        ))

    def receipt(self, kind: str, *content: object) -> None:
        """Take this submission once (content dedup in the database): the same ``kind`` and content
        committed already, or being committed by a concurrent twin, raises ``IntegrityError`` here (on
        PostgreSQL after the twin's commit), which ``once_more_on_conflict`` turns into a re-run."""
        self.session.add(SubmissionReceipt(key=submission_key(kind, *content), kind=kind,
                                           recorded_at=self.app.wall_time()))
        self.session.flush()

    def discard(self) -> None:
        """Roll back instead of committing (dry runs): nothing is stored, nothing triggered."""
        self.keep = False


@contextmanager
def change(app: App, at: dt.datetime | None = None) -> Iterator[Change]:
    """A write use case (see the module docstring); ``at`` defaults to the app's clock."""
    work: Change
    with app.uow(write=True) as uow:
        work = Change(app, uow.session, at or app.now())
        yield work
        if not work.keep:
            return
        record_triggers(uow.session, work.touched, work.at, app.wall_time())
        uow.commit()
    for network, stage in work.touched:
        app.trigger(network, stage, work.at)


def record_triggers(session: Session, touched: Iterable[tuple[str, str]], at: dt.datetime,
                    recorded: dt.datetime) -> None:
    """One trigger-outbox row per touched stage, in the caller's transaction."""
    pairs = list(touched)
    if not pairs:
        return
    slugs = {slug for slug, _stage in pairs}
    ids = dict(session.exec(select(Network.slug, Network.id).where(Network.slug.in_(slugs))).all())  # type: ignore[attr-defined]
    for slug, stage in pairs:
        if slug in ids:
            session.add(PendingTrigger(network_id=ids[slug], stage=stage, at=at, recorded_at=recorded))


def once_more_on_conflict(use_case: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a use case; if its commit lost a race on a unique constraint (two identical submissions
    at the same moment, from two dashboard workers), run it once more: it then sees the winner's
    committed rows and answers as for a replay (an upsert updates, a dedup says "bereits erfasst").
    Losing twice is answered with ``AlreadyRecorded``, never with the database's error. Safe because
    a use case that raised stored nothing and triggered nothing (``change`` rolls back)."""
    try:
        return use_case(*args, **kwargs)
    except IntegrityError:
        pass
    try:
        return use_case(*args, **kwargs)
    except IntegrityError as error:
        raise AlreadyRecorded() from error
