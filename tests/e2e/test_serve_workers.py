"""``verbund serve --workers 2`` (issue 20): two uvicorn workers serve the dashboard, and the
embedded reminder sweep runs once per slot, not once per worker (a lease row in the database).

The slot is driven by a short interval (``VERBUND_SWEEP_INTERVAL``); every wait is on a condition,
bounded generously (CI is a busy 2-core machine)."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from support_cli import clean_env

from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.clock import parse_instant
from verbund.services.app.settings import Settings
from verbund.services.demo.sample import build_sample_region

pytestmark = pytest.mark.slow

VERBUND = str(Path(sys.executable).with_name("verbund"))
BOUND = 600  # seconds
SLOT = re.compile(r"Erinnerungslauf: Zeitfenster (\S+) läuft in Prozess (\d+)")


def wait_for(condition: Callable[[], object], what: str, bound: float = BOUND) -> object:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {bound} s: {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
        return bool(answer.status == 200)
    return False


def workers_of(pid: int) -> list[int]:
    """The uvicorn worker processes below ``pid`` (multiprocessing children, from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid and b"spawn_main" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def test_two_workers_serve_and_the_sweep_runs_once_per_slot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'verbund.db'}"
    app = bootstrap(Settings(database_url=url))
    build_sample_region(app, at=parse_instant("2019-09-02T09:00"))
    app.engine.dispose()
    env = clean_env(VERBUND_DATABASE_URL=url, VERBUND_NOW="2019-09-02T10:00", PREFECT_HOME=str(tmp_path / "ph"),
                    VERBUND_SWEEP_INTERVAL="4", COLUMNS="200")
    port = free_port()
    serve = subprocess.Popen([VERBUND, "serve", "--port", str(port), "--workers", "2"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []

    def read() -> None:
        assert serve.stdout is not None
        for line in serve.stdout:
            lines.append(line)

    def slots() -> list[tuple[str, str]]:
        return [(match[1], match[2]) for line in list(lines) if (match := SLOT.search(line))]

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    workers: list[int] = []
    try:
        wait_for(lambda: healthy(f"http://127.0.0.1:{port}/healthz") or serve.poll() is not None, "dashboard up")
        assert serve.poll() is None, "".join(lines)
        wait_for(lambda: len(workers_of(serve.pid)) >= 2, "two workers")
        workers = workers_of(serve.pid)
        assert len(workers) == 2, workers
        for _ in range(10):  # requests spread over the workers; each answers
            assert healthy(f"http://127.0.0.1:{port}/healthz")
        wait_for(lambda: len({slot for slot, _pid in slots()}) >= 3, "three sweep slots")
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        reader.join(timeout=30)
    runs = Counter(slot for slot, _pid in slots())
    assert runs and max(runs.values()) == 1, f"a slot ran more than once: {runs}\n{''.join(lines)}"
    assert {int(pid) for _slot, pid in slots()} <= set(workers), "the workers run the sweep, not the parent"
