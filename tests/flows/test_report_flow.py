"""The report flow on a real Prefect API: writes the file, names its run, publishes the summary."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from prefect.utilities.asyncutils import run_coro_as_sync

from verbund.flows.report import build_report
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.report import build_report as report_figures
from verbund.services.stages.lifecycle import reconcile_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)


async def _report_state(**parameters: Any) -> Any:
    """The flow run's final state (``return_state``: a failure comes back as a state, not raised)."""
    return await build_report(return_state=True, **parameters)


async def _latest_artifact(key: str) -> Any:
    async with get_client() as client:
        found = await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return found[-1] if found else None


async def _run_name(run_id: uuid.UUID) -> str:
    async with get_client() as client:
        (run,) = await client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    return run.name


def test_the_report_flow_writes_the_report_and_publishes_its_summary_as_markdown(
    flow_app: App, tmp_path: Path
) -> None:
    region = build_sample_region(flow_app, at=START).region
    for network in ("kv-auental-nord", "kv-auental-sued"):
        reconcile_stage(flow_app, network, "analysis", START)
    output = tmp_path / "berichte" / "stand-{as_of}.{format}"

    state = run_coro_as_sync(_report_state(as_of="2019-09-30", format="md", output=str(output), region=region))

    assert state is not None and state.is_completed() and state.name == "ReportWritten"
    written = tmp_path / "berichte" / "stand-2019-09-30.md"
    content = written.read_text(encoding="utf-8")
    assert content.startswith("# Stand des Aufbaus der Kooperationsverbünde")
    expected = report_figures(flow_app, dt.date(2019, 9, 30), region=region).summary
    assert expected in content
    assert run_coro_as_sync(_run_name(state.state_details.flow_run_id)) == "report · 2019-09-30"

    artifact = run_coro_as_sync(_latest_artifact(f"report-summary-{region}"))
    assert artifact is not None and artifact.type == "markdown"
    assert artifact.flow_run_id == state.state_details.flow_run_id
    assert "Stichtag 30.09.2019" in artifact.data and expected in artifact.data
    assert "stand-2019-09-30.md" in artifact.data


def test_the_report_flow_refuses_an_unknown_format_before_writing_anything(flow_app: App, tmp_path: Path) -> None:
    build_sample_region(flow_app, at=START)
    folder = tmp_path / "berichte"
    state = run_coro_as_sync(_report_state(as_of="2019-09-30", format="docx", output=str(folder / "b.{format}")))
    assert state is not None and state.is_failed()
    assert "--format: 'docx' unbekannt" in str(state.message)
    assert not folder.exists()


def test_a_scheduled_report_without_output_lands_where_the_dashboard_lists_reports(
    flow_app: App, tmp_path: Path, monkeypatch: Any
) -> None:
    from verbund.services.readmodels.report_files import FILE_NAME, report_folder

    monkeypatch.setenv("VERBUND_REPORT_DIR", str(tmp_path / "ablage"))
    region = build_sample_region(flow_app, at=START).region
    for scope in (region, None):
        state = run_coro_as_sync(_report_state(as_of="2019-09-30", format="csv", region=scope))
        assert state is not None and state.is_completed(), state
    written = sorted(path.name for path in report_folder(flow_app).iterdir())
    assert written == sorted([f"stand-2019-09-30-{region}.csv", "stand-2019-09-30-alle.csv"])
    assert all(FILE_NAME.match(name) for name in written)
