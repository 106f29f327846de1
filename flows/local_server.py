"""Prefect API servers that a verbund process starts, and that end with it.

Prefect's ephemeral API server is a subprocess that outlives its parent when the parent is killed
(``atexit`` does not run on SIGKILL): three leftover servers of 225 MB each, still holding their
ports, after one Ctrl+C of ``verbund serve``. So every server verbund starts runs under a watchdog
(``owned_command``): a thread in the server process that ends it as soon as its parent process is
gone, however the parent ended. (``PR_SET_PDEATHSIG`` would do the same, but it fires when the
parent *thread* that started the child ends, and Prefect starts its server from whichever thread
first needs a client.)

``own_ephemeral_server`` makes Prefect's lazily started ephemeral server such an owned process, on
a free port outside Prefect's 8000–8999 (where the dashboard listens), with Prefect's start-up
timeout (``VERBUND_PREFECT_START_TIMEOUT`` sets it, see ``verbund.cli.embedded``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from typing import Any

# Runs in the server's interpreter before uvicorn: a daemon thread polls the parent's pid and
# sends SIGTERM to its own process (uvicorn shuts down gracefully) when the parent is gone; if
# that does not end it within 20 s, it exits hard.
WATCHDOG = """
import os, signal, sys, threading, time
parent = int(sys.argv[1])
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(20)
    os._exit(1)
threading.Thread(target=watch, name="verbund-parent-watchdog", daemon=True).start()
import uvicorn.main
uvicorn.main.main(args=sys.argv[2:], prog_name="uvicorn")
"""


def owned_command(uvicorn_args: list[str]) -> list[str]:
    """The command that runs ``uvicorn ARGS`` as long as this process lives, and no longer."""
    return [sys.executable, "-c", WATCHDOG, str(os.getpid()), *uvicorn_args]


def server_args(port: int) -> list[str]:
    """uvicorn's arguments for Prefect's API server (and UI, when enabled) on 127.0.0.1:PORT."""
    return ["--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]


def free_port(avoid: set[int] | None = None) -> int:
    """A free loopback port from the kernel's ephemeral range, never one in ``avoid``."""
    avoid = avoid or set()
    for _ in range(50):
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in avoid and not 8000 <= port < 9000:
            return port
    raise RuntimeError("Unable to find an available port for the local Prefect-Server")


def dashboard_port() -> int | None:
    raw = os.environ.get("VERBUND_DASHBOARD_PORT", "")
    return int(raw) if raw.isdigit() else None


def own_ephemeral_server() -> None:
    """Make the ephemeral API server Prefect starts on first use one that ends with this process.

    Nothing to do with a Prefect server configured (``PREFECT_API_URL``) or when already done; the
    test harness registers its own server the same way and is left alone.
    """
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api.server import SubprocessASGIServer

    current = SubprocessASGIServer._instances.get(None)
    if current is not None and (current.running or isinstance(current, _owned_server_class())):
        return
    server = _owned_server_class()(port=free_port({p for p in [dashboard_port()] if p}))
    SubprocessASGIServer._instances[None] = server


_OWNED: type[Any] | None = None


def _owned_server_class() -> type[Any]:
    global _OWNED
    if _OWNED is None:
        from prefect.server.api.server import SubprocessASGIServer
        from prefect.settings import get_current_settings

        class OwnedEphemeralServer(SubprocessASGIServer):
            """Prefect's ephemeral server, under the parent watchdog and on a port outside 8000–8999."""

            def find_available_port(self) -> int:
                return free_port({p for p in [dashboard_port()] if p})

            def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
                assert self.port is not None
                env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                       "PREFECT__SERVER_FINAL": "1",
                       **get_current_settings().to_environment_variables(exclude_unset=True)}
                # Not on this process's stdout/stderr: a caller reading a command's output until EOF
                # (a pipe, a test's capture) must not wait for the server's shutdown after the
                # command has ended. It logs at error level only; a failed start is reported by the
                # start-up timeout's German line (verbund.cli.embedded).
                return subprocess.Popen(owned_command(server_args(self.port)), env=env,  # noqa: S603 (our args)
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

        _OWNED = OwnedEphemeralServer
    return _OWNED
