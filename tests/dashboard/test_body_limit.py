"""Request bodies are refused while streaming: a declared Content-Length over the limit at once, a
chunked body when the count passes it. A real uvicorn server in a subprocess takes a 100 MiB body
and its peak memory stays flat (measured: VmHWM from /proc, generous bound)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = """
import sys, uvicorn
from verbund.dashboard import create_app
from verbund.services.app.bootstrap import bootstrap
from verbund.services.app.settings import Settings
app = bootstrap(Settings(database_url=sys.argv[1]))
uvicorn.run(create_app(app), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, int]]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, f"sqlite:///{tmp_path / 'v.db'}", str(port)],
                               env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 300  # a busy CI machine: wait on the condition, generously
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _post(port: int, body: object, headers: dict[str, str]) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/login", body=body, headers=headers,  # type: ignore[arg-type]
                           encode_chunked="Content-Length" not in headers)
        return connection.getresponse().status
    except (BrokenPipeError, ConnectionResetError):
        try:  # the server answered and closed while we were still sending: read what it said
            return connection.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
    finally:
        connection.close()


def _chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size


def test_a_declared_100_mib_body_is_refused_unread_and_a_chunked_one_while_streaming(
    server: tuple[int, int],
) -> None:
    port, pid = server
    before = _peak_kib(pid)
    declared = _post(port, _chunks(100 * MIB), {"Content-Length": str(100 * MIB),
                                                "Content-Type": "application/x-www-form-urlencoded"})
    assert declared in (413, None)  # 413, or the connection closed after it while we sent
    chunked = _post(port, _chunks(100 * MIB), {"Content-Type": "application/x-www-form-urlencoded"})
    assert chunked in (413, None)
    growth_mib = (_peak_kib(pid) - before) / 1024
    assert growth_mib < 40, f"peak memory grew by {growth_mib:.1f} MiB for a 100 MiB body"
    small = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    small.request("POST", "/login", body="email=a%40b.example&password=x",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert small.getresponse().status != 413  # a normal form still gets through


def test_a_content_length_of_5000_digits_is_refused_not_parsed() -> None:
    """Python's int() refuses more than 4,300 digits: the header is refused (413) before it is parsed."""
    import asyncio

    from verbund.dashboard.limits import BodyLimit

    reached: list[str] = []
    sent: list[dict[str, object]] = []

    async def inner(scope: object, receive: object, send: object) -> None:
        reached.append("app")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    for declared in (b"9" * 5000, b"1" + b"0" * 19):
        sent.clear()
        asyncio.run(BodyLimit(inner, 1000)({"type": "http", "headers": [(b"content-length", declared)]},  # type: ignore[arg-type]
                                           receive, send))  # type: ignore[arg-type]
        assert sent and sent[0]["status"] == 413
    assert reached == []
