"""The reminder sweep flow: plan what is due from the domain state and send it (claim, send, mark).

Deployable as ``flows/reminders.py:reminder_sweep`` (the daily schedule is the scale-out issue's);
``verbund remind`` runs it once at "now".
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, task
from sqlalchemy.exc import OperationalError

from flows.runtime import get_app, instant
from services.outbox import sweep


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False


@task(task_run_name="sweep · {at}", retries=3, retry_delay_seconds=[1, 5, 15], retry_condition_fn=_transient)
async def run_sweep(at: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """One sweep in a worker thread; the outbox makes a retry safe (same keys, claimed items)."""
    app = get_app()
    report = await asyncio.to_thread(sweep, app, instant(at), dry_run=dry_run)
    return report.to_dict()


@flow(name="reminder-sweep", flow_run_name="reminders · {at}", log_prints=True)
async def reminder_sweep(at: str | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Decide what is due at ``at`` (default: now) and send it; returns the counts."""
    report: dict[str, Any] = await run_sweep(at, dry_run)
    print(f"geplant {report['planned']}, gesendet {report['sent']}, fehlgeschlagen {report['failed']}, "
          f"unterdrückt {report['suppressed']}")
    return report
