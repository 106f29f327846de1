"""The reminder sweep flow: plan what is due from the domain state and send it (claim, send, mark).

Deployed as ``verbund.flows.reminders:reminder_sweep`` (cron 08:00 Mon–Fri Europe/Berlin; on a server all
workers' mail shares the global rate limit ``mail``);
``verbund remind`` runs it once at "now".
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, task
from prefect.client.schemas.objects import State
from prefect.concurrency.sync import rate_limit
from prefect.states import Completed

from verbund.flows.naming import MAIL_RATE_LIMIT, run_tags, tag_current_run
from verbund.flows.runtime import get_app, instant
from verbund.flows.stage import transient
from verbund.flows.trigger import execution_mode
from verbund.notifications import Notifier, OutgoingMessage
from verbund.services.app.bootstrap import App
from verbund.services.messaging.outbox import sweep


class RateLimitedNotifier:
    """Takes a slot of the server's global rate limit ``mail`` before each message, so all workers
    together send no faster than the limit allows (``deployments/deploy.py`` creates it)."""

    def __init__(self, inner: Notifier, limit: str = MAIL_RATE_LIMIT) -> None:
        self.inner = inner
        self.limit = limit

    def send(self, message: OutgoingMessage) -> None:
        rate_limit(self.limit, occupy=1, strict=False)  # a server without the limit: no throttling
        self.inner.send(message)


def rate_limited(app: App) -> App:
    """On a Prefect server, the app's notifier behind the mail rate limit (once); embedded: as is."""
    if execution_mode(app.settings) == "deployments" and not isinstance(app.notifier, RateLimitedNotifier):
        app.notifier = RateLimitedNotifier(app.notifications())
    return app



@task(task_run_name="sweep · {at}", retries=3, retry_delay_seconds=[1, 5, 15], retry_condition_fn=transient)
async def run_sweep(at: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """One sweep in a worker thread; the outbox makes a retry safe (same keys, claimed items)."""
    app = rate_limited(get_app())
    report = await asyncio.to_thread(sweep, app, instant(at), dry_run=dry_run)
    return report.to_dict()


@flow(name="reminder-sweep", flow_run_name="reminders · {at}", log_prints=True)
async def reminder_sweep(at: str | None = None, dry_run: bool = False) -> State[dict[str, Any]]:
    """Decide what is due at ``at`` (default: now) and send it; the result is the counts.

    Tags ``kind:reminders``, ``region:alle``; the final state (``RemindersSent``, or
    ``RemindersFailed`` when a message failed for good) says the counts, never a person's name.

    First the stage flows whose trigger a crash lost (``flows.reconcile``): a consultation that was
    held must not be reminded of as if it were still ahead.
    """
    await tag_current_run(run_tags("reminders", None))
    if not dry_run:
        from verbund.flows.reconcile import sweep_pending

        await asyncio.to_thread(sweep_pending, get_app())
    report: dict[str, Any] = await run_sweep(at, dry_run)
    counts = (f"geplant {report['planned']}, gesendet {report['sent']}, fehlgeschlagen {report['failed']}, "
              f"unterdrückt {report['suppressed']}")
    print(counts)
    name = "RemindersFailed" if report["failed"] else "RemindersSent"
    return Completed(name=name, message=("Probelauf: " if dry_run else "") + counts, data=report)
