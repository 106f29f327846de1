"""Build-out flows: one network through its stages, and a region fanning out over its networks.

The region flow runs the network flows as async subflows with bounded concurrency (an async flow
run pays no heartbeat join) and keeps a progress artifact and a table artifact per run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from prefect import flow, tags
from prefect.artifacts import acreate_progress_artifact, acreate_table_artifact, aupdate_progress_artifact
from prefect.client.schemas.objects import State
from prefect.states import Completed, Failed

from verbund.domain.formatting import count
from verbund.flows.runtime import get_app
from verbund.flows.stage import run_stage
from verbund.services.directory.setup import region_networks
from verbund.services.readmodels.queries import network_overview


@flow(name="network-buildout", flow_run_name="build-out · {network}", log_prints=True)
async def network_buildout(network: str, at: str | None = None) -> State[Any]:
    """Take one network as far through its stages as the facts allow."""
    overview = await asyncio.to_thread(network_overview, get_app(), network)
    current = overview["current_stage"]
    if current is None:
        return Completed(name="NetworkCompleted", message=f"{network}: alle Stufen beendet", data=overview)
    report = await run_stage(network, current, overview["region"], at)
    for other in [s for s in overview.get("under_way", []) if s != current]:  # stages without a fixed order
        report = await run_stage(network, other, overview["region"], at)
    where = report["stage"]
    return Completed(name=report["outcome"], message=f"{network}: {where} {report['stages'][where]}", data=report)


@flow(name="region-buildout", flow_run_name="build-out · {region}", log_prints=True)
async def region_buildout(
    region: str, at: str | None = None, concurrency: int | None = None, shard: int = 0, shards: int = 1
) -> State[Any]:
    """Reconcile every network of a region, at most ``concurrency`` at a time.

    ``shard``/``shards`` split a large region across workers: this run takes every network whose
    position in the region's sorted list is ``shard`` modulo ``shards``.
    """
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} außerhalb von 0…{shards - 1}")
    app = get_app()
    networks = (await asyncio.to_thread(region_networks, app, region))[shard::shards]
    limit = asyncio.Semaphore(concurrency or app.settings.region_concurrency)
    key = f"region-progress-{region}" + (f"-{shard + 1}-of-{shards}" if shards > 1 else "")
    progress_id = await acreate_progress_artifact(
        0.0, key=key, description=f"Fortschritt des Aufbaus in {region}"
    )
    rows: list[dict[str, Any]] = []

    async def one(network: str) -> None:
        async with limit:
            with tags(f"network:{network}", f"region:{region}"):
                state = await network_buildout(network=network, at=at, return_state=True)
        overview = await asyncio.to_thread(network_overview, app, network)
        current = overview["current_stage"]
        rows.append({
            "Verbund": network,
            "Stufe": current or "—",
            "Zustand": overview["stages"].get(current, "completed") if current else "completed",
            "Ergebnis": state.name or "",
            "Lauf": "ok" if state.is_completed() else "fehlgeschlagen",
        })
        await aupdate_progress_artifact(progress_id, 100.0 * len(rows) / max(len(networks), 1))

    await asyncio.gather(*(one(network) for network in networks))
    # The networks' updates above run concurrently and may reach the server out of order: the last
    # word is this one, after all of them.
    await aupdate_progress_artifact(progress_id, 100.0 * len(rows) / max(len(networks), 1))
    rows.sort(key=lambda row: row["Verbund"])
    await acreate_table_artifact(rows, key=f"region-status-{region}", description=f"Stand je Verbund in {region}")
    failed = [row["Verbund"] for row in rows if row["Lauf"] != "ok"]
    if failed:
        of = count(len(rows), "Verbund", "Verbünden")
        return Failed(message=f"{region}: {len(failed)} von {of} fehlgeschlagen: {', '.join(failed)}")
    done = count(len(rows), "Verbund", "Verbünde")
    return Completed(name="RegionReconciled", message=f"{region}: {done} abgeglichen", data=rows)
