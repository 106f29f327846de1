"""Stage flows on a real Prefect API: names, tags, final states, artifacts, idempotency, crashes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlmodel import func, select

import verbund.services.stages.lifecycle
from verbund.domain.stages import AuditEvent, StageRun
from verbund.flows.buildout import network_buildout, region_buildout
from verbund.flows.stage import run_stage
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample import build_sample_region
from verbund.services.inputs.work import AnalysisInput, record_analysis
from verbund.services.readmodels.queries import network_overview
from verbund.services.stages.lifecycle import advance_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)


async def _runs_tagged(*tags: str) -> list[Any]:
    async with get_client() as client:
        return await client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=list(tags))))


def _counts(app: App) -> tuple[int, int]:
    with app.uow() as uow:
        events = uow.session.exec(select(func.count()).select_from(AuditEvent)).one()
        runs = uow.session.exec(select(func.count()).select_from(StageRun)).one()
    return int(events), int(runs)


def _unique_region(app: App) -> str:
    """The sample region; runs are told apart from other tests' runs by a unique `at`."""
    return build_sample_region(app, at=START).region


def test_region_build_out_opens_every_network_with_named_runs_tags_and_artifacts(flow_app: App) -> None:
    region = _unique_region(flow_app)
    marker = START + dt.timedelta(minutes=uuid.uuid4().int % 10_000)
    state = run_coro_as_sync(region_buildout(region=region, at=marker.isoformat(), return_state=True))
    assert state is not None and state.is_completed() and state.name == "RegionReconciled"

    runs = run_coro_as_sync(_runs_tagged("network:kv-auental-nord", "stage:analysis", f"region:{region}"))
    ours = [r for r in runs if r.parameters.get("at") == marker.isoformat()]
    assert len(ours) == 1
    assert ours[0].name == "analysis · kv-auental-nord"
    assert ours[0].state_name == "AwaitingPartners"
    assert network_overview(flow_app, "kv-auental-nord")["stages"]["analysis"] == "open"

    async def artifact() -> Any:
        async with get_client() as client:
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"region-progress-{region}"]))
            )
            return found

    progress = run_coro_as_sync(artifact())
    assert progress and progress[-1].type == "progress"
    assert progress[-1].data == pytest.approx(100.0)


def test_a_stage_flow_run_twice_writes_no_duplicate_rows_or_events(flow_app: App) -> None:
    _unique_region(flow_app)
    run_coro_as_sync(run_stage("kv-auental-sued", "analysis", "sn-muldenland", START.isoformat()))
    first = _counts(flow_app)
    again = run_coro_as_sync(run_stage("kv-auental-sued", "analysis", "sn-muldenland", START.isoformat()))
    assert again["outcome"] == "AwaitingPartners"
    assert _counts(flow_app) == first


def test_a_flow_that_crashes_after_a_partial_write_converges_when_run_again(
    flow_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unique_region(flow_app)
    real = verbund.services.stages.lifecycle.unmet_criteria

    def crash(*args: Any, **kwargs: Any) -> list[str]:
        raise RuntimeError("injected crash after pending→open was written")

    # the transition pending → open is added to the session, then the criteria check crashes
    monkeypatch.setattr(verbund.services.stages.lifecycle, "unmet_criteria", crash)
    with pytest.raises(RuntimeError, match="analysis · kv-heidegrund-ost"):
        run_coro_as_sync(run_stage("kv-heidegrund-ost", "analysis", "sn-muldenland", START.isoformat()))
    assert network_overview(flow_app, "kv-heidegrund-ost")["stages"]["analysis"] == "pending"

    monkeypatch.setattr(verbund.services.stages.lifecycle, "unmet_criteria", real)
    state = run_coro_as_sync(network_buildout(network="kv-heidegrund-ost", at=START.isoformat(), return_state=True))
    assert state is not None and state.name == "AwaitingPartners"
    with flow_app.uow() as uow:
        opened = uow.session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.to_state == "open")
        ).one()
    assert opened == 1


def test_a_crash_between_two_stages_is_repaired_by_the_next_build_out(
    flow_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Analysis is completed (committed); opening potentials crashes; a re-run opens it."""
    network = "kv-heidegrund-west"
    _unique_region(flow_app)
    run_coro_as_sync(run_stage(network, "analysis", "sn-muldenland", START.isoformat()))
    at = START + dt.timedelta(days=3)
    _answer_all_analysis(flow_app, network, at)
    assert network_overview(flow_app, network)["stages"]["analysis"] == "ready"

    real = verbund.services.stages.lifecycle.reconcile_in

    def crash_on_potentials(session: Any, app: App, net: Any, stage: str, when: dt.datetime) -> Any:
        if stage == "potentials":
            raise RuntimeError("injected crash while opening potentials")
        return real(session, app, net, stage, when)

    monkeypatch.setattr(verbund.services.stages.lifecycle, "reconcile_in", crash_on_potentials)
    advance_stage(flow_app, network, "analysis", by="po@example.org", at=at + dt.timedelta(hours=1))
    overview = network_overview(flow_app, network)
    assert overview["stages"]["analysis"] == "completed"
    assert overview["stages"]["potentials"] == "pending"
    assert any("potentials" in failure for failure in flow_app.trigger.failures)  # type: ignore[attr-defined]

    monkeypatch.setattr(verbund.services.stages.lifecycle, "reconcile_in", real)
    state = run_coro_as_sync(network_buildout(network=network, at=(at + dt.timedelta(hours=2)).isoformat(),
                                              return_state=True))
    assert state is not None and state.name == "AwaitingPartners"
    assert network_overview(flow_app, network)["stages"]["potentials"] == "open"


def _answer_all_analysis(app: App, network: str, at: dt.datetime) -> None:
    from verbund.domain.models import Membership, Network

    with app.uow() as uow:
        members = uow.session.exec(
            select(Membership.organisation_id)
            .join(Network, Network.id == Membership.network_id)  # type: ignore[arg-type]
            .where(Network.slug == network, Membership.role != "guest")
        ).all()
    entries = [AnalysisInput(str(oid), c, text="Angaben") for oid in members
               for c in ("conditions", "actors", "responsibilities", "cooperation_structures")]
    record_analysis(app, network, entries, by="partner", at=at)
