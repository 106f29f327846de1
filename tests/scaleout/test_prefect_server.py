"""Scale-out end to end: a real Prefect server on PostgreSQL, the deployments, two process workers.

Creates fresh databases, starts the server on a free loopback port, creates the pool and the
deployments (``python -m deployments.stack deploy``), starts two workers, prepares the sample
region's partner input, triggers the region build-out deployment, signs the analysis off (which
triggers the potentials deployment through the trigger port), waits, signs the protocol off, and
checks every flow run and every stage. Stops everything it started.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
REGION = "sn-muldenland"
STAGES = ["analysis", "potentials", "goals", "consultation", "protocol"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def stack(tmp_path: Path, pg_database_url: str) -> Iterator[dict[str, str]]:
    from tests_support_pg import create_database, drop_database  # type: ignore[import-not-found]

    prefect_db = create_database(f"prefect_test_{uuid.uuid4().hex[:10]}")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{prefect_db}",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="1",
        VERBUND_DATABASE_URL=pg_database_url,
        VERBUND_STACK_DIR=str(tmp_path / "stack"),
        VERBUND_EXECUTION="deployments",
    )
    from verbund.deployments import stack as commands

    os.environ["VERBUND_STACK_DIR"] = env["VERBUND_STACK_DIR"]
    try:
        url = commands.start_server(port, env)
        env["PREFECT_API_URL"] = url
        deployed = subprocess.run([sys.executable, "-m", "verbund.deployments.stack", "deploy"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=300, check=False)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        commands.start_workers(2, url, env)
        yield env
    finally:
        stopped = commands.stop_all()
        os.environ.pop("VERBUND_STACK_DIR", None)
        drop_database(prefect_db)
        assert "server" in stopped


def _prepare_input(env: dict[str, str]) -> Any:
    """Every partner's analysis input, recorded through the services (the stage opened; no flows yet).

    Input follows the stage, so the later stages' input cannot be recorded ahead: the server's flows
    must open them first. The test therefore goes as far as the sign-off's trigger carries."""
    from verbund.cli import demo
    from verbund.domain.business_days import BusinessCalendar
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.clock import BERLIN, ManualClock
    from verbund.services.app.ports import NoTrigger
    from verbund.services.app.settings import Settings
    from verbund.services.demo.sample import build_sample_region
    from verbund.services.stages.lifecycle import reconcile_stage

    start = demo.DEMO_START
    app = bootstrap(Settings(database_url=env["VERBUND_DATABASE_URL"]), clock=ManualClock(start), trigger=NoTrigger())
    networks = build_sample_region(app, at=start).networks
    calendar = BusinessCalendar("SN")

    def day(offset: int) -> dt.datetime:
        return dt.datetime.combine(calendar.add_business_days(start.date(), offset), dt.time(9), tzinfo=BERLIN)

    for network in networks:  # input follows the stage: the analysis opens before partners answer it
        reconcile_stage(app, network, "analysis", day(1))
        for wave in range(3):
            demo._analysis_wave(app, network, wave, day(5 + 5 * wave))
    return app, networks, day


TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _unfinished(runs: list[Any]) -> list[tuple[str, str | None, str | None]]:
    return [(run.name, run.state_name, str(run.deployment_id)) for run in runs
            if run.state_type is None or run.state_type.value not in TERMINAL]


def _wait_for(predicate: Any, what: str, timeout: float = 240.0, detail: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}" + (f": {detail()}" if detail else ""))


def test_region_build_out_through_server_workers_and_deployments(stack: dict[str, str]) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    app, networks, day = _prepare_input(stack)
    from verbund.flows.runtime import use_app
    from verbund.flows.trigger import DeploymentTrigger
    from verbund.services.readmodels.queries import network_overview, status
    from verbund.services.stages.lifecycle import advance_stage

    with temporary_settings({PREFECT_API_URL: stack["PREFECT_API_URL"]}):
        from prefect.deployments import run_deployment
        from prefect.utilities.asyncutils import run_coro_as_sync

        region_run = run_deployment(
            "region-buildout/verbund", parameters={"region": REGION, "at": day(59).isoformat()}, timeout=300,
            tags=[f"region:{REGION}"],
        )
        assert region_run is not None and region_run.state is not None
        assert region_run.state.is_completed(), region_run.state
        for network in networks:
            assert network_overview(app, network)["stages"]["analysis"] == "ready"

        app.trigger = DeploymentTrigger()
        use_app(app)  # the composition root's job: the trigger looks the network's region up through it
        for network in networks:
            advance_stage(app, network, "analysis", by="po@example.org", at=day(60))
        assert app.trigger.failures == []
        assert len(app.trigger.created) == len(networks)
        _wait_for(lambda: all(network_overview(app, n)["stages"]["potentials"] == "open" for n in networks),
                  "every network's potentials to be opened by the triggered deployment")

        # The sign-offs' runs were created with timeout=0: the domain may be done before their flow runs are.
        _wait_for(lambda: not _unfinished(run_coro_as_sync(_all_flow_runs())), "every flow run to end",
                  detail=lambda: _unfinished(run_coro_as_sync(_all_flow_runs())))
        runs = run_coro_as_sync(_all_flow_runs())
        use_app(None)
    data = status(app, region=REGION)
    for network in data["networks"]:
        states = {stage["name"]: stage["state"] for stage in network["stages"]}
        assert (states["analysis"], states["potentials"]) == ("completed", "open"), states

    by_name = {run.name: run for run in runs}
    for network in networks:
        for stage in STAGES[:2]:
            run = by_name.get(f"{stage} · {network}")
            assert run is not None, f"no flow run '{stage} · {network}'"
            assert run.state_type.value == "COMPLETED", (run.name, run.state_name)
            assert {f"network:{network}", f"stage:{stage}", f"region:{REGION}"} <= set(run.tags)
    assert all(run.state_type.value == "COMPLETED" for run in runs), [(r.name, r.state_name) for r in runs]
    assert all(re.fullmatch(r"(build-out|analysis|potentials|goals|consultation|protocol) · [a-z0-9-]+", r.name)
               for r in runs), sorted(r.name for r in runs)


async def _all_flow_runs() -> list[Any]:
    from prefect import get_client

    async with get_client() as client:
        runs = await client.read_flow_runs(limit=200)
    # The reminder sweep's cron schedule makes the server plan its next runs ahead: not ours to wait for.
    return [run for run in runs if not run.auto_scheduled]
