"""The embedded schedules of ``verbund serve`` and its uvicorn workers (issue 20).

Every serving process (the one process, or each of ``--workers N``) runs the schedules — the daily
reminder sweep at 08:00 Europe/Berlin and the reconcile sweep every few minutes — and takes each
slot through a lease row in the database (``services.app.leases``): whichever process takes a slot
runs it, the others skip it, so a slot runs once however many workers or servers share the database,
and a slot still runs if one worker is busy or gone. ``VERBUND_SWEEP_INTERVAL=SECONDS`` runs the
reminder sweep every SECONDS instead of daily (for tests and trials).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from verbund.services.app.bootstrap import App

log = logging.getLogger("verbund.serve")
WORKERS_ENV = "VERBUND_SERVE_OPTIONS"  # how the parent tells its workers which schedules to run
NextSlot = Callable[[dt.datetime], dt.datetime]


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def daily_at(hour: int) -> NextSlot:
    def next_slot(now: dt.datetime) -> dt.datetime:
        from verbund.services.app.clock import BERLIN

        local = now.astimezone(BERLIN)
        target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
        return target if target > local else target + dt.timedelta(days=1)
    return next_slot


def every(seconds: float) -> NextSlot:
    def next_slot(now: dt.datetime) -> dt.datetime:
        epoch = now.timestamp()
        return dt.datetime.fromtimestamp((epoch // seconds + 1) * seconds, dt.UTC)
    return next_slot


def run_schedule(app: App, job: str, label: str, next_slot: NextSlot, action: Callable[[], None],
                 stop: threading.Event) -> None:
    """Until ``stop``: wait for the next slot, take it (or leave it to the process that did), run ``action``."""
    from verbund.services.app.leases import slot_name, take_slot

    while True:
        now = dt.datetime.now(dt.UTC)
        start = next_slot(now)
        if stop.wait(max(0.0, (start - now).total_seconds())):
            return
        slot = slot_name(start)
        try:
            mine = take_slot(app, job, slot, holder())
        except Exception as error:  # the database is away: the next slot tries again
            log.error("%s: Zeitfenster %s nicht vergeben: %s", label, slot, type(error).__name__)
            continue
        if not mine:
            continue
        print(f"{label}: Zeitfenster {slot} läuft in Prozess {os.getpid()}", flush=True)
        try:
            action()
        except Exception as error:  # never fatal for the server; the next slot repeats it
            log.error("%s fehlgeschlagen: %s", label, error)


def start_schedules(app: App, stop: threading.Event, *, sweep: bool) -> None:
    """The reminder sweep (``sweep``) and the reconcile sweep as daemon threads of this process."""
    from verbund.cli.dashboard import SWEEP_HOUR, refresh_forecasts_once, run_sweep_once
    from verbund.flows.reconcile import GRACE, SWEEP_MINUTES, sweep_pending

    def reminders() -> None:
        run_sweep_once()
        refresh_forecasts_once()

    if sweep:
        interval = os.environ.get("VERBUND_SWEEP_INTERVAL")
        slots = every(float(interval)) if interval else daily_at(SWEEP_HOUR)
        threading.Thread(target=run_schedule, args=(app, "reminder-sweep", "Erinnerungslauf", slots, reminders, stop),
                         name="reminder-sweep", daemon=True).start()
    threading.Thread(target=run_schedule, args=(app, "reconcile", "Abgleich offener Auslöser",
                                                every(SWEEP_MINUTES * 60),
                                                lambda: sweep_pending(app, older_than=GRACE), stop),
                     name="reconcile-sweep", daemon=True).start()


def default_workers(database_url: str) -> int:
    """1 on SQLite (one writer at a time: more workers bring back lock waits); on PostgreSQL half the
    cores, at least 1: each worker keeps its own page cache, so N workers render every first view N
    times, and the database server beside them needs CPU too. Measured on 2 cores (issue 20,
    docs/dashboard.md): 2 workers cost 19.1 ms of CPU per page (server + database) against 13.4 ms
    with 1, for the same pages served; more cores are not measured."""
    return max(1, (os.cpu_count() or 1) // 2) if database_url.startswith("postgresql") else 1


def worker_app() -> FastAPI:
    """The app of one uvicorn worker (``--workers N``): its own service layer and its own schedules."""
    from contextlib import asynccontextmanager

    from verbund.cli.embedded import is_prefect_start_failure
    from verbund.dashboard import create_app
    from verbund.dashboard.app import settle_heap
    from verbund.flows.runtime import use_app
    from verbund.flows.trigger import execution_mode, make_trigger
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.settings import Settings

    settings = Settings()  # the parent has migrated the database; workers must not race on it
    app = bootstrap(settings, trigger=make_trigger(settings, raise_if=is_prefect_start_failure),
                    migrate_database=False)
    use_app(app)
    web = create_app(app)
    stop = threading.Event()
    embedded = execution_mode(app.settings) == "embedded"
    if embedded:
        start_schedules(app, stop, sweep=os.environ.get(WORKERS_ENV, "") != "no-sweep")
    settle_heap()  # as the single-process server: freeze the start-up objects, rarer young collections
    inner = web.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI):  # type: ignore[no-untyped-def]
        async with inner(application) as state:
            yield state
        stop.set()

    web.router.lifespan_context = lifespan
    return web
