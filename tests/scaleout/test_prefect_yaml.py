"""`prefect deploy --all` with the checked-in prefect.yaml creates the same deployments as `make deploy`.

A real Prefect server (its own SQLite database; one client at a time) on a free loopback port: first
the deployments of ``python -m verbund.deployments.stack deploy`` (what ``make deploy`` runs) are read
back, then all are deleted and ``prefect deploy --all`` runs from the repository root; names,
schedules, parameters, tags and concurrency limits must be the same.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.scaleout, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[dict[str, str]]:
    from verbund.deployments import stack as commands

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               VERBUND_STACK_DIR=str(tmp_path / "stack"))
    os.environ["VERBUND_STACK_DIR"] = env["VERBUND_STACK_DIR"]
    try:
        env["PREFECT_API_URL"] = commands.start_server(_free_port(), env)
        yield env
    finally:
        commands.stop_all()
        os.environ.pop("VERBUND_STACK_DIR", None)


def _deployments(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    code = (
        "import asyncio, json\n"
        "from prefect import get_client\n"
        "async def main():\n"
        "    async with get_client() as client:\n"
        "        flows = {f.id: f.name for f in await client.read_flows()}\n"
        "        out = {}\n"
        "        for d in await client.read_deployments():\n"
        "            out[f'{flows[d.flow_id]}/{d.name}'] = {\n"
        "                'entrypoint': d.entrypoint, 'parameters': d.parameters, 'tags': sorted(d.tags),\n"
        "                'pool': d.work_pool_name, 'limit': d.global_concurrency_limit.limit\n"
        "                    if d.global_concurrency_limit else None,\n"
        "                'schedules': sorted((s.schedule.cron, s.schedule.timezone) for s in d.schedules)}\n"
        "        print(json.dumps(out, sort_keys=True))\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                            check=True)
    import json

    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _delete_all(env: dict[str, str]) -> None:
    code = (
        "import asyncio\n"
        "from prefect import get_client\n"
        "async def main():\n"
        "    async with get_client() as client:\n"
        "        for d in await client.read_deployments():\n"
        "            await client.delete_deployment(d.id)\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=300, check=True)


def test_prefect_deploy_all_creates_what_make_deploy_creates(server: dict[str, str]) -> None:
    made = subprocess.run([sys.executable, "-m", "verbund.deployments.stack", "deploy"], cwd=ROOT, env=server,
                          capture_output=True, text=True, timeout=600, check=False)
    assert made.returncode == 0, made.stdout + made.stderr
    by_make = _deployments(server)
    assert len(by_make) >= 25

    _delete_all(server)
    assert _deployments(server) == {}
    prefect = Path(sys.executable).with_name("prefect")
    deployed = subprocess.run([str(prefect), "--no-prompt", "deploy", "--all"], cwd=ROOT, env=server,
                              capture_output=True, text=True, timeout=900, check=False)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
    assert _deployments(server) == by_make
