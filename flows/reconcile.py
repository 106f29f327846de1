"""The reconcile sweep: run the stage flows whose trigger a crash lost (the trigger outbox).

A use case records each touched stage in ``pending_trigger`` in its own transaction; the stage's
reconcile deletes the row. What is left was committed but never reconciled (the process died
between the commit and the trigger, or the flow failed). ``sweep_pending`` runs those stage flows
in this process, oldest first, each at its change's domain time.

It runs at the start of ``verbund serve``, ``verbund demo`` and every command that runs flows, every
few minutes inside ``verbund serve`` (embedded mode), and on a server as the deployment
``reconcile-sweep`` (every five minutes). With nothing pending it costs one query and no flow run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

from prefect import flow

from verbund.services.app.bootstrap import App
from verbund.services.stages.triggers import SweepReport, pending, sweep

log = logging.getLogger("verbund.reconcile")

SWEEP_MINUTES = 5  # the schedule, in `verbund serve` and as the deployment's cron
GRACE = dt.timedelta(minutes=1)  # on a schedule: leave a fresh trigger to the run it has started


def run_in_process(network: str, stage: str, at: dt.datetime) -> None:
    """The stage's flow chain, here and now (raises what it raises: the sweep counts it)."""
    from prefect.utilities.asyncutils import run_coro_as_sync

    from verbund.flows.local_server import own_ephemeral_server
    from verbund.flows.stage import run_stage
    from verbund.flows.trigger import region_of

    own_ephemeral_server()
    run_coro_as_sync(run_stage(network, stage, region_of(network), at.isoformat()))


def sweep_pending(app: App, *, older_than: dt.timedelta | None = None) -> SweepReport:
    """Run what the trigger outbox holds; nothing pending: one query, no flow."""
    if not pending(app, older_than=older_than):
        return SweepReport()
    report = sweep(app, run_in_process, older_than=older_than)
    if report.ran:
        log.warning("Abgleich nachgeholt: %d Stufenläufe, %d erledigt%s", report.ran, report.settled,
                    f", offen: {'; '.join(report.failed)}" if report.failed else "")
    return report


def sweep_at_start(app: App) -> SweepReport:
    """At a command's start: never fatal (the command's own work goes on; the next start retries)."""
    try:
        return sweep_pending(app)
    except Exception as error:
        log.error("Abgleich offener Auslöser beim Start fehlgeschlagen: %s", error)
        return SweepReport(failed=[str(error)[:300]])


@flow(name="reconcile-sweep", flow_run_name="reconcile-sweep")
async def reconcile_sweep() -> dict[str, Any]:
    """Run the stage flows whose trigger is still pending (older than a minute)."""
    from verbund.flows.runtime import get_app

    report = await asyncio.to_thread(sweep_pending, get_app(), older_than=GRACE)
    return report.to_dict()
