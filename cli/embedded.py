"""Prefect settings for the embedded default, applied through environment variables only.

Nothing here imports Prefect: the ``verbund`` app callback calls ``configure_embedded_prefect``
before any command runs, and only the commands that run flows import Prefect afterwards, so
read-only commands (``status``, ``outbox``, …) start without it.

Without ``PREFECT_API_URL`` Prefect runs an ephemeral API server on SQLite. Measured here
(150 sequential flow runs): with run logs shipped to that API, p90 per run 2.3 s and total 120 s
(SQLite lock waits between log inserts and state writes); without, p90 0.26 s and total 47 s.
So embedded mode keeps logs on the console and in the final state's message, and ships none to
the API. Even then the ephemeral server's own services (task-run recorder) hit SQLite's 60 s busy
timeout now and then (two 60 s stalls in one demo run); an in-memory database behind the ephemeral
API serialises on one connection and never waits (demo: 32–36 s instead of 66–210 s). The run
history of a command's ephemeral server therefore lives only as long as the command; the domain
database keeps everything that matters. With a Prefect server configured (``PREFECT_API_URL``)
nothing here applies, and explicit settings always win.

The ephemeral server is a subprocess whose start-up takes seconds, and many more on a busy
machine: ``VERBUND_PREFECT_START_TIMEOUT`` (default ``DEFAULT_START_TIMEOUT``) sets how long a
command waits for it (Prefect's own default, 20 s, failed 3 of 7 tries under load).
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer

from verbund.domain.errors import DomainError

EMBEDDED_NOTE = "eingebettet (ephemere Prefect-API im Speicher, nur für die Dauer des Befehls)"
EPHEMERAL_DATABASE = "sqlite+aiosqlite:///file::memory:?cache=shared&uri=true&check_same_thread=false"
START_TIMEOUT_ENV = "VERBUND_PREFECT_START_TIMEOUT"
PREFECT_START_TIMEOUT_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_START_TIMEOUT = 180
LOCAL_URL_ENV = "VERBUND_LOCAL_PREFECT_URL"  # PREFECT_API_URL is serve's local server, not a scale-out server
DEFAULTED: set[str] = set()  # the Prefect settings configure_embedded_prefect chose (the user set the others)


class SettingError(ValueError):
    """A ``VERBUND_`` environment variable has a value verbund cannot use."""


def start_timeout() -> int:
    """Seconds a command waits for a Prefect server to start (``VERBUND_PREFECT_START_TIMEOUT``)."""
    raw = os.environ.get(START_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_START_TIMEOUT
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingError(f"{START_TIMEOUT_ENV}: '{raw}' ist keine ganze Zahl von Sekunden ≥ 1")
    return value


def _default(name: str, value: str) -> None:
    if name not in os.environ:
        os.environ[name] = value
        DEFAULTED.add(name)


def configure_embedded_prefect() -> None:
    """Environment for Prefect in the embedded default; explicit settings win, nothing is imported.

    An explicit ``PREFECT_API_URL`` means scale-out. Without it, a live local server of ``verbund
    serve`` for this database (its discovery file) is used for in-process flow runs; else each
    command starts an ephemeral API in memory when it first runs a flow.
    """
    if os.environ.get(START_TIMEOUT_ENV) or not os.environ.get(PREFECT_START_TIMEOUT_ENV):
        os.environ[PREFECT_START_TIMEOUT_ENV] = str(start_timeout())
    _default("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if os.environ.get("PREFECT_API_URL"):
        return
    _default("PREFECT_LOGGING_TO_API_ENABLED", "false")
    url = live_local_server(discovery_file(os.environ.get("VERBUND_DATABASE_URL")))
    if url:
        os.environ["PREFECT_API_URL"] = os.environ[LOCAL_URL_ENV] = url
        return
    _default("PREFECT_SERVER_DATABASE_CONNECTION_URL", EPHEMERAL_DATABASE)


def data_folder(database_url: str | None) -> tuple[Path, str]:
    """Where local state lives next to the domain database: (folder, file stem)."""
    if not database_url:
        from verbund.services.app.settings import default_database_url

        database_url = default_database_url()
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        path = Path(database_url.removeprefix("sqlite:///").split("?")[0])
        return path.parent, path.stem
    from platformdirs import user_data_dir

    return Path(user_data_dir("verbund", appauthor=False)), "verbund"


def discovery_file(database_url: str | None) -> Path:
    """The file in which ``verbund serve`` names its local Prefect server (URL, owner PID)."""
    folder, stem = data_folder(database_url)
    return folder / f"{stem}.prefect.json"


def live_local_server(path: Path) -> str | None:
    """The API URL the discovery file names, if its owner process lives and the port answers."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        url, pid = str(found["url"]), int(found["pid"])
        os.kill(pid, 0)
        address = urlsplit(url)
        with socket.create_connection((address.hostname or "127.0.0.1", address.port or 80), timeout=2):
            return url
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_prefect_start_failure(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the local Prefect API server did not start."""
    markers = ("ephemeral Prefect API server", "Unable to find an available port", "lokale Prefect-Server")
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if any(marker in str(seen) for marker in markers):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def start_failure_line() -> str:
    """The one German line a command prints when Prefect's local API server does not start."""
    try:
        waited = f"{int(os.environ.get(PREFECT_START_TIMEOUT_ENV, ''))} s"
    except ValueError:
        waited = "die eingestellte Zeit"
    return (f"Fehler: Der lokale Prefect-Server ist nicht innerhalb von {waited} gestartet (Rechner ausgelastet?). "
            "Bereits Gespeichertes bleibt erhalten und wird beim nächsten Abgleich nachgeholt. "
            f"Abhilfe: erneut versuchen, {START_TIMEOUT_ENV} erhöhen (z. B. 600) oder 'verbund serve' laufen lassen.")


def _refuse_undecodable_arguments() -> None:
    """An argument with bytes that are not UTF-8 (a terminal in Latin-1) reaches Python as lone
    surrogates, which no database can store: one German line naming the argument, exit 1 (issue 15)."""
    import os

    for position, argument in enumerate(sys.argv[1:], start=1):
        if any("\ud800" <= char <= "\udfff" for char in argument):
            shown = os.fsencode(argument).decode("utf-8", "backslashreplace")
            sys.stderr.write(f"Fehler: Argument {position} ('{shown}') enthält Bytes, die kein gültiges UTF-8 sind; "
                             "bitte als UTF-8 eingeben (z. B. LANG=de_DE.UTF-8).\n")
            sys.exit(1)


class VerbundTyper(typer.Typer):
    """The ``verbund`` app: a Prefect server that does not start ends the command with one German line."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The imports so far (SQLAlchemy, pydantic, typer, our tables) live until the process ends:
        # frozen, the collector never walks them again, neither during the command nor in the final
        # collection at exit, which took a third of a short command's wall time (issue 14; the
        # dashboard does the same after its start-up). Only the console entry point comes here.
        gc.freeze()
        _refuse_undecodable_arguments()
        try:
            return super().__call__(*args, **kwargs)
        except SettingError as error:
            sys.stderr.write(f"Fehler: {error}\n")
            sys.exit(1)
        except DomainError as error:  # a refusal no command caught (e.g. a bad date, issue 16): one line
            sys.stderr.write(f"Fehler: {error}\n")
            sys.exit(1)
        except Exception as error:
            if not is_prefect_start_failure(error):
                raise
            sys.stderr.write(start_failure_line() + "\n")
            sys.exit(1)
        finally:
            gc.freeze()  # what the command imported (Prefect, …) is not walked again at exit either
