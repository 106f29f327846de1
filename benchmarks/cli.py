"""Benchmark: how fast `verbund` commands are, each against a floor measured in the same run.

- ``status_s``: ``verbund status`` on the sample region (a read-only command), against
  ``db_floor_s``: ``python -c "import sqlmodel"``, the floor of any command that opens the database.
- ``flow_cmd_s``: ``verbund stage advance NETWORK analysis`` (a stage action whose flow runs in-process
  against the local Prefect server of a running ``verbund serve``), against ``bare_flow_s``: a script
  that imports Prefect and runs one trivial flow against the same server.

Every figure is the median wall time of whole processes; the pairs alternate (A B, B A, …) so that
machine noise hits both alike. Last line: ``status_s=… db_floor_s=… status_ratio=… flow_cmd_s=…
bare_flow_s=… flow_ratio=… runs=… load=…`` (targets: both ratios ≤ 1.5).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "8"))
VERBUND = [sys.executable, "-c", "from verbund.cli.main import app; app(prog_name='verbund')"]
BARE_FLOW = """
from prefect import flow

@flow(name="bare")
async def bare() -> None:
    return None

import asyncio
asyncio.run(bare())
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command[-4:]} failed: {result.stderr[-2000:]}")
    return elapsed


def alternate(first: list[str], second: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    a: list[float] = []
    b: list[float] = []
    for index in range(runs):
        pair = [(first, a), (second, b)] if index % 2 == 0 else [(second, b), (first, a)]
        for command, sink in pair:
            sink.append(timed(command, env))
    return a, b


def sample_database(folder: Path) -> str:
    """The sample region (four networks, every stage pending) in ``folder/verbund.db``."""
    from verbund.services.app.bootstrap import bootstrap
    from verbund.services.app.clock import parse_instant
    from verbund.services.app.settings import Settings
    from verbund.services.demo.sample import build_sample_region

    url = f"sqlite:///{folder / 'verbund.db'}"
    app = bootstrap(Settings(database_url=url))
    build_sample_region(app, at=parse_instant("2019-09-02T09:00"))
    app.engine.dispose()
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(env: dict[str, str], folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    log = (folder / "serve.log").open("wb")
    serve = subprocess.Popen([*VERBUND, "serve", "--port", str(free_port()), "--no-sweep"], env=env,
                             stdout=log, stderr=subprocess.STDOUT)
    discovery = folder / "verbund.prefect.json"
    deadline = time.monotonic() + 600
    while not discovery.exists():
        if serve.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("verbund serve did not start: " + (folder / "serve.log").read_text()[-2000:])
        time.sleep(0.2)
    return serve, str(json.loads(discovery.read_text())["url"])


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="verbund-bench-cli-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "VERBUND_"))}
    env.update(VERBUND_DATABASE_URL=sample_database(folder), VERBUND_NOW="2019-09-02T10:00",
               PREFECT_HOME=str(folder / "ph"), VERBUND_MAILBOX_DIR=str(folder / "postfach"))
    for index in range(RUNS):  # one fresh copy per flow command, so that each has its first move to make
        shutil.copy(folder / "verbund.db", folder / f"run-{index}.db")
    serve = None
    try:
        status, floor = alternate([*VERBUND, "status"], [sys.executable, "-c", "import sqlmodel"], env, RUNS)
        serve, api_url = start_serve(env, folder)
        discovery = (folder / "verbund.prefect.json").read_text()
        flow_times: list[float] = []
        bare_times: list[float] = []
        bare_env = {**env, "PREFECT_API_URL": api_url, "PREFECT_LOGGING_TO_API_ENABLED": "false"}
        for index in range(RUNS):
            (folder / f"run-{index}.prefect.json").write_text(discovery)  # serve's server, named for the copy
            run_env = {**env, "VERBUND_DATABASE_URL": f"sqlite:///{folder / f'run-{index}.db'}"}
            command = [*VERBUND, "stage", "advance", "kv-auental-nord", "analysis"]
            pair = [(command, run_env, flow_times), ([sys.executable, "-c", BARE_FLOW], bare_env, bare_times)]
            for cmd, cmd_env, sink in pair if index % 2 == 0 else reversed(pair):
                sink.append(timed(cmd, cmd_env))
    finally:
        if serve is not None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
    figures = {
        "status_s": statistics.median(status), "db_floor_s": statistics.median(floor),
        "flow_cmd_s": statistics.median(flow_times), "bare_flow_s": statistics.median(bare_times),
    }
    print(f"status runs: {[round(x, 2) for x in status]}; floor: {[round(x, 2) for x in floor]}")
    print(f"flow command runs: {[round(x, 2) for x in flow_times]}; bare: {[round(x, 2) for x in bare_times]}")
    print(f"status_s={figures['status_s']:.3f} db_floor_s={figures['db_floor_s']:.3f} "
          f"status_ratio={figures['status_s'] / figures['db_floor_s']:.2f} flow_cmd_s={figures['flow_cmd_s']:.3f} "
          f"bare_flow_s={figures['bare_flow_s']:.3f} flow_ratio={figures['flow_cmd_s'] / figures['bare_flow_s']:.2f} "
          f"runs={RUNS} load={os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
