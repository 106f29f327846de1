"""The reminder sweep and the report read well in Prefect's own tools: tags ``kind:``/``region:`` and
a final state whose message says what the run did (counts and the file, never a person's name)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.utilities.asyncutils import run_coro_as_sync

from verbund.flows.reminders import reminder_sweep
from verbund.flows.report import build_report
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.stages.lifecycle import reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)


async def _run(run_id: uuid.UUID) -> Any:
    async with get_client() as client:
        (run,) = await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    return run


def test_the_reminder_sweep_is_tagged_and_says_its_counts(flow_app: App) -> None:
    build_sample_region(flow_app, at=START)
    reconcile_stage(flow_app, "kv-auental-nord", "analysis", START)
    at = (START + dt.timedelta(hours=1)).isoformat()

    state = run_coro_as_sync(reminder_sweep(at=at, return_state=True))
    counts = run_coro_as_sync(reminder_sweep(at=at))  # called plainly, the flow still returns the counts

    assert state is not None and state.is_completed() and state.name == "RemindersSent"
    report = state.result()
    assert report["planned"] > 0 and report["sent"] == report["planned"] and report["failed"] == 0
    assert state.message == (f"geplant {report['planned']}, gesendet {report['sent']}, fehlgeschlagen 0, "
                             f"unterdrückt {report['suppressed']}")
    assert counts["planned"] == 0  # each message once: the second sweep finds nothing new
    run = run_coro_as_sync(_run(state.state_details.flow_run_id))
    assert {"kind:reminders", "region:alle"} <= set(run.tags)
    assert run.state.message == state.message
    contact_names = {contact.name for contact in _contacts(flow_app)}
    assert not any(name in state.message for name in contact_names)


def test_the_report_run_is_tagged_with_its_region_and_names_its_file(flow_app: App, tmp_path: Path) -> None:
    region = build_sample_region(flow_app, at=START).region
    output = tmp_path / "stand.md"

    state = run_coro_as_sync(build_report(as_of="2019-09-30", format="md", output=str(output), region=region,
                                          return_state=True))

    assert state is not None and state.name == "ReportWritten"
    assert state.message == f"Bericht zum 2019-09-30 (md, 4 Verbünde): {output}"
    run = run_coro_as_sync(_run(state.state_details.flow_run_id))
    assert {"kind:report", f"region:{region}"} <= set(run.tags)


def _contacts(app: App) -> list[Any]:
    from sqlmodel import select

    from verbund.domain.models import Contact

    with app.uow() as uow:
        return list(uow.session.exec(select(Contact)).all())
