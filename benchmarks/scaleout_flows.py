"""Bare flows with the build-out's structure (region → networks → chained stage flows), for the
scale-out benchmark: same flow factory, same task options, no database or domain work."""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, tags, task
from prefect.artifacts import acreate_progress_artifact, acreate_table_artifact, aupdate_progress_artifact
from prefect.client.schemas.objects import State
from prefect.context import TagsContext
from prefect.states import Completed

from verbund.flows.stage import TASK_OPTIONS

STAGES = ["analysis", "potentials", "goals", "consultation", "protocol"]


@task(**TASK_OPTIONS)
async def bare_reconcile(network: str, stage: str, at: str | None = None) -> dict[str, Any]:
    await asyncio.to_thread(lambda: None)
    return {"network": network, "stage": stage, "outcome": "StageCompleted"}


@flow(name="bare-stage", flow_run_name="bare {stage} · {network}")
async def bare_stage(network: str, stage: str, remaining: int, at: str | None = None) -> State[Any]:
    report = await bare_reconcile(network, stage, at)
    if remaining > 1:
        following = STAGES[STAGES.index(stage) + 1]
        with TagsContext(current_tags={f"network:{network}", f"stage:{following}", "region:bench"}):
            await bare_stage(network=network, stage=following, remaining=remaining - 1, at=at, return_state=True)
    await asyncio.to_thread(lambda: None)  # the real chain reads the network's overview here
    return Completed(name=report["outcome"], data=report)


@flow(name="bare-network", flow_run_name="bare build-out · {network}")
async def bare_network(network: str, first: str, chain: int, at: str | None = None) -> State[Any]:
    await asyncio.to_thread(lambda: None)  # the real one reads the overview first
    with TagsContext(current_tags={f"network:{network}", f"stage:{first}", "region:bench"}):
        await bare_stage(network=network, stage=first, remaining=chain, at=at, return_state=True)
    return Completed(name="Bare")


@flow(name="bare-region", flow_run_name="bare build-out · {region}")
async def bare_region(region: str, networks: list[str], first: str, chain: int, concurrency: int = 4,
                      at: str | None = None) -> State[Any]:
    limit = asyncio.Semaphore(concurrency)
    progress = await acreate_progress_artifact(0.0, key=f"bare-progress-{region}")
    rows: list[dict[str, str]] = []

    async def one(network: str) -> None:
        async with limit:
            with tags(f"network:{network}", f"region:{region}"):
                await bare_network(network=network, first=first, chain=chain, at=at, return_state=True)
        await asyncio.to_thread(lambda: None)  # the real one reads the network's overview here
        rows.append({"Verbund": network})
        await aupdate_progress_artifact(progress, 100.0 * len(rows) / max(len(networks), 1))

    await asyncio.gather(*(one(network) for network in networks))
    await acreate_table_artifact(rows, key=f"bare-status-{region}")
    return Completed(name="Bare")
