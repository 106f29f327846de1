"""Benchmark: all five Saxon stages for 64 networks through a real Prefect server on PostgreSQL
with two process workers, against bare flows of the same structure through the same stack.

Set-up (not timed): fresh PostgreSQL databases, server, pool, deployments, two workers (limit 1
each, so the two shards of a region run on different workers), a region with 64 networks whose
partners' input for every stage is already recorded. Timed, real: build-out pass 1 (2 region runs,
one shard each → analysis opened and ready), the process owners' sign-offs (service calls), pass 2
(potentials → protocol chained in-process), the protocol sign-offs. Timed, bare: the same two passes
with bare flows (region → 64 networks → the same number of chained stage flows, same task options,
a thread hop instead of database work). Needs PostgreSQL on 127.0.0.1:5432 (trust auth).

Last line: ``total_s=… per_transition_ms=… bare_flow_ms=… ratio=… stage_runs=… setup_s=…``
(targets: total < 90 s, ratio ≤ 1.25). ``per_transition_ms``: flow wall time per stage flow run
(each makes one or more transitions); ``bare_flow_ms``: the same for the bare runs.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


import psycopg  # noqa: E402

NETWORKS = int(os.environ.get("BENCH_NETWORKS", "64"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))  # networks per region run at once (both sides)
REGION = "sn-benchland"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


def _database(name: str, drop: bool = False) -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' if drop else f'CREATE DATABASE "{name}"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _region(app: Any) -> tuple[list[str], Any]:
    """64 networks, each with two schools of its own and the four required partner kinds."""
    from verbund.cli import demo
    from verbund.domain.business_days import BusinessCalendar
    from verbund.domain.models import MembershipRole
    from verbund.services.app.clock import BERLIN
    from verbund.services.directory.setup import (
        OrganisationSpec,
        add_member,
        create_network,
        upsert_organisation,
        upsert_region,
    )

    start = demo.DEMO_START
    with app.uow(write=True) as uow:
        session = uow.session
        region = upsert_region(session, REGION, "Benchmark-Region", "SN")
        session.flush()
        partners = [upsert_organisation(session, region, OrganisationSpec("bench", kind, f"{kind} Benchland", kind))
                    for kind in ("school_board", "youth_welfare", "social_welfare", "student_transport")]
        networks = []
        for index in range(NETWORKS):
            network = create_network(session, region, f"kv-bench-{index:03d}", f"Benchmark-Verbund {index}",
                                     "sachsen-inklusion", start)
            schools = [upsert_organisation(session, region, OrganisationSpec(
                "bench", f"school-{index}-{n}", f"Schule {n} im Verbund {index}", "public_school")) for n in (1, 2)]
            session.flush()
            for org in [*schools, *partners]:
                add_member(session, network, org, MembershipRole.member, start, "bench")
            networks.append(network.slug)
        uow.commit()
    calendar = BusinessCalendar("SN")

    def day(offset: int) -> dt.datetime:
        return dt.datetime.combine(calendar.add_business_days(start.date(), offset), dt.time(9), tzinfo=BERLIN)

    meeting = calendar.add_business_days(start.date(), 45)
    for index, network in enumerate(networks):
        for wave in range(3):
            demo._analysis_wave(app, network, wave, day(5 + 5 * wave))
        demo._potentials(app, network, day(20))
        demo._goals(app, network, day(28))
        demo._schedule(app, network, day(30), meeting, index)
        demo._hold(app, network, day(45))
        demo._circulate(app, network, day(47))
        demo._finish_protocol(app, network, day(58))
    return networks, day


def _run_shards(deployment: str, parameters: list[dict[str, Any]]) -> float:
    """Start one deployment run per parameter set at once; wait for all; return the wall time."""
    from prefect.deployments import run_deployment

    began = time.perf_counter()
    runs = [run_deployment(deployment, parameters=p, timeout=0) for p in parameters]
    pending = {run.id for run in runs}  # type: ignore[union-attr]
    from prefect import get_client
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def states() -> dict[Any, Any]:
        async with get_client() as client:
            return {rid: (await client.read_flow_run(rid)).state for rid in pending}

    while pending:
        time.sleep(0.25)
        for rid, state in run_coro_as_sync(states()).items():
            if state is not None and state.is_final():
                if not state.is_completed():
                    raise RuntimeError(f"{deployment}: {state.name} {state.message}")
                pending.discard(rid)
    return time.perf_counter() - began


def main() -> None:
    from verbund.deployments import stack
    from verbund.deployments.deploy import deploy_one
    from verbund.deployments.specs import DeploymentSpec

    tag = uuid.uuid4().hex[:8]
    domain_db, prefect_db = f"verbund_bench_{tag}", f"prefect_bench_{tag}"
    folder = Path(tempfile.mkdtemp(prefix="verbund-scaleout-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(folder / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}",
        PREFECT_WORKER_QUERY_SECONDS="1", PREFECT_WORKER_PREFETCH_SECONDS="1",
        VERBUND_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:5432/{domain_db}",
        VERBUND_STACK_DIR=str(folder / "stack"), VERBUND_EXECUTION="deployments",
        VERBUND_REGION_CONCURRENCY=str(CONCURRENCY),
    )
    os.environ["VERBUND_STACK_DIR"] = env["VERBUND_STACK_DIR"]
    _database(domain_db)
    _database(prefect_db)
    began = time.perf_counter()
    try:
        url = stack.start_server(_free_port(), env)
        env["PREFECT_API_URL"] = url
        subprocess.run([sys.executable, "-m", "verbund.deployments.stack", "deploy"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        from prefect.settings import PREFECT_API_URL, temporary_settings

        server = temporary_settings({PREFECT_API_URL: url})
        server.__enter__()
        for name in ("bare_region",):
            deploy_one(DeploymentSpec(f"benchmarks/scaleout_flows.py:{name}", "bare"), "verbund", source=ROOT)
        stack.start_workers(2, url, env, limit=1)

        from verbund.services.app.bootstrap import bootstrap
        from verbund.services.app.ports import NoTrigger
        from verbund.services.app.settings import Settings
        from verbund.services.stages.lifecycle import advance_stage

        app = bootstrap(Settings(database_url=env["VERBUND_DATABASE_URL"]), trigger=NoTrigger())
        networks, day = _region(app)
        setup_s = time.perf_counter() - began

        shards = [{"region": REGION, "at": day(59).isoformat(), "shard": s, "shards": 2} for s in (0, 1)]
        t0 = time.perf_counter()
        pass1 = _run_shards("region-buildout/verbund", shards)
        for network in networks:
            advance_stage(app, network, "analysis", by="po@example.org", at=day(60))
        shards = [{**p, "at": day(60).isoformat()} for p in shards]
        pass2 = _run_shards("region-buildout/verbund", shards)
        for network in networks:
            advance_stage(app, network, "protocol", by="po@example.org", at=day(61))
        total_s = time.perf_counter() - t0
        from verbund.services.readmodels.queries import status

        states = [s["state"] for n in status(app, region=REGION)["networks"] for s in n["stages"]]
        assert states.count("completed") == 5 * len(networks), "not every stage completed"

        halves = [networks[0::2], networks[1::2]]
        bare1 = _run_shards("bare-region/verbund", [{"region": "bench", "networks": h, "first": "analysis",
                                                     "chain": 1, "concurrency": CONCURRENCY} for h in halves])
        bare2 = _run_shards("bare-region/verbund", [{"region": "bench", "networks": h, "first": "potentials",
                                                     "chain": 4, "concurrency": CONCURRENCY} for h in halves])
    finally:
        stack.stop_all()
        _database(domain_db, drop=True)
        _database(prefect_db, drop=True)
    stage_runs = 5 * len(networks)
    real_ms = (pass1 + pass2) * 1000 / stage_runs
    bare_ms = (bare1 + bare2) * 1000 / stage_runs
    print(f"set-up (server, deployments, workers, {len(networks)} networks with input): {setup_s:.1f} s")
    print(f"real: pass 1 {pass1:.1f} s, pass 2 {pass2:.1f} s; bare: pass 1 {bare1:.1f} s, pass 2 {bare2:.1f} s")
    print(f"total_s={total_s:.1f} per_transition_ms={real_ms:.1f} bare_flow_ms={bare_ms:.1f} "
          f"ratio={real_ms / bare_ms:.3f} stage_runs={stage_runs} setup_s={setup_s:.1f}")


if __name__ == "__main__":
    main()
