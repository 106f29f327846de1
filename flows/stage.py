"""The stage flow: a short, idempotent reconcile of one network's stage.

Each template stage has a flow made by ``stage_flow`` (``flows/analysis.py`` …). The flow runs one
task that calls the service layer and ends in a named Completed state that says what happened:
``WaitingForPreviousStage``, ``AwaitingPartners``, ``AwaitingSignOff``, ``StageCompleted`` or
``StageWaived``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import Flow, Task, flow, get_run_logger, task
from prefect.client.schemas.objects import State
from prefect.context import TagsContext
from prefect.states import Completed
from sqlalchemy.exc import OperationalError

from verbund.flows.runtime import get_app, instant
from verbund.services.readmodels.queries import network_overview
from verbund.services.stages.lifecycle import Outcome, reconcile_stage

DONE_OUTCOMES = frozenset({Outcome.completed, Outcome.waived})


def transient(task: Task[Any, Any], task_run: Any, state: State[Any]) -> bool:
    """Retry only what may pass by itself (a locked or unreachable database)."""
    try:
        state.result()
    except OperationalError:
        return True
    except Exception:
        return False
    return False


TASK_OPTIONS: dict[str, Any] = {
    "task_run_name": "reconcile · {stage} · {network}",
    "retries": 3,
    "retry_delay_seconds": [1, 5, 15],
    "retry_condition_fn": transient,
}


@task(**TASK_OPTIONS)
async def reconcile(network: str, stage: str, at: str | None = None) -> dict[str, Any]:
    """Reconcile the stage in the domain database; returns the stage report."""
    app = get_app()
    report = await asyncio.to_thread(reconcile_stage, app, network, stage, instant(at))
    return report.to_dict()


def _message(report: dict[str, Any]) -> str:
    text = f"{report['stage']} · {report['network']}: {report['state']}"
    if report["transitions"]:
        text += f" ({', '.join(report['transitions'])})"
    if report["unmet"]:
        text += " — offen: " + "; ".join(report["unmet"])
    return text


def stage_tags(network: str, stage: str, region: str) -> set[str]:
    return {f"network:{network}", f"stage:{stage}", f"region:{region}"}


async def call_stage_flow(network: str, stage: str, region: str, at: str | None) -> State[Any]:
    """Run the stage's flow with exactly its own tags (a nested run must not inherit the caller's
    ``stage:`` tag, as ``prefect.tags`` would add it)."""
    from verbund.flows.registry import flow_for

    with TagsContext(current_tags=stage_tags(network, stage, region)):
        state: State[Any] = await flow_for(stage)(network=network, at=at, return_state=True)  # type: ignore[misc]
    return state


def stage_flow(stage: str, step: Task[..., Any] | None = None) -> Flow[..., Any]:
    """Build the flow of one template stage (run name ``<stage> · <network>``).

    When the stage ends (completed or waived) the flow runs the next stage's flow as a subflow, so
    one trigger carries a network as far as its facts allow — in-process, on whichever worker runs
    the first stage. ``step`` replaces the reconcile task (benchmarks measure the bare flow).
    """
    run_step = step or reconcile

    async def reconcile_stage_flow(network: str, at: str | None = None) -> State[Any]:
        report = await run_step(network, stage, at)
        message = _message(report)
        following_stages = report.get("next_stages") or ([report["next_stage"]] if report["next_stage"] else [])
        for next_stage in following_stages if report["outcome"] in DONE_OUTCOMES else []:
            following = await call_stage_flow(network, next_stage, report["region"], at)
            if not following.is_completed():
                message += f" — Folgestufe {next_stage}: {following.name}"
                get_run_logger().warning("Folgestufe %s fehlgeschlagen: %s", next_stage, following.message)
        return Completed(name=report["outcome"], message=message, data=report)

    reconcile_stage_flow.__doc__ = f"Reconcile the stage '{stage}' of one network, then the next ones while they end."
    decorate = flow(name=stage, flow_run_name=f"{stage} · {{network}}", log_prints=True)
    made: Flow[..., Any] = decorate(reconcile_stage_flow)
    return made


def outcome_of(overview: dict[str, Any]) -> str:
    """The name that says where a network stands after its flows ran."""
    current = overview["current_stage"]
    if current is None:
        return "NetworkCompleted"
    return {
        "pending": Outcome.waiting_for_previous,
        "open": Outcome.awaiting_partners,
        "ready": Outcome.awaiting_sign_off,
    }.get(overview["stages"][current], Outcome.awaiting_partners)


async def run_stage(network: str, stage: str, region: str, at: str | None = None) -> dict[str, Any]:
    """Run a stage's flow (which carries on into the following stages) and return the network's
    overview read from the domain database, with ``outcome`` naming where it stands.

    Raises when the stage's own flow does not complete.
    """
    state = await call_stage_flow(network, stage, region, at)
    if not state.is_completed():
        raise RuntimeError(f"{stage} · {network}: {state.name}: {state.message}")
    overview = await asyncio.to_thread(network_overview, get_app(), network)
    overview["outcome"] = outcome_of(overview)
    overview["stage"] = overview["current_stage"] or stage
    return overview
