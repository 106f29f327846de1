"""Run a local Prefect stack for verbund: server, work pool, deployments, N workers, stop.

    python -m deployments.stack server   [--port 4200]     # prefect server (PostgreSQL if configured)
    python -m deployments.stack deploy                     # pool "verbund", mail rate limit, deployments
    python -m deployments.stack workers  [--count 2]       # process workers on the pool
    python -m deployments.stack stop                       # stops what this stack started

State (pids, logs) lives in ``VERBUND_STACK_DIR`` (default ``.verbund-stack``). The server uses
``PREFECT_SERVER_DATABASE_CONNECTION_URL`` (``postgresql+asyncpg://…`` for more than one worker;
SQLite behind a server locks under concurrent workers). Workers inherit ``VERBUND_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from verbund.deployments.specs import POOL

BIN = Path(sys.executable).parent


def stack_dir() -> Path:
    folder = Path(os.environ.get("VERBUND_STACK_DIR", ".verbund-stack")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def _spawn(name: str, args: list[str], env: dict[str, str]) -> int:
    folder = stack_dir()
    log = (folder / f"{name}.log").open("ab")
    process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    (folder / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def wait_healthy(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"Prefect-Server unter {url} nach {timeout:.0f} s nicht bereit (Log: {stack_dir()}/server.log)")


def start_server(port: int = 4200, env: dict[str, str] | None = None) -> str:
    env = dict(env or os.environ)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_API_HOST", "127.0.0.1")
    _spawn("server", [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
                      "--no-ui"], env)
    url = api_url(port)
    wait_healthy(url)
    return url


def start_workers(count: int, url: str, env: dict[str, str] | None = None, pool: str = POOL,
                  limit: int = 8) -> list[int]:
    env = dict(env or os.environ)
    env["PREFECT_API_URL"] = url
    return [
        _spawn(f"worker-{index}", [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process",
                                   "--name", f"verbund-worker-{index}", "--limit", str(limit)], env)
        for index in range(1, count + 1)
    ]


def stop_all(grace: float = 15.0) -> list[str]:
    """Stop workers first, then the server; returns what was stopped."""
    folder = stack_dir()
    stopped = []
    pid_files = sorted(folder.glob("worker-*.pid")) + sorted(folder.glob("server.pid"))
    for pid_file in pid_files:
        pid = int(pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pid_file.unlink(missing_ok=True)
            continue
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        pid_file.unlink(missing_ok=True)
        stopped.append(pid_file.stem)
    return stopped


def _alive(pid: int) -> bool:
    try:
        waited, _status = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description="Lokaler Prefect-Stack für verbund.")
    commands = parser.add_subparsers(dest="command", required=True)
    server = commands.add_parser("server", help="Prefect-Server im Hintergrund starten")
    server.add_argument("--port", type=int, default=4200)
    commands.add_parser("deploy", help="Work-Pool, Mail-Ratenlimit und Deployments anlegen (PREFECT_API_URL)")
    workers = commands.add_parser("workers", help="Process-Worker starten")
    workers.add_argument("--count", type=int, default=2)
    workers.add_argument("--port", type=int, default=4200)
    commands.add_parser("stop", help="Alles beenden, was dieser Stack gestartet hat")
    args = parser.parse_args()
    if args.command == "server":
        url = start_server(args.port)
        print(f"Prefect-Server bereit: {url}  (export PREFECT_API_URL={url})")
    elif args.command == "deploy":
        from verbund.deployments.deploy import deploy_all

        deploy_all()
    elif args.command == "workers":
        pids = start_workers(args.count, os.environ.get("PREFECT_API_URL", api_url(args.port)))
        print(f"{len(pids)} Worker gestartet (Logs in {stack_dir()})")
    else:
        print("beendet: " + (", ".join(stop_all()) or "nichts lief"))


if __name__ == "__main__":
    main()
