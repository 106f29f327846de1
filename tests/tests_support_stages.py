"""Test support: bring a network's stage to ``open`` the way a process owner would (input follows
the stage: a pending stage accepts none). The stages before it are waived with a reason."""

from __future__ import annotations

import datetime as dt

from verbund.services.app.bootstrap import App
from verbund.services.stages.lifecycle import network_stage_names, reconcile_stage, show_stage, waive_stage

PROCESS_OWNER = "po@example.org"


def open_stage(app: App, network: str, stage: str, at: dt.datetime, *, by: str = PROCESS_OWNER) -> None:
    """Waive every stage before ``stage`` that is not done, then reconcile ``stage`` (it opens)."""
    for name in network_stage_names(app, network):
        if name == stage:
            break
        reconcile_stage(app, network, name, at)
        if show_stage(app, network, name, at)["state"] not in ("completed", "waived"):
            waive_stage(app, network, name, reason="im Test übersprungen", by=by, at=at)
    reconcile_stage(app, network, stage, at)
