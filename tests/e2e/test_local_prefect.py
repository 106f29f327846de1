"""`verbund serve` owns one local Prefect server; nothing verbund starts outlives it.

Subprocess tests on a busy machine: every wait is on a condition, bounded generously."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support_cli import clean_env

from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))
BOUND = 600  # seconds; CI is a busy 2-core machine
PREFECT_SERVER = "prefect.server.api.server:create_app"
Serving = tuple[subprocess.Popen[bytes], int, dict[str, str]]


def wait_for(condition: Callable[[], object], what: str, bound: float = BOUND) -> object:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {bound} s: {what}")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sample_env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'verbund.db'}"
    app = bootstrap(Settings(database_url=url))
    build_sample_region(app, at=parse_instant("2019-09-02T09:00"))
    app.engine.dispose()
    return clean_env(VERBUND_DATABASE_URL=url, VERBUND_NOW="2019-09-02T10:00", PREFECT_HOME=str(tmp_path / "ph"),
                     COLUMNS="200")


@pytest.fixture
def serving(sample_env: dict[str, str], tmp_path: Path) -> Iterator[Serving]:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen([VERBUND, "serve", "--port", str(port), "--no-sweep"], env=sample_env,
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: _healthy(f"http://127.0.0.1:{port}/healthz") or serve.poll() is not None, "dashboard up")
        assert serve.poll() is None, (tmp_path / "serve.log").read_text()
        yield serve, port, sample_env
    finally:
        if serve.poll() is None:
            serve.kill()
        serve.wait(timeout=BOUND)
        log.close()


def _healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
        return bool(answer.status == 200)
    return False


def test_serve_publishes_its_local_prefect_server_and_commands_use_it(
    serving: Serving, tmp_path: Path,
) -> None:
    serve, port, env = serving
    found = json.loads((tmp_path / "verbund.prefect.json").read_text())
    assert found["pid"] == serve.pid
    assert _healthy(found["url"] + "/health") and _healthy(found["ui"])  # the API and Prefect's UI
    assert int(found["url"].split(":")[2].split("/")[0]) != port
    servers_before = [p for p in descendants(serve.pid) if PREFECT_SERVER in cmdline(p)]
    assert len(servers_before) == 1
    advance = subprocess.Popen([VERBUND, "stage", "advance", "kv-auental-nord", "analysis", "--json"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = advance.communicate(timeout=BOUND)
    assert advance.returncode == 0, err
    assert json.loads(out)["state"] == "open"
    assert "Starting temporary server" not in err  # no ephemeral server of its own
    assert found["url"].removesuffix("/api") in err  # Prefect logged the run's page on serve's server
    runs = urllib.request.Request(found["url"] + "/flow_runs/filter", data=b"{}", method="POST",
                                  headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(runs, timeout=30) as answer:
        names = {run["name"]: run for run in json.loads(answer.read())}
    assert names["analysis · kv-auental-nord"]["state"]["name"] == "AwaitingPartners"
    assert "network:kv-auental-nord" in names["analysis · kv-auental-nord"]["tags"]


def test_sigterm_of_serve_ends_every_process_it_started_and_frees_the_ports(
    serving: Serving, tmp_path: Path,
) -> None:
    serve, port, _ = serving
    found = json.loads((tmp_path / "verbund.prefect.json").read_text())
    prefect_port = int(found["url"].split(":")[2].split("/")[0])
    children = descendants(serve.pid)
    assert children
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=BOUND)
    wait_for(lambda: not any(alive(p) for p in children), "no child of serve left")
    wait_for(lambda: port_free(port) and port_free(prefect_port), "both ports free")
    assert not (tmp_path / "verbund.prefect.json").exists()


def test_sigkill_of_demo_leaves_no_prefect_server(tmp_path: Path) -> None:
    env = clean_env(VERBUND_DATABASE_URL=f"sqlite:///{tmp_path / 'verbund.db'}", PREFECT_HOME=str(tmp_path / "ph"))
    demo = subprocess.Popen([VERBUND, "demo"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        servers = wait_for(lambda: [p for p in descendants(demo.pid) if PREFECT_SERVER in cmdline(p)],
                           "the demo's Prefect server started")
        assert isinstance(servers, list)
        os.kill(demo.pid, signal.SIGKILL)
        demo.wait(timeout=BOUND)
        wait_for(lambda: not any(alive(p) for p in servers), "the demo's Prefect server ended")
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


def servers_of(prefect_home: str) -> list[int]:
    """The Prefect API servers on this machine started for ``prefect_home`` (this test's, by environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and PREFECT_SERVER in cmdline(int(entry.name)):
            with contextlib.suppress(OSError):
                if f"PREFECT_HOME={prefect_home}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return [pid for pid in found if alive(pid)]


def test_a_second_serve_on_the_same_database_refuses_and_the_first_keeps_its_server(
    serving: Serving, tmp_path: Path,
) -> None:
    serve, port, env = serving
    discovery = tmp_path / "verbund.prefect.json"
    found = json.loads(discovery.read_text())
    assert servers_of(env["PREFECT_HOME"]) == [found["server_pid"]]
    other_port = free_port()
    second = subprocess.run([VERBUND, "serve", "--port", str(other_port), "--no-sweep"], env=env,
                            capture_output=True, text=True, timeout=BOUND, check=False)
    message = " ".join(second.stderr.split())
    assert second.returncode == 1, second.stdout + second.stderr
    assert "Traceback" not in second.stderr and message.startswith("Fehler:"), second.stderr
    assert "läuft bereits ein Dashboard" in message
    assert f"http://127.0.0.1:{port} (PID {serve.pid})" in message and found["ui"] in message
    assert "Dashboard:" not in second.stdout and port_free(other_port)  # it never served
    # The first one keeps serving with the same Prefect server; the second started none.
    assert json.loads(discovery.read_text()) == found
    assert servers_of(env["PREFECT_HOME"]) == [found["server_pid"]]
    assert _healthy(found["url"] + "/health") and _healthy(f"http://127.0.0.1:{port}/healthz")
    serve.send_signal(signal.SIGTERM)
    serve.wait(timeout=BOUND)
    wait_for(lambda: not servers_of(env["PREFECT_HOME"]), "no Prefect server of this database left")
    from verbund.cli.local_prefect import claim_database

    claim_database(env["VERBUND_DATABASE_URL"]).release()  # the claim ended with the first serve
