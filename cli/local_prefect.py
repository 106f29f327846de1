"""The one long-lived local Prefect server of ``verbund serve``: API, UI and a persistent run history.

``verbund serve`` starts it (owned: it ends with serve, however serve ends), writes a discovery file
next to the domain database (``<stem>.prefect.json``: URL, UI, the dashboard's URL and owner PID) and
removes it on exit. Other ``verbund`` commands on the same database find it there
(``verbund.cli.embedded``) and run their flows in-process against it, with no start-up of their own.

One ``verbund serve`` per database: it holds an exclusive lock on ``<stem>.serve.lock`` for as long as
it lives (the kernel drops it however the process ends, SIGKILL included). A second one refuses with
one German line naming the running dashboard and its PID, instead of borrowing the first one's
Prefect server and losing it when the first stops.

Settings chosen against the stalls of docs/decisions.md §5 (figures in §7 there): the run history
in its own SQLite file (``<stem>.prefect.db``, WAL, Prefect's default for SQLite); no run logs
shipped to the API (they stay on the console); the task-run recorder and the services that only
matter for deployments (scheduler, late runs, foreman, cancellation clean-up, pause expirations,
repossessor) off. Flow runs keep their names, tags, named final states and messages.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from verbund.cli.embedded import DEFAULTED, LOCAL_URL_ENV, data_folder, start_timeout
from verbund.flows.local_server import free_port, owned_command, server_args

SERVICES_OFF = ("TASK_RUN_RECORDER", "SCHEDULER", "LATE_RUNS", "FOREMAN", "CANCELLATION_CLEANUP",
                "PAUSE_EXPIRATIONS", "REPOSSESSOR")


class LocalPrefectError(RuntimeError):
    """The local Prefect server did not start; the message is German and names what to do."""


class AlreadyServing(LocalPrefectError):
    """Another ``verbund serve`` owns this database's local Prefect server; the message names it."""


@dataclass
class ServeClaim:
    """This process's exclusive claim to serve one database (an ``flock`` held until release or exit)."""

    path: Path
    handle: IO[str] = field(repr=False)

    def release(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.handle.close()  # closing drops the lock; the file stays (removing it would race a new claim)


def claim_database(database_url: str | None) -> ServeClaim:
    """Claim the database for this ``verbund serve``, or raise ``AlreadyServing`` naming the one that has it."""
    folder, stem = data_folder(database_url)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.serve.lock"
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip()
        handle.close()
        raise AlreadyServing(_already_serving(folder / f"{stem}.prefect.json", owner)) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return ServeClaim(path=path, handle=handle)


def _already_serving(discovery: Path, owner: str) -> str:
    try:
        found = json.loads(discovery.read_text(encoding="utf-8"))
        where = f"{found['dashboard']} (PID {found['pid']}), Prefect-Oberfläche {found['ui']}"
    except (OSError, ValueError, KeyError, TypeError):
        where = f"PID {owner or '?'}, startet gerade"
    return (f"Für diese Datenbank läuft bereits ein Dashboard: {where}. Es genügt eines: dieses nutzen, es "
            "zuerst beenden (Strg+C) oder mit VERBUND_DATABASE_URL eine andere Datenbank wählen.")


@dataclass
class LocalPrefect:
    """A running local Prefect server owned by this process."""

    url: str
    ui_url: str
    discovery: Path
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            if json.loads(self.discovery.read_text(encoding="utf-8"))["pid"] == os.getpid():
                self.discovery.unlink()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def server_environment(port: int, database: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", LOCAL_URL_ENV)}
    env.update(PREFECT_SERVER_DATABASE_CONNECTION_URL=database, PREFECT_UI_ENABLED="true",
               PREFECT_UI_API_URL=f"http://127.0.0.1:{port}/api", PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT__SERVER_FINAL="1")
    for service in SERVICES_OFF:
        env.setdefault(f"PREFECT_SERVER_SERVICES_{service}_ENABLED", "false")
    return env


def start_local_prefect(database_url: str | None, avoid_port: int, dashboard: str = "") -> LocalPrefect:
    """Start the server, wait until it answers (``VERBUND_PREFECT_START_TIMEOUT``), publish it.

    The caller holds the database's claim (``claim_database``); ``dashboard`` is its URL, for the
    message a second ``verbund serve`` shows."""
    folder, stem = data_folder(database_url)
    folder.mkdir(parents=True, exist_ok=True)
    database = os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL", "")
    if not database or "PREFECT_SERVER_DATABASE_CONNECTION_URL" in DEFAULTED:
        database = f"sqlite+aiosqlite:///{folder / f'{stem}.prefect.db'}"
    port = free_port({avoid_port})
    log = folder / f"{stem}.prefect.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(owned_command(server_args(port)),  # noqa: S603 (our own interpreter and args)
                                   env=server_environment(port, database), stdout=sink, stderr=subprocess.STDOUT)
    server = LocalPrefect(url=f"http://127.0.0.1:{port}/api", ui_url=f"http://127.0.0.1:{port}",
                          discovery=folder / f"{stem}.prefect.json", log=log, process=process)
    try:
        _wait_until_healthy(server, start_timeout())
    except BaseException:
        server.stop()
        raise
    server.discovery.write_text(json.dumps({"url": server.url, "ui": server.ui_url, "dashboard": dashboard,
                                            "pid": os.getpid(), "server_pid": process.pid}), encoding="utf-8")
    os.environ["PREFECT_API_URL"] = os.environ[LOCAL_URL_ENV] = server.url
    os.environ.setdefault("PREFECT_UI_URL", server.ui_url)
    return server


def _wait_until_healthy(server: LocalPrefect, timeout: int) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            raise LocalPrefectError(f"Der lokale Prefect-Server hat sich beim Start beendet (Code {code}); "
                                    f"Protokoll: {server.log}")
        with contextlib.suppress(OSError), urllib.request.urlopen(  # noqa: S310 (loopback)
                f"{server.url}/health", timeout=5) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise LocalPrefectError(f"Der lokale Prefect-Server ist nicht innerhalb von {timeout} s gestartet "
                            f"(Rechner ausgelastet?). Abhilfe: VERBUND_PREFECT_START_TIMEOUT erhöhen (z. B. 600); "
                            f"Protokoll: {server.log}")
