"""Stage flows of the other templates on a real Prefect API: found by the template's stage name,
run names ``<stage> · <network>``, tags as for Saxony; unordered stages run side by side; the
next occurrence of a recurring stage opens through its flow."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.utilities.asyncutils import run_coro_as_sync

from verbund.domain.errors import TemplateError
from verbund.flows.buildout import network_buildout
from verbund.flows.registry import flow_for
from verbund.flows.stage import run_stage
from verbund.services.app.bootstrap import App
from verbund.services.app.clock import BERLIN
from verbund.services.demo.sample_templates import build_template_sample
from verbund.services.governance.records import record_step
from verbund.services.readmodels.queries import network_overview, status
from verbund.services.stages.lifecycle import waive_stage

START = dt.datetime(2019, 9, 2, 9, 0, tzinfo=BERLIN)


async def _runs_tagged(*tags: str) -> list[Any]:
    async with get_client() as client:
        return await client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=list(tags))))


def _sync(coroutine: Any) -> Any:
    return run_coro_as_sync(coroutine)


def _marker() -> str:
    return (START + dt.timedelta(minutes=uuid.uuid4().int % 10_000)).isoformat()


def test_stage_flows_are_found_by_the_templates_stage_names() -> None:
    assert flow_for("bildungskonferenz").name == "bildungskonferenz"
    assert flow_for("interne-leistungen").flow_run_name == "interne-leistungen · {network}"
    with pytest.raises(TemplateError, match="keine Vorlage hat die Stufe 'bayern'"):
        flow_for("bayern")


def test_the_build_out_runs_stages_without_a_fixed_order_side_by_side(flow_app: App) -> None:
    network = build_template_sample(flow_app, "kommunale-koordinierung", at=START).networks[0]
    marker = _marker()

    state = _sync(network_buildout(network=network, at=marker, return_state=True))

    assert state is not None and state.is_completed()
    stages = network_overview(flow_app, network)["stages"]
    assert (stages["partner"], stages["steuerungsgruppe"], stages["vereinbarung"]) == ("completed", "completed", "open")
    for stage in ("partner", "steuerungsgruppe", "vereinbarung"):
        runs = _sync(_runs_tagged(f"network:{network}", f"stage:{stage}",
                                             "region:nw-kreis-birkenfeld-land"))
        ours = [r for r in runs if r.parameters.get("at") == marker]
        assert ours, stage
        assert {r.name for r in ours} == {f"{stage} · {network}"}
        assert set(ours[0].tags) == {f"network:{network}", f"stage:{stage}", "region:nw-kreis-birkenfeld-land"}


def test_a_recurring_stage_flow_opens_the_next_cycle_when_its_time_has_come(flow_app: App) -> None:
    network = build_template_sample(flow_app, "nrw-bildungsnetzwerk", at=START).networks[0]
    for stage in ("kooperationsvertrag", "lenkungskreis", "handlungsfelder", "arbeitsplan"):
        waive_stage(flow_app, network, stage, reason="im Beispiel vorab erledigt", by="po@example.org", at=START)
    assert network_overview(flow_app, network)["stages"]["bildungskonferenz"] == "open"  # opened by the flows
    for hours, step in enumerate(("prepared", "held", "documented", "recommendations")):
        record_step(flow_app, network, "bildungskonferenz", step, by="bb@example.org",
                    at=START + dt.timedelta(days=30, hours=hours))
    assert network_overview(flow_app, network)["stages"]["bildungskonferenz"] == "completed"

    a_year_later = dt.datetime(2020, 9, 2, 9, 0, tzinfo=BERLIN).isoformat()
    report = _sync(run_stage(network, "bildungskonferenz", "nw-kreis-lindenau", a_year_later))

    assert report["stages"]["bildungskonferenz"] == "open"
    ours = next(n for n in status(flow_app)["networks"] if n["slug"] == network)
    assert [(s["cycle"], s["state"]) for s in ours["stages"] if s["name"] == "bildungskonferenz"] == [
        (1, "completed"), (2, "open")]
    runs = _sync(_runs_tagged(f"network:{network}", "stage:bildungskonferenz"))
    assert any(r.parameters.get("at") == a_year_later and r.name == f"bildungskonferenz · {network}" for r in runs)
