"""Deadline extension: a process owner moves one network's stage due date later, with a reason.

The stage run's ``due`` moves; the audit event (``deadline_extended``) keeps the old and the new
date, so the report rebuilds the due date as it was on any day and shows extended deadlines as
such. Reminders and escalations are planned from ``due`` (``services.messaging.reminders``) and their
idempotency keys carry it, so they follow the new date at the next sweep.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from verbund.services.app.bootstrap import App
from verbund.services.app.lookup import network_by_slug, stage_run


def extend_deadline(app: App, network_slug: str, stage: str, *, until: dt.date, reason: str, by: str,
                    at: dt.datetime | None = None) -> dict[str, Any]:
    """Extend the stage's latest occurrence to ``until``; returns the stage's new due date and the old one."""
    at = at or app.now()
    with app.uow(write=True) as uow:
        session = uow.session
        network = network_by_slug(session, network_slug)
        run = stage_run(session, network, stage, lock=True)
        previous = run.due
        event = run.extend(until, at=at, recorded_at=app.wall_time(), actor=by, reason=reason)
        session.add(run)
        session.add(event)
        report = {"network": network.slug, "stage": run.stage, "cycle": run.cycle, "state": run.state,
                  "due": until.isoformat(), "previous_due": previous.isoformat() if previous else None,
                  "reason": event.reason, "by": by, "at": at.isoformat()}
        uow.commit()
    return report
