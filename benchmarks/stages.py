"""Benchmark: a real stage transition through its Prefect flow vs. a bare flow of the same shape.

Both are async flows with one task that hops to a worker thread, called with the same tags and
the same heartbeat setting (async flows send none), on the embedded default (ephemeral Prefect
API, SQLite domain database). The stage flow opens the analysis stage of a fresh network
(pending → open, due date, exit-criteria check over the region's coverage, audit event); the bare
flow does no database or domain work. Runs alternate (A B, B A, A B, …) so that machine noise and
what a run leaves behind for the next hit both alike; figures are medians.

Last line: ``stage_transition_ms=… bare_flow_ms=… ratio=… runs=…`` (target: ratio ≤ 1.25).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from verbund.cli.embedded import configure_embedded_prefect

configure_embedded_prefect()

from typing import Any  # noqa: E402

from prefect import tags, task  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "40"))
WARMUP = 5


from verbund.flows.stage import TASK_OPTIONS, stage_flow  # noqa: E402


@task(**TASK_OPTIONS)
async def bare_task(network: str, stage: str, at: str | None = None) -> dict[str, Any]:
    """The reconcile task's shape without its work: a thread hop and a report of the same form."""
    await asyncio.to_thread(lambda: None)
    return {"network": network, "region": "sn-muldenland", "stage": stage, "cycle": 1, "state": "open",
            "outcome": "AwaitingPartners", "due": None, "unmet": [], "transitions": [], "next_stage": None}


bare_flow = stage_flow("bare", step=bare_task)


def _networks(count: int, database_url: str) -> list[str]:
    import datetime as dt

    from sqlmodel import select

    from verbund.domain.models import Organisation
    from verbund.flows.runtime import use_app
    from verbund.flows.trigger import EmbeddedTrigger
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.clock import BERLIN
    from verbund.services.app.lookup import region_by_slug
    from verbund.services.app.settings import Settings
    from verbund.services.demo.sample import build_sample_region
    from verbund.services.directory.setup import add_member, create_network

    app = bootstrap(Settings(database_url=database_url), trigger=EmbeddedTrigger())
    use_app(app)
    start = dt.datetime(2019, 9, 2, 9, tzinfo=BERLIN)
    sample = build_sample_region(app, at=start)
    with app.uow(write=True) as uow:
        region = region_by_slug(uow.session, sample.region)
        partners = uow.session.exec(select(Organisation).where(Organisation.kind != "public_school").limit(8)).all()
        slugs = []
        for index in range(count):
            network = create_network(uow.session, region, f"bench-{index:03d}", f"Benchmark {index}",
                                     "sachsen-inklusion", start)
            for org in partners:
                add_member(uow.session, network, org, "member", start, "bench")
            slugs.append(network.slug)
        uow.commit()
    return slugs


async def _measure(networks: list[str]) -> tuple[list[float], list[float]]:
    from verbund.flows.analysis import analysis

    at = "2019-09-02T09:00:00+02:00"
    real_ms: list[float] = []
    bare_ms: list[float] = []
    for index, network in enumerate(networks):
        timings: dict[str, float] = {}
        order = [("real", analysis), ("bare", bare_flow)]
        for name, subject in order if index % 2 else reversed(order):
            with tags(f"network:{network}", "stage:analysis", "region:sn-muldenland"):
                began = time.perf_counter()
                state = await subject(network=network, at=at, return_state=True)
                timings[name] = (time.perf_counter() - began) * 1000
            assert state.name == "AwaitingPartners", state
        real, bare = timings["real"], timings["bare"]
        if index >= WARMUP:
            real_ms.append(real)
            bare_ms.append(bare)
    return real_ms, bare_ms


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        networks = _networks(RUNS + WARMUP, f"sqlite:///{Path(folder) / 'bench.db'}")
        real_ms, bare_ms = asyncio.run(_measure(networks))
    real, bare = statistics.median(real_ms), statistics.median(bare_ms)
    print(f"stage flow (pending→open): median {real:.1f} ms, p90 {sorted(real_ms)[int(len(real_ms) * .9)]:.1f} ms")
    print(f"bare flow:                 median {bare:.1f} ms, p90 {sorted(bare_ms)[int(len(bare_ms) * .9)]:.1f} ms")
    print(f"stage_transition_ms={real:.1f} bare_flow_ms={bare:.1f} ratio={real / bare:.3f} runs={len(real_ms)}")


if __name__ == "__main__":
    main()
