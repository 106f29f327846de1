"""The composition root of the service layer: engine, clock and trigger from settings.

Entry points (CLI, dashboard, flows' runtime) call ``bootstrap`` once; they choose the trigger
(``flows.trigger.make_trigger``) because services never import flows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from verbund.services.app.clock import Clock, SystemClock, parse_instant
from verbund.services.app.db import make_engine, migrate_if_behind
from verbund.services.app.notification_settings import NotificationSettings, default_mailbox_dir
from verbund.services.app.ports import NoTrigger, StageTrigger
from verbund.services.app.settings import Settings
from verbund.services.app.uow import UnitOfWork

if TYPE_CHECKING:
    from verbund.notifications import Notifier


@dataclass
class App:
    """What every use case needs: a unit-of-work factory, the clock and the stage trigger."""

    settings: Settings
    engine: Engine
    clock: Clock
    trigger: StageTrigger = field(default_factory=NoTrigger)
    notifier: Notifier | None = None  # None: built on first use from the settings (see ``notifications``)
    notification_settings: NotificationSettings = field(default_factory=NotificationSettings)

    def uow(self, *, write: bool = False, read_only: bool | None = None) -> UnitOfWork:
        """A unit of work; read-only unless the caller asks to write (``write=True``).

        A read never takes SQLite's write lock (``BEGIN`` instead of ``BEGIN IMMEDIATE``) and refuses
        to write or commit. Write use cases go through ``services.app.usecase.change``.
        """
        if read_only is not None and read_only == write:
            raise ValueError("uow(): write and read_only contradict each other")
        return UnitOfWork(self.engine, read_only=not write)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def wall_time(self) -> dt.datetime:
        """When something is recorded (real time, or the simulated clock in simulations)."""
        return self.clock.now()

    def notifications(self) -> Notifier:
        """The notifier; by default apprise with the ``local://`` mailbox (nothing connects before a send)."""
        if self.notifier is None:
            from verbund.notifications import AppriseNotifier

            folder = default_mailbox_dir(self.settings.database_url, self.notification_settings.mailbox_dir)
            self.notifier = AppriseNotifier(folder)
        return self.notifier


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    trigger: StageTrigger | None = None,
    migrate_database: bool = True,
    notifier: Notifier | None = None,
) -> App:
    settings = settings or Settings()
    engine = make_engine(settings.database_url)
    if migrate_database:  # one query when the schema is current (services.app.db)
        migrate_if_behind(engine)
    if clock is None:
        start = parse_instant(settings.now, "VERBUND_NOW") if settings.now else None
        clock = SystemClock(start)
    return App(settings=settings, engine=engine, clock=clock, trigger=trigger or NoTrigger(), notifier=notifier)
